"""Paging until a human answers: retries, escalation steps, acknowledgement, stop-calling.

Each test sets an organization up through the API, fires a webhook, and lets the worker run on
an injected clock; callees behave as the simulator is told per number.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from tests.delivery.pager import CALLER_ID, Pager
from tests.factories import ok
from tocsin.endpoints.models import EscalationPolicy


def call(*contact_ids: str) -> dict[str, object]:
    return {"type": "call", "contact_ids": list(contact_ids)}


def wait(minutes: float) -> dict[str, object]:
    return {"type": "wait", "minutes": minutes}


def test_an_unanswered_call_is_retried_from_the_same_caller_id_within_three_minutes(
    pager: Pager,
) -> None:
    alice = pager.contact("Alice", "no_answer")
    alert_id = pager.fire(pager.endpoint(alice))
    assert pager.run() == 1
    [job] = pager.alert(alert_id)["jobs"]
    assert job["status"] == "pending"
    assert job["last_error"] == "no_answer"
    retry_at = job["next_attempt_at"]

    assert pager.later(minutes=1) == 0  # not yet
    assert pager.later(minutes=1) == 1  # two minutes after the first call
    detail = pager.alert(alert_id)
    first, second = detail["calls"]
    assert first["created_at"] < retry_at <= second["created_at"]
    assert (first["caller_id"], second["caller_id"]) == (CALLER_ID, CALLER_ID)
    assert first["to_number"] == second["to_number"] == pager.phone(alice)
    assert first["id"] != second["id"]
    assert len({c.key for c in pager.calls()}) == 2
    assert "call.retry_scheduled" in pager.actions(alert_id)
    # One retry by default; then the step is over, and after the plan's five-minute wait the
    # next round calls again: a page without a policy never just stops.
    assert pager.later(minutes=4) == 0
    assert pager.later(minutes=1) == 1
    assert pager.numbers_called() == [pager.phone(alice)] * 3
    assert detail["status"] == "open"
    assert pager.alert(alert_id)["escalation"]["status"] == "active"
    assert pager.alert(alert_id)["jobs"][0]["outcome"] == "unanswered"


@pytest.mark.parametrize("callee", ["voicemail", "answer", "busy", "press:*", "press:5"])
def test_voicemail_silence_busy_or_a_wrong_key_is_not_an_acknowledgement(
    pager: Pager, callee: str
) -> None:
    alice = pager.contact("Alice", callee)
    alert_id = pager.fire(pager.endpoint(alice))
    pager.run()
    assert pager.alert(alert_id)["status"] == "open"
    assert pager.later(minutes=2) == 1  # called again, as after no answer
    assert pager.alert(alert_id)["status"] == "open"
    assert len(pager.calls()) == 2


def test_an_unanswered_step_escalates_to_the_next_after_its_wait(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    bob = pager.contact("Bob", "press:1")
    endpoint = pager.escalating_endpoint(call(alice), wait(5), call(bob))
    alert_id = pager.fire(endpoint)

    pager.run()
    pager.later(minutes=2)  # Alice's retry, unanswered too
    assert pager.numbers_called() == [pager.phone(alice)] * 2
    escalation = pager.alert(alert_id)["escalation"]
    assert (escalation["step"], escalation["status"]) == (2, "active")  # waiting five minutes
    waited_until = escalation["next_at"]

    assert pager.later(minutes=4) == 0
    assert pager.later(minutes=1) == 1
    detail = pager.alert(alert_id)
    assert pager.numbers_called() == [pager.phone(alice)] * 2 + [pager.phone(bob)]
    assert detail["calls"][-1]["created_at"] >= waited_until
    assert (detail["status"], detail["acknowledged_by"]) == (
        "acknowledged",
        f"simulator:{pager.phone(bob)}",
    )
    assert detail["escalation"]["status"] == "acknowledged"
    actions = pager.actions(alert_id)
    for action in ("escalation.waiting", "escalation.calling", "alert.acknowledged"):
        assert action in actions


def test_an_acknowledgement_by_keypress_stops_everything(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    bob = pager.contact("Bob", "press:1")
    carol = pager.contact("Carol", "press:1")
    endpoint = pager.escalating_endpoint(
        call(alice, bob), wait(1), call(carol), {"type": "repeat", "times": 3}
    )
    alert_id = pager.fire(endpoint)
    pager.run()
    # Both rang at once; Bob acknowledged, so Alice's pending retry is cancelled.
    assert sorted(pager.numbers_called()) == sorted([pager.phone(alice), pager.phone(bob)])
    detail = pager.alert(alert_id)
    assert detail["status"] == "acknowledged"
    assert {job["to_number"]: job["outcome"] for job in detail["jobs"]} == {
        pager.phone(alice): "acknowledged",
        pager.phone(bob): "acknowledged",
    }
    for _ in range(10):
        pager.later(minutes=30)
    assert len(pager.calls()) == 2  # no retry, no next step, no repeat
    assert detail["escalation"]["status"] == "acknowledged"


def test_acknowledging_through_the_api_stops_the_escalation(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    bob = pager.contact("Bob")
    alert_id = pager.fire(pager.escalating_endpoint(call(alice), wait(5), call(bob)))
    pager.run()
    ok(pager.client.post(f"{pager.org}/alerts/{alert_id}/acknowledge", headers=pager.auth))
    for _ in range(5):
        pager.later(minutes=10)
    assert pager.numbers_called() == [pager.phone(alice)]
    detail = pager.alert(alert_id)
    assert (detail["escalation"]["status"], detail["jobs"][0]["outcome"]) == (
        "acknowledged",
        "acknowledged",
    )


def test_a_resolve_from_the_monitoring_system_stops_the_escalation(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    bob = pager.contact("Bob")
    endpoint = pager.escalating_endpoint(call(alice), wait(5), call(bob))
    alert_id = pager.fire(endpoint, {"title": "API down", "dedup_key": "api"})
    pager.run()
    pager.later(minutes=2)
    resolved = ok(
        pager.client.post(
            f"/v1/hooks/{endpoint}",
            json={"dedup_key": "api", "status": "resolved", "title": "API down"},
            headers={"X-Alert-Key": pager.ingest_key},
        ),
        202,
    )
    assert (resolved["alert_id"], resolved["outcome"]) == (alert_id, "resolved")
    for _ in range(5):
        pager.later(minutes=10)
    assert pager.numbers_called() == [pager.phone(alice)] * 2  # Bob never rang
    assert pager.alert(alert_id)["escalation"]["status"] == "resolved"


def test_repeat_runs_the_chain_again_then_the_escalation_is_exhausted(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.escalating_endpoint(call(alice), wait(10), {"type": "repeat", "times": 2})
    alert_id = pager.fire(endpoint)
    for _ in range(12):
        pager.later(minutes=5)
    # Three rounds, each a call and its retry.
    assert pager.numbers_called() == [pager.phone(alice)] * 6
    detail = pager.alert(alert_id)
    assert detail["escalation"]["status"] == "exhausted"
    assert detail["status"] == "open"  # still visible: nobody acknowledged it
    assert pager.actions(alert_id).count("escalation.repeated") == 2
    assert {job["round"] for job in detail["jobs"]} == {1, 2, 3}


def test_key_9_stops_calls_to_that_number_and_the_escalation_goes_on(pager: Pager) -> None:
    alice = pager.contact("Alice", "press:99")  # 9, and 9 again to confirm
    bob = pager.contact("Bob", "no_answer")
    endpoint = pager.escalating_endpoint(
        call(alice), wait(1), call(bob), {"type": "repeat", "times": 1}
    )
    pager.fire(endpoint)
    pager.run()
    for _ in range(12):  # Bob's fourth call waits for his 3-per-15-minutes throttle
        pager.later(minutes=2)
    # Alice confirmed 9: never called again, not even in the repeat; Bob's step went ahead.
    assert pager.numbers_called().count(pager.phone(alice)) == 1
    assert pager.numbers_called().count(pager.phone(bob)) == 4
    listed = ok(pager.client.get(f"{pager.org}/do-not-call", headers=pager.auth))["items"]
    assert [(e["phone_e164"], e["source"]) for e in listed] == [(pager.phone(alice), "simulator")]
    # No new endpoint may name her, and a later alert does not call her either.
    refused = pager.client.post(
        f"{pager.org}/endpoints",
        json={"name": "Another", "contact_ids": [alice]},
        headers=pager.auth,
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "do_not_call"
    other = pager.fire(endpoint, {"title": "Another thing"})
    pager.run()
    assert pager.numbers_called().count(pager.phone(alice)) == 1
    assert pager.alert(other)["jobs"][0]["outcome"] == "stopped"


def test_stopping_a_number_through_the_api_cancels_its_pending_calls(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    bob = pager.contact("Bob")
    alert_id = pager.fire(pager.escalating_endpoint(call(alice), call(bob)))
    pager.run()  # Alice unanswered; her retry is pending
    stopped = ok(
        pager.client.post(
            f"{pager.org}/do-not-call", json={"number": pager.phone(alice)}, headers=pager.auth
        ),
        201,
    )
    assert stopped["calls_cancelled"] == 1
    pager.run()  # her step has nothing left: Bob is called at once
    assert pager.numbers_called() == [pager.phone(alice), pager.phone(bob)]
    assert pager.alert(alert_id)["status"] == "acknowledged"


def test_a_deleted_contact_is_passed_over_rather_than_stalling_the_escalation(
    pager: Pager,
) -> None:
    alice = pager.contact("Alice")
    bob = pager.contact("Bob")
    endpoint = pager.escalating_endpoint(call(alice), call(bob))
    ok(pager.client.delete(f"{pager.org}/contacts/{alice}", headers=pager.auth), 204)
    alert_id = pager.fire(endpoint)
    pager.run()
    assert pager.numbers_called() == [pager.phone(bob)]
    assert "escalation.contacts_missing" in pager.actions(alert_id)


def test_rules_route_by_payload_fields_and_the_default_catches_the_rest(pager: Pager) -> None:
    alice = pager.contact("Alice")
    bob = pager.contact("Bob")
    dba = pager.contact("DBA")
    endpoint = pager.endpoint(
        alice,
        bob,
        rules=[
            {
                "name": "database",
                "conditions": [{"field": "labels.team", "op": "in", "value": ["db"]}],
                # The name rules used for one contact before members could be paged: still
                # taken, and stored as what it means now.
                "action": {"type": "call_member", "contact_id": dba},
            },
            {
                "match": "any",
                "conditions": [
                    {"field": "severity", "op": "in", "value": ["critical"]},
                    {"field": "payload.priority", "op": "lte", "value": 1},
                ],
                "action": {"type": "call_all"},
            },
        ],
    )
    to_dba = pager.fire(endpoint, {"title": "Replication lag", "labels": {"team": "DB"}})
    to_all = pager.fire(endpoint, {"title": "Site down", "severity": "critical"})
    by_default = pager.fire(endpoint, {"title": "Certificate expires soon", "severity": "minor"})
    pager.run()

    def numbers(alert_id: str) -> list[str]:
        return sorted(job["to_number"] for job in pager.alert(alert_id)["jobs"])

    assert numbers(to_dba) == [pager.phone(dba)]
    assert numbers(to_all) == sorted([pager.phone(alice), pager.phone(bob)])
    assert numbers(by_default) == [pager.phone(alice)]
    received = pager.alert(to_dba)["timeline"][0]
    assert received["details"]["route"] == {
        "action": "call_contact",
        "rule": 0,
        "rule_name": "database",
        "contact_id": dba,
    }
    assert pager.alert(by_default)["timeline"][0]["details"]["route"]["rule"] is None


def test_an_alert_routed_to_a_deleted_policy_still_pages_the_primary(pager: Pager) -> None:
    alice = pager.contact("Alice")
    policy = pager.escalation(call(pager.contact("Bob")))
    endpoint = pager.endpoint(
        alice, rules=[{"action": {"type": "call_escalation", "escalation_id": policy}}]
    )
    # The API refuses to delete a policy in use, so only a direct database edit gets here.
    with pager.runtime.database.write() as session:
        session.delete(session.get(EscalationPolicy, policy))
    alert_id = pager.fire(endpoint)
    pager.run()
    assert pager.numbers_called() == [pager.phone(alice)]
    route = pager.alert(alert_id)["timeline"][0]["details"]["route"]
    assert route["action"] == "call_primary"
    assert "no longer exists" in route["fallback"]


def test_an_endpoint_template_is_what_the_call_says(pager: Pager) -> None:
    alice = pager.contact("Alice")
    endpoint = pager.endpoint(
        alice, template="{{ payload.service }} is {{ payload.state }}. Runbook {{ payload.rb }}."
    )
    alert_id = pager.fire(
        endpoint, {"title": "x", "service": "Checkout", "state": "failing", "rb": "seven"}
    )
    pager.run()
    [attempt] = pager.alert(alert_id)["calls"]
    assert attempt["spoken_text"] == "Checkout is failing. Runbook seven."


@pytest.mark.pager(rounds=1)
def test_a_throttled_call_is_delayed_not_dropped_and_a_later_call_carries_it(pager: Pager) -> None:
    alice = pager.contact("Alice", "answer")  # answers, presses nothing: stays open
    endpoint = pager.endpoint(alice)
    # Not critical, so neither is news that may skip the longer limits.
    first = pager.fire(endpoint, {"title": "Disk full", "severity": "major"})
    pager.run()
    pager.later(seconds=10)
    second = pager.fire(endpoint, {"title": "CPU high", "severity": "major"})
    pager.run()
    assert len(pager.calls()) == 1  # 1 call per minute per number: the second waits
    [held] = pager.alert(second)["jobs"]
    assert held["status"] == "pending"
    assert held["hold_reason"] == f"throttle: 1 per minute to {pager.phone(alice)}"
    assert held["held_until"] == held["next_attempt_at"]
    assert "call.throttled" in pager.actions(second)

    pager.later(seconds=49)
    assert len(pager.calls()) == 1
    pager.later(seconds=1)
    assert len(pager.calls()) == 2
    [call] = pager.alert(second)["calls"]
    # The call also reads the first alert, whose retry was due a minute later anyway.
    assert call["spoken_text"].startswith("2 open alerts. Alert one: ")
    assert "CPU high" in call["spoken_text"]
    assert "Disk full" in call["spoken_text"]
    assert "call.carried" in pager.actions(first)
    assert pager.alert(second)["jobs"][0]["held_until"] is None
    # The second's retry goes on its own; the first was called twice already.
    for _ in range(20):
        pager.later(minutes=1)
    assert len(pager.calls()) == 3
    assert len({c.key for c in pager.calls()}) == 3
    assert pager.alert(first)["jobs"][0]["outcome"] == "unanswered"


def storm(pager: Pager, severity: str) -> list[datetime]:
    """Twenty alerts to one number that answers and presses nothing; when each call began."""
    alice = pager.contact("Alice", "answer")
    endpoint = pager.endpoint(alice)
    alerts = [
        pager.fire(endpoint, {"title": f"Problem {n}", "severity": severity}) for n in range(20)
    ]
    for _ in range(4 * 60):
        pager.later(minutes=1)
    calls = [c for a in alerts for c in pager.alert(a)["calls"]]
    read = " ".join(c["spoken_text"] for c in calls)
    for n in range(20):
        assert f"Problem {n}." in read  # every alert was read to Alice in the end
    return sorted(datetime.fromisoformat(c["created_at"]) for c in calls)


@pytest.mark.pager(unanswered_retries=0, rounds=1)
def test_a_storm_to_one_number_is_bundled_and_spread_out_by_every_bucket(pager: Pager) -> None:
    started = storm(pager, "major")
    assert len(started) == 4  # five alerts a call
    gaps = [later - earlier for earlier, later in itertools.pairwise(started)]
    assert min(gaps) >= timedelta(minutes=1)
    for limit, window in ((3, 15), (7, 60), (15, 180)):
        # No window of that length holds more than the limit.
        assert all(
            started[i + limit] - started[i] >= timedelta(minutes=window)
            for i in range(len(started) - limit)
        )


@pytest.mark.pager(unanswered_retries=0, rounds=1)
def test_a_storm_of_critical_news_reaches_the_number_within_minutes(pager: Pager) -> None:
    """Before: per-number throttles held a new group's first page for 6.5 minutes (issue 14,
    finding 10). The first call about each new critical alert waits a minute at most."""
    started = storm(pager, "critical")
    assert len(started) == 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(started)]
    assert gaps == [timedelta(minutes=1)] * 3
