"""A call stopped by an opt-out or a do-not-call entry is said on the alert's timeline and to
the owners of every organization it stopped (issue 16, review finding: a platform opt-out
cancelled other organizations' pages silently, and their owners were told "Nobody answered")."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.delivery.pager import MakePager, Pager, uk_mobile
from tests.factories import ok
from tocsin.audit.log import SYSTEM
from tocsin.audit.models import Notice
from tocsin.messages import sms
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.telephony.inbound import InboundText
from tocsin.trust.enforcement import take_action
from tocsin.trust.inbound_texts import receive_text

pytestmark = [pytest.mark.pager(rounds=1)]


def notices(pager: Pager) -> dict[str, list[str]]:
    with pager.runtime.database.read() as session:
        rows = session.scalars(select(Notice).where(Notice.org_id == pager.org_id)).all()
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.kind, []).append(row.message)
    return found


def text_stop(pager: Pager, number: str) -> None:
    """`number` texts STOP to the platform's number: a platform opt-out."""
    text = InboundText(
        message_id="SM" + "1" * 32, from_number=number, to_number="+447400000001", body="STOP"
    )
    with pager.runtime.database.write() as session:
        received = receive_text(
            session,
            provider="twilio",
            account_id=None,
            text=text,
            opt_out_url="http://tocsin.test/opt-out",
            now=pager.clock.now(),
        )
    assert received.reply == sms.stop_confirmation()


def timeline(pager: Pager, alert_id: str, action: str) -> list[dict[str, object]]:
    return [e for e in pager.alert(alert_id)["timeline"] if e["action"] == action]


def test_a_platform_stop_is_on_every_organizations_timeline_and_told_to_their_owners(
    pager: Pager, make_pager: MakePager
) -> None:
    """Issue 16, finding (review) 1: a STOP to the platform's number cancelled org B's page to
    Ana with nothing on B's timeline and a false "Nobody answered" notice."""
    number = uk_mobile()
    b = make_pager()
    ana_a = pager.contact("Ana", phone=number)
    ana_b = b.contact("Ana", phone=number)
    alert_a = pager.fire(pager.endpoint(ana_a))
    alert_b = b.fire(b.endpoint(ana_b))

    text_stop(pager, number)
    assert b.run() == 0

    for org, alert_id in ((pager, alert_a), (b, alert_b)):
        [job] = org.alert(alert_id)["jobs"]
        assert (job["status"], job["outcome"]) == ("cancelled", "stopped")
        [entry] = timeline(org, alert_id, "number.platform_opt_out")
        assert entry["details"]["number"] == number  # type: ignore[index]
        assert entry["details"]["by"] == "sms"  # type: ignore[index]
        told = notices(org)
        [message] = told["calls_stopped"]
        assert number in message
        assert "opted out" in message
        assert "texting STOP" in message
        assert not any("Nobody answered" in m for m in told.get("escalation_exhausted", []))


def test_after_an_opt_out_the_escalation_calls_the_next_step(pager: Pager) -> None:
    """Issue 16, finding (review) 1: the escalation moves on past a number that opted out."""
    ana, bob = pager.contact("Ana"), pager.contact("Bob")
    alert_id = pager.fire(pager.endpoint(ana, bob))
    text_stop(pager, pager.phone(ana))
    pager.run()
    assert pager.numbers_called() == [pager.phone(bob)]
    actions = pager.actions(alert_id)
    assert actions.index("number.platform_opt_out") < actions.index("escalation.calling")


def test_a_do_not_call_entry_through_the_api_is_on_the_timeline_and_told(pager: Pager) -> None:
    """Issue 16, finding (review) 1: the do-not-call list cancels calls loudly too."""
    ana = pager.contact("Ana")
    alert_id = pager.fire(pager.endpoint(ana))
    ok(
        pager.client.post(
            f"{pager.org}/do-not-call", json={"number": pager.phone(ana)}, headers=pager.auth
        ),
        201,
    )
    [entry] = timeline(pager, alert_id, "number.do_not_call")
    assert entry["details"]["source"] == "api"  # type: ignore[index]
    [message] = notices(pager)["calls_stopped"]
    assert "do-not-call" in message
    pager.run()
    told = notices(pager)
    assert not any("Nobody answered" in m for m in told.get("escalation_exhausted", []))
    [exhausted] = told["escalation_exhausted"]
    assert "do-not-call" in exhausted


def test_a_suspended_number_is_on_each_organizations_timeline_and_told(
    pager: Pager, make_pager: MakePager
) -> None:
    """Issue 16, finding (review) 1: enforcement on a number cancels other organizations'
    calls, so it says so to them too."""
    number = uk_mobile()
    b = make_pager()
    alert_b = b.fire(b.endpoint(b.contact("Ana", phone=number)))
    with pager.runtime.database.write() as session:
        take_action(
            session,
            kind=ActionKind.SUSPENSION,
            scope=ActionScope.NUMBER,
            target=number,
            reason="reported as harassment",
            actor=SYSTEM,
            now=pager.clock.now(),
        )
    [entry] = timeline(b, alert_b, "enforcement.suspension")
    assert entry["details"]["number"] == number  # type: ignore[index]
    [message] = notices(b)["calls_stopped"]
    assert number in message
