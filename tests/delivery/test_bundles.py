"""One call carries all of a number's waiting alerts, and its key acts on every alert it read
(issue 14, finding 10: throttles bundle, never delay news)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.delivery.pager import Pager
from tocsin.core.clock import ManualClock
from tocsin.engine import planning
from tocsin.engine.settings import Dialer, WorkerSettings
from tocsin.paging.escalation import stop_paging
from tocsin.paging.leases import claim_due_jobs
from tocsin.paging.models import Alert, AlertStatus, CallAttempt, CallJob, JobStatus
from tocsin.runtime import Runtime

pytestmark = [pytest.mark.pager(rounds=1)]


def test_one_call_reads_three_alerts_and_1_acknowledges_all_three(pager: Pager) -> None:
    alice = pager.contact("Alice", "press:1")
    endpoint = pager.endpoint(alice)
    alerts = [pager.fire(endpoint, {"title": title}) for title in ("Disk full", "CPU", "Swap")]
    pager.run()
    assert len(pager.calls()) == 1
    spoken = [c["spoken_text"] for a in alerts for c in pager.alert(a)["calls"]]
    [words] = spoken
    assert words.startswith("3 open alerts. Alert one: ")
    assert "Pressing 1 acknowledges all 3." in words
    for alert_id in alerts:
        detail = pager.alert(alert_id)
        assert (detail["status"], detail["acknowledged_by"]) == (
            "acknowledged",
            f"simulator:{pager.phone(alice)}",
        )
        assert [job["status"] for job in detail["jobs"]] == ["done"]


def test_a_bundle_reads_at_most_five_alerts_and_the_rest_wait_their_turn(pager: Pager) -> None:
    alice = pager.contact("Alice", "press:1")
    endpoint = pager.endpoint(alice)
    alerts = [pager.fire(endpoint, {"title": f"Problem {n}"}) for n in range(7)]
    pager.run()
    assert len(pager.calls()) == 1
    acknowledged = [a for a in alerts if pager.alert(a)["status"] == "acknowledged"]
    assert len(acknowledged) == 5  # only what was read
    pager.later(minutes=1)  # the next call, a minute later, reads the other two
    assert len(pager.calls()) == 2
    assert all(pager.alert(a)["status"] == "acknowledged" for a in alerts)


def test_a_refused_call_leaves_its_riders_waiting_not_lost(pager: Pager, runtime: Runtime) -> None:
    alice = pager.contact("Alice", "reject")  # the provider refuses: nothing is placed
    endpoint = pager.endpoint(alice)
    first = pager.fire(endpoint, {"title": "Disk full"})
    second = pager.fire(endpoint, {"title": "CPU"})
    pager.run()
    with runtime.database.read() as session:
        jobs = session.scalars(select(CallJob).order_by(CallJob.created_at)).all()
        assert [job.status for job in jobs] == [JobStatus.PENDING] * 2
        assert all(job.riding_attempt_id is None for job in jobs)
        assert all(job.carried_calls == 0 for job in jobs)
    assert pager.alert(first)["status"] == pager.alert(second)["status"] == "open"


def test_9_then_9_on_a_bundled_call_stops_calls_for_every_alert_it_read(pager: Pager) -> None:
    alice = pager.contact("Alice", "press:99")
    endpoint = pager.endpoint(alice)
    alerts = [pager.fire(endpoint, {"title": title}) for title in ("Disk full", "CPU")]
    pager.run()
    outcomes = [job["outcome"] for a in alerts for job in pager.alert(a)["jobs"]]
    assert outcomes == ["stopped", "stopped"]
    for _ in range(5):
        pager.later(minutes=30)
    assert len(pager.calls()) == 1


def test_closing_one_alert_does_not_hang_up_a_call_that_reads_others_still_open(
    pager: Pager, runtime: Runtime, clock: ManualClock
) -> None:
    alice = pager.contact("Alice", "answer")
    endpoint = pager.endpoint(alice)
    first = pager.fire(endpoint, {"title": "Disk full"})
    second = pager.fire(endpoint, {"title": "CPU"})
    # A worker has planned the call (it carries both) and is dialling when someone resolves
    # the call's own alert elsewhere.
    planned = Dialer(
        worker_id="worker-a",
        settings=WorkerSettings(
            caller_id="+447400000001", send_deadline=timedelta(seconds=30), throttle=()
        ),
        provider="simulator",
    )
    with runtime.database.write() as session:
        [job_id, *_] = claim_due_jobs(
            session, worker_id="worker-a", now=clock.now(), lease=pager.settings.lease,
            limit=1, skip_locked=False,
        )  # fmt: skip
        plan = planning.plan_job(session, job_id=job_id, now=clock.now(), dialer=planned)
        assert plan.attempt is not None
    attempt_id = plan.attempt.attempt_id
    with runtime.database.write() as session:
        carrier = session.get(CallAttempt, attempt_id)
        assert carrier is not None
        own, other = (first, second) if carrier.alert_id == first else (second, first)
        alert = session.get(Alert, own)
        assert alert is not None
        alert.status = AlertStatus.RESOLVED.value
        stop_paging(session, alert_id=own, status=AlertStatus.RESOLVED, now=clock.now())
    with runtime.database.read() as session:
        carrier = session.get(CallAttempt, attempt_id)
        assert carrier is not None
        assert carrier.hangup_requested_at is None  # it still has `other` to read
        rider = session.scalar(select(CallJob).where(CallJob.alert_id == other))
        assert rider is not None
        assert rider.riding_attempt_id == attempt_id
