"""The SMS programme's keywords as one command decides them, and the stop list every text send
asks first (issue 16, finding 8: no STOP/HELP handling, no "Reply STOP" line).

The webhooks that deliver the texts, for each provider, are tested over HTTP in
tests/delivery/test_inbound_texts.py; here the command is called as the route calls it.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import tocsin
from tests.delivery.pager import Pager, uk_mobile
from tests.factories import ok
from tocsin.audit.models import AuditEvent
from tocsin.messages import sms
from tocsin.numbers.consent import NumberState, state_of
from tocsin.numbers.models import NumberVerification, PlatformOptOut, SmsKeyword
from tocsin.numbers.sms_stops import is_stopped
from tocsin.telephony.inbound import InboundText
from tocsin.trust.inbound_texts import HELP_REPLY_GAP, Received, receive_text

pytestmark = [pytest.mark.pager(rounds=1)]

TOCSIN_NUMBER = "+447400000001"
OPT_OUT_URL = "http://tocsin.test/opt-out"
_ids = iter(range(1_000_000))


def texted(pager: Pager, number: str, body: str, *, message_id: str | None = None) -> Received:
    """`number` texts `body` to Tocsin through the platform's Twilio."""
    text = InboundText(
        message_id=message_id or f"SM{next(_ids):032d}",
        from_number=number,
        to_number=TOCSIN_NUMBER,
        body=body,
    )
    with pager.runtime.database.write() as session:
        return receive_text(
            session,
            provider="twilio",
            account_id=None,
            text=text,
            opt_out_url=OPT_OUT_URL,
            now=pager.clock.now(),
        )


def evidence(pager: Pager, number: str) -> list[SmsKeyword]:
    with pager.runtime.database.read() as session:
        return list(
            session.scalars(
                select(SmsKeyword)
                .where(SmsKeyword.from_number == number)
                .order_by(SmsKeyword.received_at, SmsKeyword.keyword)
            )
        )


def stopped(pager: Pager, number: str) -> bool:
    with pager.runtime.database.read() as session:
        return is_stopped(session, number, org_id=None)


def number_state(pager: Pager, number: str) -> NumberState:
    with pager.runtime.database.read() as session:
        return state_of(session, org_id=pager.org_id, number=number)


def audit_actions(pager: Pager, number: str) -> list[str]:
    with pager.runtime.database.read() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    return [e.action for e in events if (e.details or {}).get("number") == number]


def send_code(pager: Pager, contact_id: str, channel: str) -> Any:
    return pager.client.post(
        f"{pager.org}/contacts/{contact_id}/verification",
        json={"channel": channel},
        headers=pager.auth,
    )


def test_a_code_text_ends_with_the_opt_out_line_within_one_segment(pager: Pager) -> None:
    """Issue 16, finding 8: a sent code text lacked the "Reply STOP" line."""
    ana = pager.contact("Ana", verified=False)
    ok(send_code(pager, ana, "sms"), 202)
    [text] = pager.simulator.texts_to(pager.phone(ana))
    assert text["body"].endswith("Reply STOP to opt out."), text["body"]
    assert sms.segments(text["body"]) == 1


def test_stop_stops_texts_and_calls_and_cancels_the_calls_already_queued(pager: Pager) -> None:
    ana = pager.contact("Ana")
    number = pager.phone(ana)
    alert_id = pager.fire(pager.endpoint(ana))
    assert number_state(pager, number) is NumberState.VERIFIED

    received = texted(pager, number, "Stop")
    assert received.reply == sms.stop_confirmation()

    assert stopped(pager, number)
    assert number_state(pager, number) is NumberState.OPTED_OUT
    assert pager.run() == 0
    assert pager.numbers_called() == []
    [job] = pager.alert(alert_id)["jobs"]
    assert (job["status"], job["outcome"]) == ("cancelled", "stopped")
    with pager.runtime.database.read() as session:
        opt_out = session.scalar(select(PlatformOptOut).where(PlatformOptOut.phone_e164 == number))
    assert opt_out is not None
    assert (opt_out.keyword_id, opt_out.verification_id) == (received.keyword_id, None)
    # Written at one instant, so in no order the ids keep.
    stop_events = {"sms.stopped", "number.platform_opt_out", "notice.calls_stopped"}
    assert sorted(a for a in audit_actions(pager, number) if a in stop_events) == [
        "notice.calls_stopped",
        "number.platform_opt_out",  # the number's
        "number.platform_opt_out",  # on the alert's timeline
        "sms.stopped",
    ]


def test_a_stop_from_a_stopped_number_is_applied_again_but_not_answered(pager: Pager) -> None:
    number = uk_mobile()
    assert texted(pager, number, "STOP").reply is not None
    pager.later(minutes=30)
    again = texted(pager, number, "quit")
    assert again.reply is None
    first, second = evidence(pager, number)
    assert (second.keyword, second.reply, second.reply_detail) == (
        "QUIT",
        "none",
        "texts to this number were stopped already",
    )
    with pager.runtime.database.read() as session:
        opt_out = session.scalar(select(PlatformOptOut).where(PlatformOptOut.phone_e164 == number))
    # Calls are opted out as of the latest STOP: consent given in between no longer counts.
    assert opt_out is not None
    assert (opt_out.keyword_id, opt_out.created_at) == (second.id, pager.clock.now())
    assert first.reply == "pending"  # the route sends it and notes it; not here


def test_the_same_message_delivered_twice_is_acted_on_once(pager: Pager) -> None:
    number = uk_mobile()
    first = texted(pager, number, "HELP", message_id="SM-same")
    again = texted(pager, number, "HELP", message_id="SM-same")
    assert first.reply == sms.help_text(OPT_OUT_URL)
    assert again == Received()
    assert len(evidence(pager, number)) == 1


def test_help_is_answered_at_most_once_in_a_few_minutes_whatever_the_sender(pager: Pager) -> None:
    number = uk_mobile()
    assert texted(pager, number, "help").reply == sms.help_text(OPT_OUT_URL)
    assert texted(pager, number, "INFO").reply is None
    pager.later(seconds=HELP_REPLY_GAP.total_seconds())
    assert texted(pager, number, "Info").reply == sms.help_text(OPT_OUT_URL)
    assert [k.reply for k in evidence(pager, number)] == ["pending", "none", "pending"]


def test_start_lifts_the_text_stop_only_and_never_consent(pager: Pager) -> None:
    ana = pager.contact("Ana")
    number = pager.phone(ana)
    endpoint = pager.endpoint(ana)
    assert texted(pager, number, "start").reply is None  # nothing was stopped

    texted(pager, number, "STOP")
    pager.later(minutes=1)
    assert texted(pager, number, "START").reply == sms.start_confirmation()
    assert not stopped(pager, number)
    assert number_state(pager, number) is NumberState.OPTED_OUT
    pager.fire(endpoint)
    pager.run()
    assert pager.numbers_called() == []


def test_a_message_that_is_not_a_keyword_is_not_kept(pager: Pager) -> None:
    number = uk_mobile()
    assert texted(pager, number, "stop calling me please") == Received()
    assert evidence(pager, number) == []
    assert not stopped(pager, number)


def test_a_code_text_to_a_stopped_number_is_refused_and_the_refusal_recorded(
    pager: Pager,
) -> None:
    ana = pager.contact("Ana", verified=False)
    number = pager.phone(ana)
    texted(pager, number, "STOP")

    refused = send_code(pager, ana, "sms")
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "sms_stopped"
    assert pager.simulator.texts_to(number) == []
    with pager.runtime.database.read() as session:
        [row] = session.scalars(
            select(NumberVerification).where(NumberVerification.phone_e164 == number)
        ).all()
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "sms.refused")
        ).all()
    assert row.send_error is not None
    assert "STOP" in row.send_error
    assert (event.org_id, event.details) == (
        pager.org_id,
        {"number": number, "purpose": "verification.consent", "reference": row.id},
    )

    # Texting START lets codes through again.
    pager.later(minutes=2)
    texted(pager, number, "START")
    ok(send_code(pager, ana, "sms"), 202)
    assert len(pager.simulator.texts_to(number)) == 1


def _modules_calling(name: str) -> set[str]:
    """The modules of tocsin that call a function or class called `name`."""
    return {module for module, called in _names_called().items() if name in called}


@functools.cache
def _names_called() -> dict[str, frozenset[str]]:
    """Each module of tocsin, and the names of the functions and classes it calls: parsed once
    for all the questions above, the source being the same for each."""
    source = Path(tocsin.__file__).parent
    return {
        str(path.relative_to(source)): frozenset(
            _called_name(node.func)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call)
        )
        for path in source.rglob("*.py")
    }


def _called_name(called: ast.expr) -> str | None:
    if isinstance(called, ast.Attribute):
        return called.attr
    if isinstance(called, ast.Name):
        return called.id
    return None


def test_every_text_tocsin_sends_goes_through_a_path_that_asks_the_stop_list() -> None:
    """Texts are built in three places: a verification code, which `contacts.verify.deliver`
    sends only after `sms_stops.refusal` said yes; a member's text about an alert, which the
    worker sends only once `engine.texting.plan_text` wrote its attempt, after the text gate
    read the stop list (`sms_stops.is_stopped`); and the answer to what the number itself just
    texted: a keyword (the one exemption), or a reply to an alert text, which
    `paging.text_replies` answers only after asking the stop list. A new way of texting must be
    added here, with its check."""
    assert _modules_calling("TextMessage") == {
        "numbers/code_delivery.py",
        "engine/worker.py",
        "telephony/inbound.py",
    }
    assert "engine/texting.py" in _modules_calling("is_stopped")
    assert _modules_calling("send_code") == {"contacts/verify.py"}
    assert "contacts/verify.py" in _modules_calling("refusal")
    assert "paging/text_replies.py" in _modules_calling("is_stopped")
    assert _modules_calling("send_reply") <= {
        "telephony/rest/twilio.py",
        "telephony/rest/plivo.py",
        "telephony/rest/telnyx.py",
        "telephony/rest/vonage.py",
        "telephony/simulator_texts.py",
    }
