"""Paging whoever a schedule has on call: a rule `call_on_schedule` calls the member on call now,
an override made while the alert escalates changes whom the next step calls (nobody edits the
endpoint), and the timeline says who was on call and why, in the schedule's own words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.delivery.pager import Pager
from tests.oncall.schedule_rows import override, rotation, schedule

pytestmark = pytest.mark.pager(rounds=1, unanswered_retries=0)


def _on_call_words(pager: Pager, alert_id: str) -> list[list[str]]:
    timeline = pager.alert(alert_id)["timeline"]
    return [e["details"]["on_call"] for e in timeline if e["action"] == "escalation.calling"]


def test_a_rule_on_a_schedule_pages_the_member_on_call(pager: Pager) -> None:
    ana, ana_phone = pager.member("Ana")
    ben, ben_phone = pager.member("Ben")
    # A daily rotation, Ana's turn since yesterday 09:00 London: the clock reads 1 January 00:00.
    daily = rotation(
        pager.runtime, pager.org_id, ana, ben, unit="days",
        start=datetime(2025, 12, 31, 9, 0, tzinfo=UTC),
    )  # fmt: skip
    platform = schedule(pager.runtime, pager.org_id, {"name": "Primary", "rotation_id": daily})
    endpoint = pager.endpoint(
        rules=[{"action": {"type": "call_on_schedule", "schedule_id": platform}}]
    )

    alert_id = pager.fire(endpoint)
    pager.run()

    assert pager.numbers_called() == [pager.phone(ana_phone)]
    assert pager.phone(ben_phone) not in pager.numbers_called()
    alert = pager.alert(alert_id)
    assert alert["status"] == "acknowledged"
    assert alert["jobs"][0]["user_id"] == ana
    assert _on_call_words(pager, alert_id) == [["Platform primary: Ana (Primary layer)"]]


def test_an_override_switches_whom_the_next_step_calls(pager: Pager) -> None:
    ana, ana_phone = pager.member("Ana", "no_answer")
    ben, ben_phone = pager.member("Ben", "press:1")
    platform = schedule(pager.runtime, pager.org_id, {"name": "Primary", "user_ids": [ana]})
    step = {"type": "call", "schedule_ids": [platform]}
    endpoint = pager.escalating_endpoint(step, {"type": "wait", "minutes": 5}, step)

    alert_id = pager.fire(endpoint)
    pager.run()
    assert pager.numbers_called() == [pager.phone(ana_phone)]

    # Ana does not answer; Ben takes over for the night, on the schedule, not on the endpoint.
    override(
        pager.runtime, pager.org_id, platform, "replace", ben, replaces=ana, hours=12,
        starts_at=pager.clock.now(),
    )  # fmt: skip
    pager.later(minutes=6)

    assert pager.numbers_called() == [pager.phone(ana_phone), pager.phone(ben_phone)]
    alert = pager.alert(alert_id)
    assert alert["status"] == "acknowledged"
    assert _on_call_words(pager, alert_id) == [
        ["Platform primary: Ana (Primary layer)"],
        ["Platform primary: Ben (override for Ana)"],
    ]


def test_a_schedule_with_nobody_on_call_is_said(pager: Pager) -> None:
    ana, _ = pager.member("Ana")
    platform = schedule(
        pager.runtime,
        pager.org_id,
        {
            "name": "Office",
            "user_ids": [ana],
            # Thursday 1 January 00:00 is outside office hours.
            "restrictions": [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}],
        },
    )
    endpoint = pager.endpoint(
        rules=[{"action": {"type": "call_on_schedule", "schedule_id": platform}}]
    )

    alert_id = pager.fire(endpoint)
    pager.run()

    assert pager.numbers_called() == []
    nobody = [
        e for e in pager.alert(alert_id)["timeline"] if e["action"] == "escalation.nobody_on_call"
    ]
    assert nobody[0]["details"]["schedule_id"] == platform
