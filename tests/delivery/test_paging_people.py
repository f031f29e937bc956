"""Steps that page people rather than numbers: a member through their notification rules, every
member of a project, and what the timeline says when a step finds nobody to tell."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from tests.delivery.pager import Pager
from tests.oncall.schedule_rows import project
from tocsin.accounts.models import Membership
from tocsin.core.actors import Actor
from tocsin.core.ids import new_id
from tocsin.numbers import consent
from tocsin.numbers.consent import Withdrawal
from tocsin.oncall.models import NotificationRule

pytestmark = pytest.mark.pager(rounds=1)


def _rules(pager: Pager, user_id: str, *rules: tuple[str, str | None, int]) -> None:
    now = pager.clock.now()
    with pager.runtime.database.write() as session:
        for position, (method, contact_id, delay) in enumerate(rules):
            session.add(
                NotificationRule(
                    id=new_id("nr"),
                    org_id=pager.org_id,
                    user_id=user_id,
                    position=position,
                    method=method,
                    contact_id=contact_id,
                    delay_minutes=delay,
                    created_at=now,
                )
            )


def _project(pager: Pager, name: str, *user_ids: str) -> str:
    return project(pager.runtime, pager.org_id, name, *user_ids)


def test_a_member_without_rules_is_called_on_their_first_verified_number(pager: Pager) -> None:
    ana, ana_phone = pager.member("Ana")
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])

    alert_id = pager.fire(endpoint)
    pager.run()

    assert pager.numbers_called() == [pager.phone(ana_phone)]
    alert = pager.alert(alert_id)
    assert alert["status"] == "acknowledged"
    # The simulator pressed that key, not Ana: a simulated call is never a person's answer
    # (tests/telephony/rest/test_member_acknowledgement.py has a person's key on a real call).
    assert alert["acknowledged_by"].startswith("simulator:")
    assert alert["acknowledged_user_id"] is None
    [job] = alert["jobs"]
    assert job["user_id"] == ana
    assert job["channel"] == "voice"


def test_a_number_the_owner_verified_for_a_member_is_not_theirs_to_be_woken_on(
    pager: Pager,
) -> None:
    ana, _ = pager.member("Ana", verified_by_self=False)
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])

    alert_id = pager.fire(endpoint)
    pager.run()

    assert pager.numbers_called() == []
    timeline = pager.alert(alert_id)["timeline"]
    unreachable = [e for e in timeline if e["action"] == "escalation.member_unreachable"]
    assert unreachable
    assert unreachable[0]["details"]["user_id"] == ana
    assert "escalation.exhausted" in [e["action"] for e in timeline]


def test_notification_rules_are_followed_in_order_with_their_delays(pager: Pager) -> None:
    ana, mobile = pager.member("Ana", "no_answer")
    _, desk = pager.member("Ana's desk", "press:1", user_id=ana)
    _rules(pager, ana, ("voice", mobile, 0), ("voice", desk, 3))
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])

    alert_id = pager.fire(endpoint)
    pager.run()
    assert pager.numbers_called() == [pager.phone(mobile)]

    pager.later(minutes=3)
    # The mobile's retry (due at 2 minutes) and the desk (due at 3) are both due when the clock
    # jumps to 3: which one a worker takes first is not the test's business, only that both go.
    assert sorted(pager.numbers_called()[1:]) == sorted([pager.phone(mobile), pager.phone(desk)])
    alert = pager.alert(alert_id)
    assert alert["status"] == "acknowledged"
    calling = [e for e in alert["timeline"] if e["action"] == "escalation.calling"]
    assert calling[0]["details"]["notifications"] == [
        {"user_id": ana, "method": "voice", "number": pager.phone(mobile)},
        {"user_id": ana, "method": "voice", "number": pager.phone(desk), "after_minutes": 3},
    ]


def test_an_acknowledgement_cancels_the_members_later_notifications(pager: Pager) -> None:
    ana, mobile = pager.member("Ana", "press:1")
    _, desk = pager.member("Ana's desk", "press:1", user_id=ana)
    _rules(pager, ana, ("voice", mobile, 0), ("voice", desk, 5))
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])

    pager.fire(endpoint)
    pager.run()
    pager.later(minutes=10)

    assert pager.numbers_called() == [pager.phone(mobile)]


def test_someone_elses_number_in_my_rules_is_never_called(pager: Pager) -> None:
    ana, mobile = pager.member("Ana", "no_answer")
    ben, bens = pager.member("Ben", "press:1")
    # A rule that names Ben's number as Ana's (written around the commands' checks).
    _rules(pager, ana, ("voice", mobile, 0), ("voice", bens, 0))
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])

    pager.fire(endpoint)
    pager.run()

    assert pager.numbers_called() == [pager.phone(mobile)]
    assert ben  # Ben exists and was not called


def test_a_project_pages_every_member_and_the_timeline_names_them(pager: Pager) -> None:
    ana, ana_phone = pager.member("Ana", "no_answer")
    ben, ben_phone = pager.member("Ben", "press:1")
    platform = _project(pager, "Platform", ana, ben)
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_project", "project_id": platform}}])

    alert_id = pager.fire(endpoint)
    pager.run()

    assert sorted(pager.numbers_called()) == sorted(
        [pager.phone(ana_phone), pager.phone(ben_phone)]
    )
    alert = pager.alert(alert_id)
    calling = [e for e in alert["timeline"] if e["action"] == "escalation.calling"]
    assert calling[0]["details"]["on_call"] == ["Platform: Ana, Ben"]


def test_a_project_with_nobody_in_it_is_said_and_the_owners_told(pager: Pager) -> None:
    empty = _project(pager, "Nobody home")
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_project", "project_id": empty}}])

    alert_id = pager.fire(endpoint)
    pager.run()

    actions = pager.actions(alert_id)
    assert "escalation.nobody_on_call" in actions
    assert "escalation.exhausted" in actions
    notices = pager.client.get(f"{pager.org}/notices", headers=pager.auth).json()["items"]
    assert {"nobody_on_call", "escalation_exhausted"} <= {n["kind"] for n in notices}


def test_an_escalation_step_may_mix_contacts_and_members(pager: Pager) -> None:
    desk = pager.contact("NOC desk", "no_answer")
    ana, ana_phone = pager.member("Ana", "press:1")
    endpoint = pager.escalating_endpoint({"type": "call", "contact_ids": [desk], "user_ids": [ana]})

    alert_id = pager.fire(endpoint)
    pager.run()

    assert sorted(pager.numbers_called()) == sorted([pager.phone(desk), pager.phone(ana_phone)])
    assert pager.alert(alert_id)["status"] == "acknowledged"


def test_a_member_removed_from_the_organization_is_missing_not_called(pager: Pager) -> None:
    ana, ana_phone = pager.member("Ana", "press:1")
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])
    with pager.runtime.database.write() as session:
        session.execute(delete(Membership).where(Membership.user_id == ana))

    alert_id = pager.fire(endpoint)
    pager.run()

    assert pager.phone(ana_phone) not in pager.numbers_called()
    route = pager.alert(alert_id)["timeline"][0]["details"]["route"]
    assert route["fallback"] == "member no longer exists; calling the primary contact"


def test_a_rule_whose_number_lost_its_consent_is_passed_over_loudly(pager: Pager) -> None:
    """Ana's desk phone was verified, then its consent withdrawn (the number changed hands, say):
    her mobile is still called, and the rule that can no longer be followed is on the alert's
    timeline and told to the owners, not dropped without a word."""
    ana, mobile = pager.member("Ana", "no_answer")
    _, desk = pager.member("Ana", "press:1", user_id=ana)
    _rules(pager, ana, ("voice", mobile, 0), ("voice", desk, 0))
    with pager.runtime.database.write() as session:
        consent.withdraw(
            session,
            org_id=pager.org_id,
            number=pager.phone(desk),
            contact_id=desk,
            reason=Withdrawal.NUMBER_CHANGED,
            actor=Actor("user", ana),
            now=pager.clock.now(),
        )
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])

    alert_id = pager.fire(endpoint)
    pager.run()

    assert pager.numbers_called() == [pager.phone(mobile)]
    passed_over = [
        e["details"]
        for e in pager.alert(alert_id)["timeline"]
        if e["action"] == "escalation.member_unreachable"
    ]
    assert [(d["user_id"], d["contact_id"], d["method"]) for d in passed_over] == [
        (ana, desk, "voice")
    ]
    assert "no longer verified" in passed_over[0]["reason"]
    notices = pager.client.get(f"{pager.org}/notices", headers=pager.auth).json()["items"]
    [told] = [n for n in notices if n["kind"] == "member_unreachable"]
    assert "passed over" in told["message"]
