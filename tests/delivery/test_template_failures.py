"""A broken template, or any failure of a worker's own, cannot silence a page (issue 14,
finding 11).

Before: only five exception types were caught around rendering, so `'%(team)s: %(host)s' %
payload` on an alert without `host` raised KeyError; the worker failed the job every 60 s for 11
minutes, nothing reached the timeline, and `tocsin engine audit` reported no stuck escalation.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.delivery.pager import Pager
from tocsin.audit.models import Notice
from tocsin.core.clock import ManualClock
from tocsin.endpoints.models import Endpoint
from tocsin.engine import auditor, planning
from tocsin.messages import MessageContext, render_message
from tocsin.paging.models import CallJob
from tocsin.runtime import Runtime

pytestmark = [pytest.mark.pager(throttle=(), rounds=1)]

# Fine for an alert without a team (the sample it is checked against when saved); a KeyError for
# one with a team and no host.
TEAM_AND_HOST = "{% if payload.team %}{{ '%(team)s: %(host)s' % payload }}{% endif %}"


@pytest.mark.parametrize(
    "template",
    [
        TEAM_AND_HOST,
        "{{ payload.items | map('int') | sum }}",  # ValueError deep inside a filter
        "{{ payload.team.upper()[99] }}",  # IndexError
        "{{ {}['missing'] }}",  # undefined, then rendered: nothing to say at all
    ],
)
def test_any_template_failure_gives_the_default_words(template: str) -> None:
    context = MessageContext(
        endpoint="Production",
        title="Disk full on db1",
        message="",
        severity="critical",
        source="generic",
        payload={"team": "storage", "items": ["x"]},
    )
    rendered = render_message(template, context, max_characters=600)
    assert rendered.text == "Alert from Production. Severity critical. Disk full on db1."
    assert rendered.problem


def test_a_template_that_fails_at_dial_time_falls_back_and_the_call_goes_out(
    pager: Pager, runtime: Runtime
) -> None:
    alice = pager.contact("Alice", "answer")
    endpoint = pager.endpoint(alice, template=TEAM_AND_HOST)
    alert_id = pager.fire(endpoint, {"title": "Disk full on db1", "team": "storage"})
    assert pager.run() == 1
    detail = pager.alert(alert_id)
    [call] = detail["calls"]
    assert call["spoken_text"].startswith("Alert from Production. Severity critical.")
    [failed] = [e for e in detail["timeline"] if e["action"] == "template.failed"]
    assert failed["details"]["problem"] == "KeyError: 'host'"
    with runtime.database.read() as session:
        assert session.get(Endpoint, endpoint) is not None


def test_a_job_a_worker_keeps_failing_on_is_on_the_timeline_and_reported_to_the_owners(
    pager: Pager, runtime: Runtime, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("a bug nobody has seen yet")

    monkeypatch.setattr(planning, "_spoken_text", broken)
    alice = pager.contact("Alice", "press:1")
    alert_id = pager.fire(pager.endpoint(alice))
    pager.run()
    detail = pager.alert(alert_id)
    [job] = detail["jobs"]
    assert (job["status"], job["last_error"]) == (
        "pending",
        "RuntimeError: a bug nobody has seen yet",
    )
    [error] = [e for e in detail["timeline"] if e["action"] == "call.error"]
    assert error["details"]["failures"] == 1

    assert pager.later(seconds=14) == 0  # tried again after 15 s, not at every lease
    pager.later(seconds=1)
    with runtime.database.write() as session:
        findings = auditor.audit_and_report(session, now=clock.now())
    [failing] = [f for f in findings if f.kind == "job_failing"]
    assert failing.alert_id == alert_id
    assert "failed 2 times" in failing.detail
    with runtime.database.read() as session:
        [told] = session.scalars(select(Notice).where(Notice.kind == "call_failing")).all()
        assert told.details["alert_id"] == alert_id
    actions = pager.actions(alert_id)
    assert actions.count("call.error") == 1  # the same error twice is said once
    assert "call.failing" in actions

    # Once the fault is gone, the call goes out: nothing was lost meanwhile.
    monkeypatch.undo()
    pager.later(minutes=1)
    detail = pager.alert(alert_id)
    assert (detail["status"], len(detail["calls"])) == ("acknowledged", 1)
    with runtime.database.read() as session:
        failures = session.scalar(select(CallJob.failures).where(CallJob.alert_id == alert_id))
    assert failures == 2


def test_a_long_error_repeated_is_said_once(pager: Pager, monkeypatch: pytest.MonkeyPatch) -> None:
    """The job keeps the first 500 characters of its error; the same long error again is the
    same error, not a new line on the timeline at every try."""

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("a very long complaint " * 40)

    monkeypatch.setattr(planning, "_spoken_text", broken)
    alert_id = pager.fire(pager.endpoint(pager.contact("Alice", "press:1")))
    pager.run()
    pager.later(seconds=15)
    pager.later(seconds=30)
    [job] = pager.alert(alert_id)["jobs"]
    assert len(job["last_error"]) == 500
    assert pager.actions(alert_id).count("call.error") == 1
