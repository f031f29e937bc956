"""The delivery worker, in process, against the simulator and an injected clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests import seeded
from tests.factories import Tenant, alert_dials, ok
from tocsin.core.clock import ManualClock
from tocsin.engine import planning, schedule
from tocsin.engine import worker as worker_module
from tocsin.engine.planning import PlanKind
from tocsin.engine.schedule import Work, next_due
from tocsin.engine.settings import Dialer, WorkerSettings
from tocsin.engine.worker import Worker
from tocsin.paging import attempts
from tocsin.paging.leases import ClaimedJob, claim_due, claim_due_jobs
from tocsin.paging.models import Alert, CallAttempt, CallJob
from tocsin.paging.settle import RetryPolicy
from tocsin.runtime import Runtime
from tocsin.telephony.base import CallEvent, CallEventKind, CallRequest
from tocsin.telephony.simulator import SimulatorProvider

PHONE = "+447400123456"


def simulator(data_dir: Path, clock: ManualClock, behaviour: str = "press:1") -> SimulatorProvider:
    return SimulatorProvider(data_dir, clock=clock, default_behaviour=behaviour, record_audio=False)


def worker(
    runtime: Runtime, provider: SimulatorProvider, clock: ManualClock, worker_id: str = "worker-a"
) -> Worker:
    settings = WorkerSettings(
        lease=timedelta(seconds=60),
        send_deadline=timedelta(seconds=30),
        retry_after=timedelta(seconds=20),
        max_attempts=3,
        caller_id="+447400000001",
        # These tests ring one number many times; tests/delivery/test_throttle.py is about that.
        throttle=(),
    )
    return Worker(runtime.database, provider, clock=clock, settings=settings, worker_id=worker_id)


def fire(client: TestClient, tenant: Tenant, title: str = "Disk full on db1") -> str:
    body = ok(
        client.post(
            f"/v1/hooks/{tenant.endpoint_id}",
            headers=tenant.alert_key,
            json={"title": title, "severity": "critical"},
        ),
        202,
    )
    alert_id: str = body["alert_id"]
    return alert_id


def alert_and_attempts(runtime: Runtime, alert_id: str) -> tuple[Alert, list[CallAttempt]]:
    with runtime.database.read() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        rows = list(
            session.scalars(
                select(CallAttempt)
                .where(CallAttempt.alert_id == alert_id)
                .order_by(CallAttempt.attempt_no)
            )
        )
        return alert, rows


def dial_log(provider: SimulatorProvider) -> list[str]:
    return [dial["idempotency_key"] for dial in alert_dials(provider.root)]


def test_keypress_1_acknowledges_the_alert(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    tenant = seeded.tenant(runtime, phone=PHONE)
    alert_id = fire(client, tenant)
    provider = simulator(data_dir, clock)
    assert asyncio.run(worker(runtime, provider, clock).run_until_idle()) == 1
    alert, rows = alert_and_attempts(runtime, alert_id)
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", f"simulator:{PHONE}")
    [attempt] = rows
    assert (attempt.status, attempt.digits, attempt.to_number) == ("answered", "1", PHONE)
    assert attempt.caller_id == "+447400000001"
    assert "Disk full on db1" in attempt.spoken_text
    assert dial_log(provider) == [attempt.idempotency_key]
    transcript = (provider.root / "calls" / f"{attempt.provider_call_id}.txt").read_text()
    assert "Disk full on db1" in transcript
    assert "Acknowledged" in transcript


def test_keypress_2_resolves_the_alert(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    alert_id = fire(client, seeded.tenant(runtime))
    asyncio.run(worker(runtime, simulator(data_dir, clock, "press:2"), clock).run_until_idle())
    alert, _ = alert_and_attempts(runtime, alert_id)
    assert (alert.status, alert.open_dedup_key) == ("resolved", None)


def test_voicemail_is_not_an_acknowledgement(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    alert_id = fire(client, seeded.tenant(runtime))
    asyncio.run(worker(runtime, simulator(data_dir, clock, "voicemail"), clock).run_until_idle())
    alert, [attempt] = alert_and_attempts(runtime, alert_id)
    assert alert.status == "open"
    assert (attempt.status, attempt.error_code, attempt.digits) == ("answered", "voicemail", "")


def test_answer_without_a_key_leaves_the_alert_open(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    alert_id = fire(client, seeded.tenant(runtime))
    asyncio.run(worker(runtime, simulator(data_dir, clock, "answer"), clock).run_until_idle())
    alert, [attempt] = alert_and_attempts(runtime, alert_id)
    assert (alert.status, attempt.status) == ("open", "answered")


def test_busy_and_no_answer_are_recorded_as_such(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    tenant = seeded.tenant(runtime)
    for behaviour, expected in (("busy", "busy"), ("no_answer", "no_answer"), ("fail", "failed")):
        alert_id = fire(client, tenant, title=f"check {behaviour}")
        provider = simulator(data_dir / behaviour, clock, behaviour)
        asyncio.run(worker(runtime, provider, clock).run_until_idle())
        alert, [attempt] = alert_and_attempts(runtime, alert_id)
        assert (alert.status, attempt.status) == ("open", expected)


def test_rejected_dial_is_retried_with_a_new_key_until_attempts_run_out(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    alert_id = fire(client, seeded.tenant(runtime))
    provider = simulator(data_dir, clock, "reject")
    delivery = worker(runtime, provider, clock)
    for _ in range(3):
        asyncio.run(delivery.run_until_idle())
        # Not due again until the retry delay has passed.
        assert asyncio.run(delivery.run_until_idle()) == 0
        clock.advance(21)
    _, rows = alert_and_attempts(runtime, alert_id)
    assert [row.status for row in rows] == ["not_placed"] * 3
    assert len(set(dial_log(provider))) == 3
    with runtime.database.read() as session:
        job = session.scalar(select(CallJob).where(CallJob.alert_id == alert_id))
        assert job is not None
        assert (job.status, job.attempt_count) == ("failed", 3)


def test_alert_resolved_after_claim_is_not_dialled(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    tenant = seeded.tenant(runtime)
    alert_id = fire(client, tenant)
    with runtime.database.write() as session:
        [job_id] = claim_due_jobs(
            session,
            worker_id="worker-a",
            now=clock.now(),
            lease=timedelta(seconds=60),
            limit=10,
            skip_locked=False,
        )
    ok(client.post(f"/v1/orgs/{tenant.org_id}/alerts/{alert_id}/resolve", headers=tenant.auth))
    provider = simulator(data_dir, clock)
    asyncio.run(worker(runtime, provider, clock).process_job(job_id))
    _, rows = alert_and_attempts(runtime, alert_id)
    assert rows == []
    assert dial_log(provider) == []
    with runtime.database.read() as session:
        job = session.get(CallJob, job_id)
        assert job is not None
        assert job.status == "cancelled"


def test_late_and_repeated_events_never_move_a_call_backwards(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    alert_id = fire(client, seeded.tenant(runtime))
    dialer = Dialer(
        worker_id="worker-a",
        settings=WorkerSettings(caller_id="+1", send_deadline=timedelta(seconds=30)),
        provider="simulator",
    )
    with runtime.database.write() as session:
        [job_id] = claim_due_jobs(
            session,
            worker_id="worker-a",
            now=clock.now(),
            lease=timedelta(seconds=60),
            limit=1,
            skip_locked=False,
        )
    with runtime.database.write() as session:
        plan = planning.plan_job(session, job_id=job_id, now=clock.now(), dialer=dialer)
    assert plan.kind == PlanKind.DIAL
    assert plan.attempt is not None
    attempt_id = plan.attempt.attempt_id

    def apply(kind: CallEventKind, sequence: int) -> bool:
        with runtime.database.write() as session:
            return attempts.apply_event(
                session,
                attempt_id=attempt_id,
                event=CallEvent(kind, sequence),
                now=clock.now(),
                policy=RetryPolicy(),
            )

    assert apply(CallEventKind.ANSWERED, 3)
    assert apply(CallEventKind.COMPLETED, 5)
    assert not apply(CallEventKind.RINGING, 2)
    assert not apply(CallEventKind.NO_ANSWER, 4)
    assert not apply(CallEventKind.COMPLETED, 5)
    _, [attempt] = alert_and_attempts(runtime, alert_id)
    assert (attempt.status, attempt.last_event_sequence) == ("answered", 5)


def test_a_dead_workers_accepted_call_is_reconciled_not_redialled(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    alert_id = fire(client, seeded.tenant(runtime))
    provider = simulator(data_dir, clock)
    dead = worker(runtime, provider, clock, worker_id="worker-dead")
    # Worker A writes the attempt and the provider accepts the call; then A dies silently.
    with runtime.database.write() as session:
        [job_id] = claim_due_jobs(
            session,
            worker_id=dead.worker_id,
            now=clock.now(),
            lease=timedelta(seconds=60),
            limit=1,
            skip_locked=False,
        )
    with runtime.database.write() as session:
        plan = planning.plan_job(session, job_id=job_id, now=clock.now(), dialer=dead.dialer)
    assert plan.attempt is not None
    asyncio.run(provider.dial(CallRequest(plan.attempt.idempotency_key, PHONE, "+1", "hello")))

    survivor = worker(runtime, provider, clock, worker_id="worker-b")
    assert asyncio.run(survivor.run_until_idle()) == 0  # A's lease still holds
    clock.advance(61)
    assert asyncio.run(survivor.run_until_idle()) == 1
    alert, [attempt] = alert_and_attempts(runtime, alert_id)
    assert (alert.status, attempt.status, attempt.digits) == ("acknowledged", "answered", "1")
    assert dial_log(provider) == [attempt.idempotency_key]


def test_an_attempt_the_provider_never_got_is_replaced_only_after_its_deadline(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    alert_id = fire(client, seeded.tenant(runtime))
    provider = simulator(data_dir, clock)
    dead = worker(runtime, provider, clock, worker_id="worker-dead")
    dead.settings = WorkerSettings(lease=timedelta(seconds=10))
    with runtime.database.write() as session:
        [job_id] = claim_due_jobs(
            session,
            worker_id=dead.worker_id,
            now=clock.now(),
            lease=timedelta(seconds=10),
            limit=1,
            skip_locked=False,
        )
        plan = planning.plan_job(session, job_id=job_id, now=clock.now(), dialer=dead.dialer)
    assert plan.attempt is not None
    first_key = plan.attempt.idempotency_key

    survivor = worker(runtime, provider, clock, worker_id="worker-b")
    clock.advance(11)  # lease gone, sending deadline (30 s) not yet: A might still dial
    asyncio.run(survivor.run_until_idle())
    assert dial_log(provider) == []
    clock.advance(20)  # past the deadline: A can no longer dial, and the provider never got it
    asyncio.run(survivor.run_until_idle())
    clock.advance(21)  # the retry delay
    asyncio.run(survivor.run_until_idle())
    alert, rows = alert_and_attempts(runtime, alert_id)
    assert [(row.attempt_no, row.status) for row in rows] == [(1, "not_placed"), (2, "answered")]
    assert dial_log(provider) == [rows[1].idempotency_key]
    assert first_key not in dial_log(provider)
    assert alert.status == "acknowledged"


def test_worker_loop_survives_a_failed_claim(
    client: TestClient,
    runtime: Runtime,
    clock: ManualClock,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alert_id = fire(client, seeded.tenant(runtime))
    failures = iter([OperationalError("claim", {}, Exception("database is down"))])
    claimed: list[str] = []

    def flaky_claim(session: Session, **kwargs: Any) -> list[ClaimedJob]:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        jobs = claim_due(session, **kwargs)
        claimed.extend(job.id for job in jobs)
        if jobs:
            loop.call_soon_threadsafe(got_job.set)
        return jobs

    monkeypatch.setattr(schedule, "claim_due", flaky_claim)
    delivery = worker(runtime, simulator(data_dir, clock), clock)
    delivery.settings = WorkerSettings(poll_seconds=0.01)

    async def run_until_a_job_is_claimed() -> None:
        nonlocal loop, got_job
        loop, got_job = asyncio.get_running_loop(), asyncio.Event()
        stop = asyncio.Event()
        task = asyncio.create_task(delivery.run(stop))
        try:
            await asyncio.wait_for(got_job.wait(), timeout=10)
        finally:
            stop.set()
            await task  # a stopping worker finishes the calls it holds

    loop: asyncio.AbstractEventLoop
    got_job: asyncio.Event
    asyncio.run(run_until_a_job_is_claimed())
    assert next(failures, None) is None
    assert len(claimed) == 1
    assert alert_and_attempts(runtime, alert_id)[0].status == "acknowledged"


def test_an_idle_worker_sleeps_until_the_next_due_work_not_its_whole_poll(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    delivery = Worker(
        runtime.database,
        simulator(data_dir, clock, "no_answer"),
        clock=clock,
        settings=WorkerSettings(poll_seconds=30, unanswered_retry_after=timedelta(seconds=90)),
    )

    def sleep_for() -> float:
        with runtime.database.read() as session:
            return delivery._until(Work([], [], next_due(session)))

    assert sleep_for() == 30  # nothing scheduled: the poll
    fire(client, seeded.tenant(runtime))
    # Due now, yet this worker is idle: another worker has it. Look again soon, not spin.
    assert sleep_for() == worker_module.MIN_IDLE_SECONDS
    asyncio.run(delivery.run_until_idle())  # unanswered: the retry is due in 90 s
    assert sleep_for() == 30  # further off than the poll
    clock.advance(80)
    assert sleep_for() == pytest.approx(10.01)


def test_events_that_came_together_are_recorded_together_and_a_later_one_alone() -> None:
    def event(kind: CallEventKind, sequence: int) -> CallEvent:
        return CallEvent(kind=kind, sequence=sequence)

    async def run() -> list[list[int]]:
        hung_up = asyncio.Event()

        async def events() -> Any:
            yield event(CallEventKind.ANSWERED, 1)
            yield event(CallEventKind.DIGITS, 2)
            await hung_up.wait()
            yield event(CallEventKind.COMPLETED, 3)

        batches = []
        async for batch in worker_module.ready_batches(events()):
            batches.append([e.sequence for e in batch])
            hung_up.set()
        return batches

    assert asyncio.run(run()) == [[1, 2], [3]]
