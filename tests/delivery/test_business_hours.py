"""Business hours, end to end: "weekdays 09:00-18:00 Europe/Kyiv -> call_all, otherwise
call_on_schedule", judged on the instant each alert arrives, on both sides of the boundary and
on both sides of a DST change; and the quiet actions, `notify` and `record`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete

from tests.delivery.pager import Pager
from tests.factories import ok
from tests.oncall.schedule_rows import attach_endpoint, project, schedule
from tocsin.core.ids import new_id
from tocsin.oncall.models import NotificationRule, Schedule

pytestmark = pytest.mark.pager(rounds=1, unanswered_retries=0)

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
OFFICE_HOURS = {
    "spans": [{"days": WEEKDAYS, "start": "09:00", "end": "18:00"}],
    "timezone": "Europe/Kyiv",
}


def _at(pager: Pager, instant: datetime) -> None:
    pager.clock.advance((instant - pager.clock.now()).total_seconds())


def _called_for(pager: Pager, endpoint: str, title: str) -> list[str]:
    before = len(pager.numbers_called())
    pager.fire(endpoint, {"title": title, "severity": "critical"})
    pager.run()
    return sorted(pager.numbers_called()[before:])


def test_office_hours_call_the_desk_and_nights_call_the_schedule(pager: Pager) -> None:
    desk_a = pager.contact("Desk A")
    desk_b = pager.contact("Desk B")
    ben, ben_phone = pager.member("Ben")
    nights = schedule(pager.runtime, pager.org_id, {"name": "Nights", "user_ids": [ben]})
    endpoint = pager.endpoint(
        desk_a,
        desk_b,
        rules=[
            {"name": "office", "hours": OFFICE_HOURS, "action": {"type": "call_all"}},
            {"name": "otherwise", "action": {"type": "call_on_schedule", "schedule_id": nights}},
        ],
    )
    desk = sorted([pager.phone(desk_a), pager.phone(desk_b)])
    on_call = [pager.phone(ben_phone)]

    # Thursday 1 January, winter (UTC+2): 09:00 in Kyiv is 07:00 UTC.
    _at(pager, datetime(2026, 1, 1, 6, 59, 30, tzinfo=UTC))
    assert _called_for(pager, endpoint, "a minute before nine") == on_call
    _at(pager, datetime(2026, 1, 1, 7, 0, tzinfo=UTC))
    assert _called_for(pager, endpoint, "nine o'clock") == desk
    _at(pager, datetime(2026, 1, 1, 15, 59, tzinfo=UTC))
    assert _called_for(pager, endpoint, "a minute before six") == desk
    _at(pager, datetime(2026, 1, 1, 16, 0, tzinfo=UTC))
    assert _called_for(pager, endpoint, "six o'clock") == on_call
    # Saturday: the schedule all day.
    _at(pager, datetime(2026, 1, 3, 10, 0, tzinfo=UTC))
    assert _called_for(pager, endpoint, "Saturday morning") == on_call

    # Monday 30 March, the day after Kyiv moved to summer time (UTC+3): 09:00 is 06:00 UTC,
    # an hour earlier in UTC than in winter, and 06:30 UTC is inside office hours now.
    _at(pager, datetime(2026, 3, 30, 5, 59, tzinfo=UTC))
    assert _called_for(pager, endpoint, "summer, before nine") == on_call
    _at(pager, datetime(2026, 3, 30, 6, 30, tzinfo=UTC))
    assert _called_for(pager, endpoint, "summer, half past nine") == desk
    _at(pager, datetime(2026, 3, 30, 15, 0, tzinfo=UTC))
    assert _called_for(pager, endpoint, "summer, six o'clock") == on_call


def test_the_timeline_names_the_rule_hours_chose(pager: Pager) -> None:
    desk = pager.contact("Desk")
    endpoint = pager.endpoint(
        desk,
        rules=[
            {"name": "office", "hours": OFFICE_HOURS, "action": {"type": "call_all"}},
            {"name": "after hours", "action": {"type": "record"}},
        ],
    )
    alert_id = pager.fire(endpoint, {"title": "night", "severity": "critical"})
    pager.run()
    received = pager.alert(alert_id)["timeline"][0]
    assert received["action"] == "alert.received"
    assert received["details"]["route"] == {
        "action": "record",
        "rule": 1,
        "rule_name": "after hours",
    }
    assert received["details"]["calls_queued"] == 0
    assert pager.numbers_called() == []
    assert pager.alert(alert_id)["status"] == "open"


def test_hours_without_a_zone_read_the_projects_zone_then_the_organizations(
    pager: Pager,
) -> None:
    desk = pager.contact("Desk")
    rules = [
        {
            "hours": {"spans": [{"days": WEEKDAYS, "start": "09:00", "end": "18:00"}]},
            "action": {"type": "call_all"},
        },
        {"action": {"type": "record"}},
    ]
    plain = pager.endpoint(desk, rules=rules)
    team = project(pager.runtime, pager.org_id, "Kyiv team", timezone="Europe/Kyiv")
    kyiv = pager.endpoint(desk, rules=rules)
    attach_endpoint(pager.runtime, kyiv, team)
    # 07:30 UTC on Thursday 1 January: 09:30 in Kyiv, 07:30 in the organization's zone (UTC).
    _at(pager, datetime(2026, 1, 1, 7, 30, tzinfo=UTC))
    assert _called_for(pager, plain, "org zone") == []
    assert _called_for(pager, kyiv, "project zone") == [pager.phone(desk)]


def sms_rule(pager: Pager, user_id: str, contact_id: str) -> None:
    with pager.runtime.database.write() as session:
        session.add(
            NotificationRule(
                id=new_id("nr"),
                org_id=pager.org_id,
                user_id=user_id,
                position=0,
                method="sms",
                contact_id=contact_id,
                delay_minutes=0,
                created_at=pager.clock.now(),
            )
        )


def _texted(pager: Pager) -> list[str]:
    path = pager.data_dir / "simulator" / "texts.log"
    if not path.exists():
        return []
    return [json.loads(line)["to"] for line in path.read_text().splitlines()]


def _escalation_events(pager: Pager, alert_id: str) -> list[str]:
    return [a for a in pager.actions(alert_id) if a.startswith("escalation.")]


def test_notify_texts_the_endpoints_contacts_and_calls_nobody(pager: Pager) -> None:
    desk = pager.contact("Desk")
    endpoint = pager.endpoint(desk, rules=[{"action": {"type": "notify"}}])

    alert_id = pager.fire(endpoint)
    pager.later(minutes=30)

    assert pager.numbers_called() == []
    assert _texted(pager) == [pager.phone(desk)]
    alert = pager.alert(alert_id)
    assert alert["status"] == "open"
    assert [job["channel"] for job in alert["jobs"]] == ["sms"]
    # Told, and nobody was to answer: no "nobody answered" alarm, no notice to the owners.
    assert "escalation.notified" in _escalation_events(pager, alert_id)
    assert "escalation.exhausted" not in _escalation_events(pager, alert_id)
    assert alert["escalation"]["status"] == "notified"
    notices = ok(pager.client.get(f"{pager.org}/notices", headers=pager.auth))
    assert not [n for n in notices["items"] if n["kind"] == "escalation_exhausted"]


def test_an_info_alert_notifies_by_default_and_a_rule_can_make_it_call(pager: Pager) -> None:
    desk = pager.contact("Desk")
    quiet = pager.endpoint(desk)
    loud = pager.endpoint(
        desk,
        rules=[
            {
                "conditions": [{"field": "severity", "op": "in", "value": ["info"]}],
                "action": {"type": "call_all"},
            }
        ],
    )

    told = pager.fire(quiet, {"title": "Backup finished", "severity": "info"})
    pager.run()
    assert pager.numbers_called() == []
    assert _texted(pager) == [pager.phone(desk)]
    route = pager.alert(told)["timeline"][0]["details"]["route"]
    assert route == {"action": "notify", "rule": None}

    pager.fire(loud, {"title": "Backup finished", "severity": "info"})
    pager.run()
    assert pager.numbers_called() == [pager.phone(desk)]


def test_minor_alerts_still_call_by_default(pager: Pager) -> None:
    desk = pager.contact("Desk")
    endpoint = pager.endpoint(desk)
    pager.fire(endpoint, {"title": "Disk 80% full", "severity": "warning"})
    pager.run()
    assert pager.numbers_called() == [pager.phone(desk)]


def test_notify_tells_members_by_their_text_rules_only(pager: Pager) -> None:
    ana, ana_sms = pager.member("Ana", channel="sms")
    sms_rule(pager, ana, ana_sms)
    ben, _ = pager.member("Ben")  # a voice number only, and no rules: calls only
    team = project(pager.runtime, pager.org_id, "Team", ana, ben)
    endpoint = pager.endpoint(rules=[{"action": {"type": "notify", "project_id": team}}])

    alert_id = pager.fire(endpoint)
    pager.later(minutes=10)

    assert pager.numbers_called() == []
    assert _texted(pager) == [pager.phone(ana_sms)]
    unreachable = [
        e["details"]
        for e in pager.alert(alert_id)["timeline"]
        if e["action"] == "escalation.member_unreachable"
    ]
    assert unreachable == [
        {
            "step": 1,
            "round": 1,
            "user_id": ben,
            "reason": "no text or e-mail notification rule",
            "escalation_id": pager.alert(alert_id)["escalation"]["id"],
        }
    ]


def test_notify_naming_something_gone_tells_the_endpoints_contacts(pager: Pager) -> None:
    desk = pager.contact("Desk")
    ana, _ = pager.member("Ana")
    nights = schedule(pager.runtime, pager.org_id, {"name": "Nights", "user_ids": [ana]})
    endpoint = pager.endpoint(desk, rules=[{"action": {"type": "notify", "schedule_id": nights}}])
    with pager.runtime.database.write() as session:
        session.execute(delete(Schedule).where(Schedule.id == nights))
    alert_id = pager.fire(endpoint)
    pager.run()
    route = pager.alert(alert_id)["timeline"][0]["details"]["route"]
    assert route["action"] == "notify"
    assert route["fallback"] == "schedule no longer exists; notifying the endpoint's contacts"
    assert pager.numbers_called() == []
    assert _texted(pager) == [pager.phone(desk)]


def test_record_tells_nobody_and_starts_no_escalation(pager: Pager) -> None:
    desk = pager.contact("Desk")
    endpoint = pager.endpoint(desk, rules=[{"action": {"type": "record"}}])
    alert_id = pager.fire(endpoint)
    pager.later(minutes=60)
    alert = pager.alert(alert_id)
    assert alert["status"] == "open"
    assert alert["jobs"] == []
    assert alert["escalation"] is None
    assert pager.numbers_called() == []
    assert _texted(pager) == []


@pytest.mark.parametrize("action", ["notify", "call_all", "call_primary"])
def test_a_route_with_nobody_to_page_is_said_and_told(pager: Pager, action: str) -> None:
    endpoint = pager.endpoint(rules=[{"action": {"type": action}}])  # no contacts at all
    alert_id = pager.fire(endpoint)
    pager.run()
    nobody = [
        e["details"]
        for e in pager.alert(alert_id)["timeline"]
        if e["action"] == "alert.nobody_paged"
    ]
    assert nobody == [{"endpoint_id": endpoint, "action": action, "reason": "no_contacts"}]
    notices = ok(pager.client.get(f"{pager.org}/notices", headers=pager.auth))["items"]
    assert [n["kind"] for n in notices if n["kind"] == "nobody_paged"] == ["nobody_paged"]


def test_record_on_an_endpoint_without_contacts_is_quiet_by_design(pager: Pager) -> None:
    endpoint = pager.endpoint(rules=[{"action": {"type": "record"}}])
    alert_id = pager.fire(endpoint)
    assert "alert.nobody_paged" not in pager.actions(alert_id)
