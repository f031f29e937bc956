"""The escalation auditor finds what nothing would move again, mends what is safe, reports all.

The states it looks for cannot be reached through the engine, so each test makes one the way a
bug or a hand edit of the database would, and checks that the auditor notices it.
"""

from __future__ import annotations

from sqlalchemy import update

from tests.delivery.pager import Pager
from tocsin.engine.auditor import audit_and_report, find_stuck
from tocsin.paging.models import Alert, CallJob, Escalation


def audit(pager: Pager) -> list[tuple[str, str]]:
    with pager.runtime.database.write() as session:
        findings = audit_and_report(session, now=pager.clock.now())
    return [(finding.kind, finding.alert_id) for finding in findings]


def two_steps(pager: Pager) -> tuple[str, str, str]:
    alice, bob = pager.contact("Alice", "no_answer"), pager.contact("Bob")
    endpoint = pager.escalating_endpoint(
        {"type": "call", "contact_ids": [alice]}, {"type": "call", "contact_ids": [bob]}
    )
    return pager.fire(endpoint), alice, bob


def test_normal_paging_gives_the_auditor_nothing_to_report(pager: Pager) -> None:
    alert_id, _, _ = two_steps(pager)
    pager.run()
    for _ in range(10):
        assert audit(pager) == []
        pager.later(minutes=1)
    assert pager.alert(alert_id)["status"] == "acknowledged"
    assert audit(pager) == []


def test_a_step_that_lost_its_wake_up_is_found_and_moved_on(pager: Pager) -> None:
    alert_id, _, bob = two_steps(pager)
    # Alice's job settles without poking its escalation, as a bug might leave it.
    with pager.runtime.database.write() as session:
        session.execute(update(CallJob).values(status="done", outcome="unanswered"))
    assert audit(pager) == []  # a step just settled may not have been poked yet
    pager.clock.advance(120)
    assert audit(pager) == [("stalled", alert_id)]
    assert "escalation.stuck" in pager.actions(alert_id)
    pager.run()
    assert pager.numbers_called() == [pager.phone(bob)]  # on to the next step
    assert audit(pager) == []


def test_an_escalation_of_a_closed_alert_is_ended(pager: Pager) -> None:
    alert_id, _, _ = two_steps(pager)
    with pager.runtime.database.write() as session:
        session.execute(update(Alert).values(status="resolved", open_dedup_key=None))
    assert audit(pager) == [("alert_closed", alert_id)]
    assert pager.alert(alert_id)["escalation"]["status"] == "resolved"
    assert audit(pager) == []


def test_work_no_worker_is_doing_is_reported_until_a_worker_does_it(pager: Pager) -> None:
    alert_id, _, _ = two_steps(pager)
    pager.clock.advance(4 * 60)
    assert audit(pager) == []
    pager.clock.advance(2 * 60)
    with pager.runtime.database.read() as session:
        kinds = {f.kind for f in find_stuck(session, now=pager.clock.now())}
    assert kinds == {"job_overdue"}
    with pager.runtime.database.write() as session:
        session.execute(update(Escalation).values(next_at=pager.clock.now()))
    pager.clock.advance(6 * 60)
    assert sorted(audit(pager)) == [("job_overdue", alert_id), ("overdue", alert_id)]
    assert "escalation.stuck" not in pager.actions(alert_id)  # reported, not mended
    pager.run()
    assert audit(pager) == []
