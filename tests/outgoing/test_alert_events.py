"""Each of the five events is written once, at the moment it happens, by the one function the
places where alerts change call (`outgoing.events.alert_changed`): created when intake accepts
a new alert, acknowledged and resolved when `paging.lifecycle.close` closes it (a callee's key,
a person, the sender), escalated when a later step or round starts paging, exhausted when the
steps run out. Driven by the engine and row factories, not over HTTP; the delivery log is read
straight from its table. Also: the subscription's events and filters, disabled subscriptions,
other organizations' alerts, and what it costs an organization with no webhook."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.engine import Connection

from tests.delivery.pager import MakePager, Pager
from tests.oncall import schedule_rows
from tests.outgoing.rows import deliveries, events, fire, subscribe
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict
from tocsin.endpoints import commands as endpoints
from tocsin.intake.accept import Outcome
from tocsin.outgoing import commands
from tocsin.outgoing.events import alert_changed
from tocsin.outgoing.models import AlertEvent
from tocsin.paging import lifecycle

pytestmark = [
    # One call per step: each unanswered call ends its step.
    pytest.mark.pager(unanswered_retries=0, rounds=1),
]

DISK_FULL = {"title": "Disk full on db1", "severity": "critical"}


def call(*contact_ids: str) -> dict[str, Any]:
    return {"type": "call", "contact_ids": list(contact_ids)}


def test_a_new_alert_is_created_once_and_its_repeats_are_not(pager: Pager) -> None:
    endpoint = pager.endpoint(pager.contact("Alice", "no_answer"))
    subscribe(pager.runtime, pager.org_id)
    first = fire(pager.runtime, endpoint, DISK_FULL)
    again = fire(pager.runtime, endpoint, DISK_FULL)
    assert again.outcome == Outcome.DEDUPLICATED
    assert events(pager.runtime) == [("alert.created", first.alert_id)]
    [delivery] = deliveries(pager.runtime)
    assert delivery.body["data"]["alert"]["status"] == "open"
    assert delivery.body["type"] == "alert.created"


def test_a_callees_key_acknowledges_once(pager: Pager) -> None:
    endpoint = pager.endpoint(pager.contact("Bob", "press:1"))
    subscribe(pager.runtime, pager.org_id)
    alert_id = fire(pager.runtime, endpoint, DISK_FULL).alert_id
    pager.run()
    pager.later(minutes=30)
    assert events(pager.runtime) == [("alert.created", alert_id), ("alert.acknowledged", alert_id)]
    acknowledged = deliveries(pager.runtime)[1].body["data"]["alert"]
    assert acknowledged["status"] == "acknowledged"
    assert acknowledged["acknowledged_by"].startswith("simulator:")
    assert acknowledged["acknowledged_at"] == "2026-01-01T00:00:00Z"


def test_a_member_acknowledging_is_named_and_a_second_acknowledgement_writes_nothing(
    pager: Pager,
) -> None:
    endpoint = pager.endpoint(pager.contact("Alice", "no_answer"))
    ana, _ = pager.member("Ana")
    subscribe(pager.runtime, pager.org_id)
    alert_id = fire(pager.runtime, endpoint, DISK_FULL).alert_id
    for _ in range(2):
        # The second is refused: the alert is not open.
        with contextlib.suppress(Conflict), pager.runtime.database.write() as session:
            lifecycle.acknowledge(
                session,
                org_id=pager.org_id,
                alert_id=alert_id,
                actor=Actor("user", ana),
                now=pager.clock.now(),
            )
    assert [kind for kind, _ in events(pager.runtime)] == ["alert.created", "alert.acknowledged"]
    alert = deliveries(pager.runtime)[1].body["data"]["alert"]
    assert alert["acknowledged_by"] == f"user:{ana}"
    assert alert["acknowledged_by_member"] == {"id": ana, "name": "Ana"}


def test_the_sender_resolving_resolves_once(pager: Pager) -> None:
    endpoint = pager.endpoint(pager.contact("Alice", "no_answer"))
    subscribe(pager.runtime, pager.org_id)
    alert_id = fire(pager.runtime, endpoint, DISK_FULL).alert_id
    resolved = fire(pager.runtime, endpoint, {**DISK_FULL, "status": "resolved"})
    assert (resolved.outcome, resolved.alert_id) == (Outcome.RESOLVED, alert_id)
    # A resolve for an incident with nothing open is kept for the timeline, but it changed no
    # alert: no event.
    fire(pager.runtime, endpoint, {"title": "Never opened", "status": "resolved"})
    assert events(pager.runtime) == [("alert.created", alert_id), ("alert.resolved", alert_id)]
    alert = deliveries(pager.runtime)[1].body["data"]["alert"]
    assert (alert["status"], alert["resolved_by"]) == ("resolved", "source")


def test_an_acknowledged_alert_resolved_later_says_both(pager: Pager) -> None:
    endpoint = pager.endpoint(pager.contact("Bob", "press:1"))
    subscribe(pager.runtime, pager.org_id)
    alert_id = fire(pager.runtime, endpoint, DISK_FULL).alert_id
    pager.run()
    with pager.runtime.database.write() as session:
        lifecycle.resolve(
            session,
            org_id=pager.org_id,
            alert_id=alert_id,
            actor=Actor("api_key", "key_x"),
            now=pager.clock.now(),
        )
    assert [kind for kind, _ in events(pager.runtime)] == [
        "alert.created",
        "alert.acknowledged",
        "alert.resolved",
    ]


def test_a_later_step_escalates_once_and_running_out_is_exhausted_once(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    bob = pager.contact("Bob", "no_answer")
    endpoint = pager.escalating_endpoint(call(alice), call(bob))
    subscribe(pager.runtime, pager.org_id)
    alert_id = fire(pager.runtime, endpoint, DISK_FULL).alert_id
    pager.run()
    for _ in range(6):
        pager.later(minutes=10)
    assert pager.numbers_called() == [pager.phone(alice), pager.phone(bob)]
    assert events(pager.runtime) == [
        ("alert.created", alert_id),
        ("alert.escalated", alert_id),
        ("alert.exhausted", alert_id),
    ]
    escalated, exhausted = deliveries(pager.runtime)[1:]
    assert escalated.body["data"]["escalation"] == {"step": 2, "round": 1}
    assert exhausted.body["data"]["escalation"] == {"rounds": 1}
    assert exhausted.body["data"]["alert"]["status"] == "open"


def test_a_repeat_round_escalates_and_a_new_notification_after_exhaustion_too(
    pager: Pager,
) -> None:
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.escalating_endpoint(call(alice), {"type": "repeat", "times": 1})
    subscribe(pager.runtime, pager.org_id)
    alert_id = fire(pager.runtime, endpoint, DISK_FULL).alert_id
    pager.run()
    for _ in range(4):
        pager.later(minutes=10)
    assert events(pager.runtime) == [
        ("alert.created", alert_id),
        ("alert.escalated", alert_id),  # round 2 of the same step
        ("alert.exhausted", alert_id),
    ]
    assert deliveries(pager.runtime)[1].body["data"]["escalation"] == {"step": 1, "round": 2}
    restarted = fire(pager.runtime, endpoint, DISK_FULL)
    assert restarted.outcome == Outcome.RESTARTED
    assert [kind for kind, _ in events(pager.runtime)][3:] == ["alert.escalated"]


def test_a_plan_that_pages_nobody_is_created_then_exhausted_at_once(pager: Pager) -> None:
    empty = schedule_rows.project(pager.runtime, pager.org_id, "Nobody yet")
    endpoint = pager.escalating_endpoint({"type": "call", "project_ids": [empty]})
    subscribe(pager.runtime, pager.org_id)
    alert_id = fire(pager.runtime, endpoint, DISK_FULL).alert_id
    assert events(pager.runtime) == [("alert.created", alert_id), ("alert.exhausted", alert_id)]


def test_only_the_events_a_webhook_chose_are_written(pager: Pager) -> None:
    endpoint = pager.endpoint(pager.contact("Bob", "press:1"))
    subscribe(pager.runtime, pager.org_id, events=["resolved", "acknowledged"])
    alert_id = fire(pager.runtime, endpoint, DISK_FULL).alert_id
    assert events(pager.runtime) == []
    pager.run()
    fire(pager.runtime, endpoint, {**DISK_FULL, "status": "resolved"})
    assert events(pager.runtime) == [("alert.acknowledged", alert_id), ("alert.resolved", alert_id)]


def test_each_matching_webhook_gets_the_event_under_one_event_id(pager: Pager) -> None:
    endpoint = pager.endpoint(pager.contact("Alice", "no_answer"))
    one = subscribe(pager.runtime, pager.org_id, name="Slack relay").subscription.id
    two = subscribe(pager.runtime, pager.org_id, name="Status page").subscription.id
    fire(pager.runtime, endpoint, DISK_FULL)
    written = deliveries(pager.runtime)
    assert sorted(d.subscription_id for d in written) == sorted([one, two])
    assert len({d.event_id for d in written}) == 1
    assert written[0].body == written[1].body


def test_endpoint_and_project_filters_keep_other_alerts_out(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    payments, web = pager.endpoint(alice), pager.endpoint(alice)
    team = schedule_rows.project(pager.runtime, pager.org_id, "Payments team")
    with pager.runtime.database.write() as session:
        endpoints.move_endpoint(
            session,
            org_id=pager.org_id,
            endpoint_id=payments,
            project_id=team,
            actor=Actor("cli", "shell"),
            now=pager.clock.now(),
        )
    by_endpoint = subscribe(pager.runtime, pager.org_id, endpoint_id=web).subscription.id
    by_project = subscribe(pager.runtime, pager.org_id, project_id=team).subscription.id
    on_payments = fire(pager.runtime, payments, DISK_FULL).alert_id
    on_web = fire(pager.runtime, web, {"title": "Web down"}).alert_id
    written = {(d.subscription_id, d.alert_id) for d in deliveries(pager.runtime)}
    assert written == {(by_project, on_payments), (by_endpoint, on_web)}


def test_a_disabled_webhook_is_written_nothing_until_enabled_again(pager: Pager) -> None:
    endpoint = pager.endpoint(pager.contact("Alice", "no_answer"))
    made = subscribe(pager.runtime, pager.org_id)

    def enable(on: bool) -> None:
        with pager.runtime.database.write() as session:
            commands.update_subscription(
                session,
                org_id=pager.org_id,
                webhook_id=made.subscription.id,
                actor=Actor("cli", "shell"),
                now=pager.clock.now(),
                enabled=on,
            )

    enable(False)
    fire(pager.runtime, endpoint, DISK_FULL)
    assert events(pager.runtime) == []
    enable(True)
    later = fire(pager.runtime, endpoint, {"title": "Later"}).alert_id
    assert events(pager.runtime) == [("alert.created", later)]


def test_another_organizations_alerts_never_reach_this_organizations_webhooks(
    make_pager: MakePager,
) -> None:
    a, b = make_pager(), make_pager()
    subscribe(a.runtime, a.org_id)
    b_endpoint = b.endpoint(b.contact("B's on call", "press:1"))
    fire(b.runtime, b_endpoint, DISK_FULL)
    b.run()
    assert events(a.runtime) == []
    a_endpoint = a.endpoint(a.contact("A's on call", "no_answer"))
    a_alert = fire(a.runtime, a_endpoint, DISK_FULL).alert_id
    assert events(a.runtime) == [("alert.created", a_alert)]
    assert {d.org_id for d in deliveries(a.runtime)} == {a.org_id}


class Statements:
    """The statements a connection runs while counting."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        self.seen.append(statement)


def test_an_organization_without_webhooks_pays_one_indexed_query_and_no_read_of_the_alert(
    pager: Pager,
) -> None:
    subscribe(pager.runtime, pager.org_id, events=["resolved"])  # not the events asked about
    statements = Statements()

    def never() -> Any:
        raise AssertionError("the alert was read although no webhook wants the event")

    engine = pager.runtime.database.engine
    with pager.runtime.database.write() as session:
        session.connection()  # the transaction begun, so only the function's statements count
        sqlalchemy_event.listen(engine, "before_cursor_execute", statements)
        try:
            for event in (AlertEvent.CREATED, AlertEvent.ESCALATED):
                assert (
                    alert_changed(
                        session,
                        org_id=pager.org_id,
                        alert=never,
                        event=event,
                        now=pager.clock.now(),
                    )
                    == 0
                )
        finally:
            sqlalchemy_event.remove(engine, "before_cursor_execute", statements)
    assert len(statements.seen) == 2  # one each
    assert all("FROM webhook_subscriptions" in sql for sql in statements.seen)
    if pager.runtime.database.is_postgres:
        return
    # The one query goes by the organization's index, not through the table.
    with pager.runtime.database.read() as session:
        plan = session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statements.seen[0], (pager.org_id,)
        )
        assert "USING INDEX ix_webhook_subscriptions_org_id" in " ".join(
            str(row[-1]) for row in plan
        )
