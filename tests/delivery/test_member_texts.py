"""A member told by text (SMS) or e-mail, through their notification rules: what is sent, what
stops it, what the alert's timeline says, and that telling is never taken for an answer.

The simulator is the provider here; tests/delivery/test_member_texts_rest.py sends the same
texts through the HTTP fakes of Twilio and Plivo.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests import seeded
from tests.delivery.pager import Pager
from tests.delivery.test_paging_people import _rules
from tocsin.accounts.service import get_user
from tocsin.core.actors import Actor
from tocsin.core.ids import new_id
from tocsin.core.throttle import VOICE_PER_NUMBER
from tocsin.engine import texting
from tocsin.engine.settings import Dialer
from tocsin.engine.worker import Worker
from tocsin.mail.models import OutboundEmail
from tocsin.paging.destinations import recent_calls
from tocsin.paging.leases import claim_due_jobs
from tocsin.paging.models import CallAttempt
from tocsin.telephony.base import (
    CallHandle,
    CallRequest,
    Capabilities,
    ProviderError,
)
from tocsin.telephony.inbound import InboundText
from tocsin.trust.inbound_texts import receive_text

pytestmark = [pytest.mark.pager(rounds=1, unanswered_retries=0)]

FIRED = {"title": "Disk full on db1", "severity": "critical"}


def _calls(detail: dict[str, Any], channel: str) -> list[dict[str, Any]]:
    return [call for call in detail["calls"] if call["channel"] == channel]


def _timeline(detail: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [entry for entry in detail["timeline"] if entry["action"] == action]


def _texted_member(pager: Pager, behaviour: str = "no_answer") -> tuple[str, str, str]:
    """A member told by text at once: (user id, their SMS contact, its number)."""
    ana, sms_contact = pager.member("Ana", channel="sms")
    _rules(pager, ana, ("sms", sms_contact, 0))
    return ana, sms_contact, pager.phone(sms_contact)


def test_an_sms_rule_texts_the_member_once_and_is_not_an_acknowledgement(pager: Pager) -> None:
    ana, _, number = _texted_member(pager)
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])

    alert_id = pager.fire(endpoint, FIRED)
    pager.run()
    pager.later(minutes=30)

    [text] = pager.simulator.texts_to(number)
    [attempt] = _calls(pager.alert(alert_id), "sms")
    reference = attempt["reply_code"]
    assert re.fullmatch("[A-HJKMNP-Z][2-9]", reference)
    assert text["body"] == (
        f"Tocsin CRITICAL #{reference}: Disk full on db1. Reply 1 to acknowledge, 2 to resolve. "
        "Reply STOP to opt out."
    )
    assert pager.numbers_called() == []  # a text job never takes the voice path
    detail = pager.alert(alert_id)
    # Telling is not an answer: the alert stays open, and its escalation ran out as for an
    # unanswered call.
    assert detail["status"] == "open"
    assert detail["acknowledged_user_id"] is None
    assert "escalation.exhausted" in [e["action"] for e in detail["timeline"]]
    [attempt] = _calls(detail, "sms")
    assert (attempt["status"], attempt["to_number"], attempt["spoken_text"]) == (
        "sent",
        number,
        text["body"],
    )
    assert attempt["provider_call_id"] == text["message_id"]
    [job] = detail["jobs"]
    assert (job["channel"], job["status"], job["outcome"]) == ("sms", "done", "sent")
    [sent] = _timeline(detail, "text.sent")
    assert sent["details"]["to"] == number
    assert sent["details"]["simulated"] is True


def test_a_text_is_not_counted_against_the_plans_call_caps(pager: Pager) -> None:
    ana, _, _ = _texted_member(pager)
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])

    pager.fire(endpoint, FIRED)
    pager.run()

    with pager.runtime.database.read() as session:
        [attempt] = session.scalars(select(CallAttempt)).all()
    assert attempt.channel == "sms"
    assert (attempt.billed_day_starts_at, attempt.billed_cents) == (None, 0)


def _texts_stop(pager: Pager, number: str) -> None:
    """`number` texts STOP to one of the platform's numbers, as a verified webhook delivers it."""
    with pager.runtime.database.write() as session:
        receive_text(
            session,
            provider="twilio",
            account_id=None,
            text=InboundText(new_id("SM"), number, "+447400000001", "STOP"),
            opt_out_url="http://tocsin.test/opt-out",
            now=pager.clock.now(),
        )


def test_a_number_that_texted_stop_gets_no_text_and_the_timeline_says_why(pager: Pager) -> None:
    ana, _, number = _texted_member(pager)
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])
    _texts_stop(pager, number)

    alert_id = pager.fire(endpoint, FIRED)
    pager.run()

    assert pager.simulator.texts_to(number) == []
    detail = pager.alert(alert_id)
    assert detail["calls"] == []
    [skipped] = _timeline(detail, "text.skipped")
    # A STOP opts the number out of calls too, which is checked first, as for a call.
    assert skipped["details"]["reason"] == "platform_opt_out"
    [job] = detail["jobs"]
    assert (job["status"], job["outcome"]) == ("done", "stopped")


def test_verifying_the_number_again_allows_calls_but_not_texts_until_start(pager: Pager) -> None:
    ana, sms_contact, number = _texted_member(pager)
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])
    _texts_stop(pager, number)
    pager.later(minutes=1)
    seeded.verify(pager.runtime, pager.org_id, sms_contact, by=Actor("user", ana))

    alert_id = pager.fire(endpoint, FIRED)
    pager.run()

    assert pager.simulator.texts_to(number) == []
    [skipped] = _timeline(pager.alert(alert_id), "text.skipped")
    assert skipped["details"]["reason"] == "sms_stopped"


def test_a_member_who_opted_out_of_calls_is_not_texted_either(pager: Pager) -> None:
    """The checks a call to the number would pass apply to a text: here, the number is on the
    organization's do-not-call list."""
    ana, _, number = _texted_member(pager)
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])
    pager.client.post(
        f"{pager.org}/do-not-call", json={"number": number}, headers=pager.auth
    ).raise_for_status()

    alert_id = pager.fire(endpoint, FIRED)
    pager.run()

    assert pager.simulator.texts_to(number) == []
    [skipped] = _timeline(pager.alert(alert_id), "text.skipped")
    assert skipped["details"]["reason"] == "do_not_call"


def test_the_attempt_is_written_before_the_send_and_a_crash_between_never_sends_twice(
    pager: Pager,
) -> None:
    ana, _, number = _texted_member(pager)
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])
    alert_id = pager.fire(endpoint, FIRED)
    # A worker claims the job and commits the attempt row, then dies before sending.
    dead = Dialer(worker_id="dead-worker", settings=pager.settings)
    now = pager.clock.now()
    with pager.runtime.database.write() as session:
        [job_id] = claim_due_jobs(
            session,
            worker_id="dead-worker",
            now=now,
            lease=pager.settings.lease,
            limit=10,
            skip_locked=False,
        )
        planned = texting.plan_text(
            session,
            job_id=job_id,
            now=now,
            dialer=dead,
            can_text=True,
            public_base_url="http://tocsin.test",
        )
    assert planned is not None
    [sending] = _calls(pager.alert(alert_id), "sms")
    assert sending["status"] == "sending"

    # While the dead worker's lease lasts, nobody else touches the job.
    pager.run()
    assert _calls(pager.alert(alert_id), "sms")[0]["status"] == "sending"
    # Once it expires (after the sending deadline), the text is settled as unknown: it may
    # have gone out, so it is never sent again.
    pager.later(seconds=pager.settings.lease.total_seconds() + 1)

    assert pager.simulator.texts_to(number) == []
    detail = pager.alert(alert_id)
    [attempt] = _calls(detail, "sms")
    assert attempt["status"] == "unknown"
    [job] = detail["jobs"]
    assert (job["status"], job["outcome"], job["attempts"]) == ("done", "unknown", 1)
    assert _timeline(detail, "text.unconfirmed")
    assert "escalation.exhausted" in [e["action"] for e in detail["timeline"]]


class _TrunkOnly:
    """A provider that places calls and sends no texts, as a SIP trunk is."""

    name = "sip"
    capabilities = Capabilities()

    async def dial(self, request: CallRequest) -> CallHandle:
        raise ProviderError("trunk down", retry_safe=True, user_message="down", code="down")

    async def lookup(self, idempotency_key: str) -> None:
        return None


def test_an_organization_that_can_only_call_records_that_it_cannot_text(pager: Pager) -> None:
    ana, _, number = _texted_member(pager)
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])
    worker = Worker(
        pager.runtime.database,
        _TrunkOnly(),
        clock=pager.clock,
        settings=pager.settings,
        worker_id="sip-worker",
    )

    alert_id = pager.fire(endpoint, FIRED)
    asyncio.run(worker.run_until_idle())

    detail = pager.alert(alert_id)
    assert detail["calls"] == []
    [skipped] = _timeline(detail, "text.skipped")
    assert skipped["details"]["reason"] == "cannot_text"
    assert "SIP trunk" in skipped["details"]["detail"]
    [job] = detail["jobs"]
    assert (job["status"], job["outcome"]) == ("failed", "not_sent")
    assert "escalation.exhausted" in [e["action"] for e in detail["timeline"]]
    notices = pager.client.get(f"{pager.org}/notices", headers=pager.auth).json()["items"]
    assert "cannot_text" in {notice["kind"] for notice in notices}
    assert number  # texted by nobody


def test_an_email_rule_mails_the_member_a_link_to_the_alert(pager: Pager) -> None:
    ana, _ = pager.member("Ana")
    _rules(pager, ana, ("email", None, 0))
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])

    alert_id = pager.fire(endpoint, FIRED)
    pager.run()

    with pager.runtime.database.read() as session:
        [mail] = session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "alert")).all()
        email = get_user(session, ana).email
    link = f"{pager.runtime.settings.public_base_url}/o/{pager.org_id}/alerts/{alert_id}"
    assert (mail.to_address, mail.user_id, mail.status) == (email, ana, "pending")
    assert mail.subject == "[Tocsin CRITICAL] Disk full on db1"
    assert link in mail.body_text
    assert f'href="{link}"' in mail.body_html
    detail = pager.alert(alert_id)
    assert detail["status"] == "open"
    [attempt] = _calls(detail, "email")
    assert (attempt["status"], attempt["to_number"], attempt["provider_call_id"]) == (
        "sent",
        ana,
        mail.id,
    )
    [queued] = _timeline(detail, "email.queued")
    assert queued["details"]["user_id"] == ana


def test_an_unverified_address_gets_no_mail_and_the_owners_are_told(pager: Pager) -> None:
    ben = seeded.member(pager.runtime, pager.org_id, email_verified=False).user_id
    _rules(pager, ben, ("email", None, 0))
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ben}}])

    alert_id = pager.fire(endpoint, FIRED)
    pager.run()

    with pager.runtime.database.read() as session:
        assert (
            session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "alert")).all() == []
        )
    detail = pager.alert(alert_id)
    [skipped] = _timeline(detail, "email.skipped")
    assert skipped["details"]["reason"] == "address_unverified"
    [job] = detail["jobs"]
    assert (job["channel"], job["status"], job["outcome"]) == ("email", "failed", "not_sent")
    notices = pager.client.get(f"{pager.org}/notices", headers=pager.auth).json()["items"]
    assert "email_unverified" in {notice["kind"] for notice in notices}


def _told_at(pager: Pager, alert_id: str, fired_at: datetime) -> dict[int, set[tuple[str, str]]]:
    """Every attempt of the alert as (channel, number), by the minute after `fired_at` it was
    made. Sets: jobs due at the same instant may be taken in any order."""
    told: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for call in pager.alert(alert_id)["calls"]:
        at = datetime.fromisoformat(call["created_at"])
        minute = int((at - fired_at) / timedelta(minutes=1))
        told[minute].add((call["channel"], call["to_number"]))
    return dict(told)


def test_call_mobile_and_text_at_once_then_call_the_desk_at_three_minutes(pager: Pager) -> None:
    ana, mobile = pager.member("Ana", "no_answer")
    _, sms_contact = pager.member("Ana's texts", user_id=ana, channel="sms")
    _, desk = pager.member("Ana's desk", "press:1", user_id=ana)
    _rules(pager, ana, ("voice", mobile, 0), ("sms", sms_contact, 0), ("voice", desk, 3))
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])
    fired_at = pager.clock.now()

    alert_id = pager.fire(endpoint, FIRED)
    pager.run()
    for _ in range(3):
        assert pager.alert(alert_id)["status"] == "open"  # the text answered nothing
        pager.later(minutes=1)

    assert _told_at(pager, alert_id, fired_at) == {
        0: {("voice", pager.phone(mobile)), ("sms", pager.phone(sms_contact))},
        3: {("voice", pager.phone(desk))},
    }
    detail = pager.alert(alert_id)
    assert detail["status"] == "acknowledged"  # by the desk's key, after the text
    calling = _timeline(detail, "escalation.calling")[0]["details"]["notifications"]
    assert calling == [
        {"user_id": ana, "method": "voice", "number": pager.phone(mobile)},
        {"user_id": ana, "method": "sms", "number": pager.phone(sms_contact)},
        {"user_id": ana, "method": "voice", "number": pager.phone(desk), "after_minutes": 3},
    ]


def test_texts_do_not_fill_the_numbers_call_throttle(pager: Pager) -> None:
    """Texts ring no phone: four texts to a number inside a quarter of an hour leave its call
    throttle (3 per 15 minutes) empty, and do not make a call about the alert old news."""
    ana, _, number = _texted_member(pager)
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])
    for n in range(4):
        pager.fire(endpoint, {**FIRED, "title": f"Disk full on db{n + 1}"})
        pager.run()
        pager.later(minutes=1)

    assert len(pager.simulator.texts_to(number)) == 4
    with pager.runtime.database.read() as session:
        assert (
            recent_calls(session, number=number, now=pager.clock.now(), buckets=VOICE_PER_NUMBER)
            == []
        )


def test_an_acknowledgement_cancels_a_text_not_yet_due(pager: Pager) -> None:
    ana, mobile = pager.member("Ana", "press:1")
    _, sms_contact = pager.member("Ana's texts", user_id=ana, channel="sms")
    _rules(pager, ana, ("voice", mobile, 0), ("sms", sms_contact, 5))
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])

    alert_id = pager.fire(endpoint, FIRED)
    pager.run()
    pager.later(minutes=10)

    assert pager.simulator.texts_to(pager.phone(sms_contact)) == []
    detail = pager.alert(alert_id)
    assert detail["status"] == "acknowledged"
    [text_job] = [job for job in detail["jobs"] if job["channel"] == "sms"]
    assert (text_job["status"], text_job["outcome"]) == ("cancelled", "acknowledged")


def test_a_text_still_within_its_sending_deadline_is_waited_for_not_settled(pager: Pager) -> None:
    """With a lease shorter than the sending deadline, the dead worker's job is taken over
    while its send could still be under way: it waits for the deadline, then is unknown."""
    settings = replace(
        pager.settings, lease=timedelta(seconds=10), send_deadline=timedelta(seconds=45)
    )
    ana, _, number = _texted_member(pager)
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])
    alert_id = pager.fire(endpoint, FIRED)
    now = pager.clock.now()
    with pager.runtime.database.write() as session:
        [job_id] = claim_due_jobs(
            session, worker_id="dead", now=now, lease=settings.lease, limit=1, skip_locked=False
        )
        texting.plan_text(
            session,
            job_id=job_id,
            now=now,
            dialer=Dialer(worker_id="dead", settings=settings),
            can_text=True,
            public_base_url="http://tocsin.test",
        )
    worker = Worker(
        pager.runtime.database,
        pager.simulator,
        clock=pager.clock,
        settings=settings,
        worker_id="alive",
    )

    pager.clock.advance(11)
    asyncio.run(worker.run_until_idle())
    [job] = pager.alert(alert_id)["jobs"]
    assert job["status"] == "awaiting"
    assert _calls(pager.alert(alert_id), "sms")[0]["status"] == "sending"

    pager.clock.advance(35)
    asyncio.run(worker.run_until_idle())
    assert _calls(pager.alert(alert_id), "sms")[0]["status"] == "unknown"
    assert pager.simulator.texts_to(number) == []
