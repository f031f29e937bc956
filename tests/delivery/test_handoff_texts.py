"""Handoff notices by text: a member who takes texts (an SMS rule, or a verified SMS number) is
texted when they go on or off call, through the same gate as an alert's text, once and never
twice, and never counted against call caps. The simulator is the provider, then Twilio's HTTP
fake (tests/telephony/rest/fakes.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.delivery.pager import CALLER_ID, Pager
from tests.delivery.test_member_texts import _texts_stop
from tests.delivery.test_member_texts_rest import _twilio
from tests.delivery.test_paging_people import _rules
from tests.oncall import oncall_rows
from tests.telephony.rest.fakes import FakeTwilio
from tocsin.audit.models import AuditEvent, Notice
from tocsin.engine import member_texting
from tocsin.oncall import member_texts
from tocsin.oncall.handoffs import tell_handoffs
from tocsin.oncall.models import MemberText
from tocsin.paging.models import CallAttempt

AHEAD = timedelta(minutes=60)
# 2026-01-01 is a Thursday; 09:00 London is 09:00 UTC in winter.
ON_BODY = (
    "Tocsin: you are on call for Platform primary from Thu 1 Jan 09:00 (Europe/London). "
    "Reply STOP to opt out."
)


def _handoffs(pager: Pager) -> int:
    with pager.runtime.database.write() as session:
        return tell_handoffs(session, now=pager.clock.now(), ahead=AHEAD)


def _texted_member_on_days(pager: Pager, *, rule: bool = True) -> tuple[str, str]:
    """Ana, who takes texts, on call on weekdays from 09:00; the clock at 08:01."""
    ana, sms_contact = pager.member("Ana", channel="sms")
    if rule:
        _rules(pager, ana, ("sms", sms_contact, 0))
    oncall_rows.schedule(pager.runtime, pager.org_id, oncall_rows.working_hours(ana))
    pager.clock.advance(8 * 3600 + 60)
    return ana, pager.phone(sms_contact)


def _member_texts(pager: Pager) -> list[MemberText]:
    with pager.runtime.database.read() as session:
        return list(session.scalars(select(MemberText).order_by(MemberText.created_at)))


def _notices(pager: Pager, kind: str) -> list[Notice]:
    with pager.runtime.database.read() as session:
        return list(session.scalars(select(Notice).where(Notice.kind == kind)))


def _actions(pager: Pager) -> list[str]:
    with pager.runtime.database.read() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_handoff_notice_is_texted_once_and_is_no_call(pager: Pager) -> None:
    assert pager.clock.now().isoformat().startswith("2026-01-01T00:00")
    _, number = _texted_member_on_days(pager)

    assert _handoffs(pager) == 1
    assert asyncio.run(pager.worker.send_member_texts()) == 1
    # Another round of both: nothing new is said or sent.
    assert _handoffs(pager) == 0
    assert asyncio.run(pager.worker.send_member_texts()) == 0

    [text] = pager.simulator.texts_to(number)
    assert text["body"] == ON_BODY
    [row] = _member_texts(pager)
    assert (row.status, row.kind, row.message_id) == ("sent", "handoff_on", text["message_id"])
    assert "member_text.sent" in _actions(pager)
    with pager.runtime.database.read() as session:
        assert session.scalars(select(CallAttempt)).all() == []  # no call, no cap
    assert pager.numbers_called() == []


def test_a_verified_sms_number_without_a_rule_is_texted(pager: Pager) -> None:
    _, number = _texted_member_on_days(pager, rule=False)
    _handoffs(pager)
    asyncio.run(pager.worker.send_member_texts())
    assert [t["body"] for t in pager.simulator.texts_to(number)] == [ON_BODY]


def test_a_member_with_no_sms_number_gets_no_text(pager: Pager) -> None:
    ana, _ = pager.member("Ana", channel="voice")
    oncall_rows.schedule(pager.runtime, pager.org_id, oncall_rows.working_hours(ana))
    pager.clock.advance(8 * 3600 + 60)
    assert _handoffs(pager) == 1
    assert _member_texts(pager) == []


def test_a_number_that_texted_stop_is_not_texted_and_not_nagged(pager: Pager) -> None:
    _, number = _texted_member_on_days(pager)
    _texts_stop(pager, number)
    _handoffs(pager)
    asyncio.run(pager.worker.send_member_texts())
    assert pager.simulator.texts_to(number) == []
    [row] = _member_texts(pager)
    assert row.status == "not_sent"
    # STOP opts the number out of everything from Tocsin: the gate says so first.
    assert row.reason is not None
    assert row.reason.startswith("platform_opt_out")
    assert "member_text.skipped" in _actions(pager)
    assert _notices(pager, "member_text_failed") == []


def test_a_text_left_mid_send_is_unknown_and_never_sent(pager: Pager) -> None:
    ana, number = _texted_member_on_days(pager)
    _handoffs(pager)
    [(text_id, _)] = _queued(pager)
    # A worker marks it sending, commits, and stops before the provider hears of it.
    with pager.runtime.database.write() as session:
        planned = member_texting.plan_member_text(
            session,
            text_id=text_id,
            now=pager.clock.now(),
            dialer=pager.worker.dialer,
            can_text=True,
        )
    assert planned is not None
    pager.clock.advance(60)
    asyncio.run(pager.worker.send_member_texts())

    assert pager.simulator.texts_to(number) == []
    [row] = _member_texts(pager)
    assert row.status == "unknown"
    [told] = _notices(pager, "member_text_failed")
    assert told.user_id == ana
    assert "may or may not have been sent" in told.message
    assert "member_text.unconfirmed" in _actions(pager)


def _queued(pager: Pager) -> list[tuple[str, str]]:
    with pager.runtime.database.read() as session:
        return member_texts.queued(session, limit=10)


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    fake = FakeTwilio("AC" + "3" * 32, "twilio-auth-token")
    with fake.running():
        yield fake


def test_a_handoff_text_goes_through_twilios_messages_api(
    pager: Pager, twilio_api: FakeTwilio
) -> None:
    _, number = _texted_member_on_days(pager)
    _handoffs(pager)
    worker = _twilio(pager, twilio_api)
    asyncio.run(worker.send_member_texts())
    asyncio.run(worker.send_member_texts())

    [text] = twilio_api.texts
    assert text.request == {"To": number, "From": CALLER_ID, "Body": ON_BODY}
    [row] = _member_texts(pager)
    assert text.headers["i-twilio-idempotency-token"] == row.id
    assert (row.status, row.provider, row.message_id) == ("sent", "twilio", text.message_id)


def test_a_handoff_text_twilio_leaves_unknown_is_never_sent_again(
    pager: Pager, twilio_api: FakeTwilio
) -> None:
    ana, number = _texted_member_on_days(pager)
    twilio_api.refused_texts[number] = (500, 20500, "Internal Server Error")
    _handoffs(pager)
    worker = _twilio(pager, twilio_api)
    asyncio.run(worker.send_member_texts())
    pager.clock.advance(600)
    asyncio.run(worker.send_member_texts())

    assert twilio_api.text_requests == 1
    [row] = _member_texts(pager)
    assert row.status == "unknown"
    assert [n.user_id for n in _notices(pager, "member_text_failed")] == [ana]


def test_a_handoff_text_twilio_refuses_is_told_to_the_member(
    pager: Pager, twilio_api: FakeTwilio
) -> None:
    ana, number = _texted_member_on_days(pager)
    twilio_api.refused_texts[number] = (400, 21610, "Attempt to send to unsubscribed recipient")
    _handoffs(pager)
    asyncio.run(_twilio(pager, twilio_api).send_member_texts())

    [row] = _member_texts(pager)
    assert row.status == "failed"
    [told] = _notices(pager, "member_text_failed")
    assert told.user_id == ana
    assert "unsubscribed recipient" in told.message
    assert "member_text.failed" in _actions(pager)
