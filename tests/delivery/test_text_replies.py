"""Answering an alert text: "1" acknowledges, "2" resolves, "1 K3" names which alert (issue 19:
"An SMS reply '1' from the on-call number acknowledges (simulator and one REST provider's
signed inbound format); from another number it does nothing").

Through the simulator here, over HTTP in its own signed format (telephony/simulator_texts.py);
tests/delivery/test_text_replies_twilio.py does the same through Twilio's real webhook.
Ana's rules text her at once and call her desk phone 5 minutes later, so an answer that
works is seen to stop the call.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.delivery.pager import CALLER_ID, Pager, uk_mobile
from tests.delivery.test_paging_people import _rules
from tests.factories import ok
from tocsin.core.ids import new_id
from tocsin.messages import sms
from tocsin.messages import text_replies as words
from tocsin.messages.text_replies import masked_number
from tocsin.paging.models import SmsReply
from tocsin.paging.text_replies import QUIET_GAP, REPLY_WINDOW, reference_for
from tocsin.telephony.simulator_texts import SIGNATURE_HEADER, inbound_text

pytestmark = [pytest.mark.pager(rounds=1, unanswered_retries=0)]

FIRED = {"title": "Disk full on db1", "severity": "critical"}
INBOUND = "/v1/telephony/simulator/sms"


class Ana:
    """A member texted about every alert of her endpoint, and called at her desk 5 min later."""

    def __init__(self, pager: Pager) -> None:
        self.pager = pager
        self.user_id, sms_contact = pager.member("Ana", channel="sms")
        _, desk = pager.member("Ana", user_id=self.user_id, behaviour="no_answer")
        self.desk = pager.phone(desk)
        self.number = pager.phone(sms_contact)
        _rules(pager, self.user_id, ("sms", sms_contact, 0), ("voice", desk, 5))
        self.endpoint = pager.endpoint(
            rules=[{"action": {"type": "call_member", "user_id": self.user_id}}]
        )

    def paged(self, title: str = "Disk full on db1") -> str:
        alert_id = self.pager.fire(self.endpoint, {**FIRED, "title": title})
        self.pager.run()
        return alert_id

    def reference(self, alert_id: str) -> str:
        [text] = [c for c in self.pager.alert(alert_id)["calls"] if c["channel"] == "sms"]
        code: str = text["reply_code"]
        return code

    def texts(self) -> list[str]:
        return [text["body"] for text in self.pager.simulator.texts_to(self.number)]


def reply(
    pager: Pager,
    body: str,
    *,
    sender: str,
    to: str = CALLER_ID,
    message_id: str | None = None,
    key: bytes | None = None,
) -> httpx.Response:
    """`sender` texts `body` to `to`, delivered as the simulator delivers it, signed with the
    server's key (or `key`)."""
    payload, headers = inbound_text(
        pager.runtime.simulator_text_key if key is None else key,
        from_number=sender,
        to_number=to,
        text=body,
        at=pager.clock.now(),
        message_id=message_id,
    )
    response: httpx.Response = pager.client.post(INBOUND, content=payload, headers=headers)
    return response


def replies(pager: Pager) -> list[SmsReply]:
    with pager.runtime.database.read() as session:
        return list(session.scalars(select(SmsReply).order_by(SmsReply.received_at, SmsReply.id)))


def timeline(pager: Pager, alert_id: str, action: str) -> list[dict[str, Any]]:
    return [e for e in pager.alert(alert_id)["timeline"] if e["action"] == action]


@pytest.fixture
def ana(pager: Pager) -> Ana:
    return Ana(pager)


def test_a_reply_1_from_the_texted_number_acknowledges_and_stops_the_paging(
    pager: Pager, ana: Ana
) -> None:
    alert_id = ana.paged()
    [texted] = ana.texts()
    reference = ana.reference(alert_id)
    assert texted.startswith(f"Tocsin CRITICAL #{reference}: Disk full on db1. ")
    assert "Reply 1 to acknowledge, 2 to resolve." in texted
    assert texted.endswith(sms.OPT_OUT_LINE)

    response = reply(pager, "1", sender=ana.number)
    assert response.status_code == 204, response.text

    detail = pager.alert(alert_id)
    assert detail["status"] == "acknowledged"
    shown = masked_number(ana.number)
    # A simulated text reached nobody: its answer moves the alert, as a simulated key does,
    # and is never taken for Ana's.
    assert detail["acknowledged_by"] == f"simulator:{shown} by SMS reply"
    assert detail["acknowledged_user_id"] is None
    [acknowledged] = timeline(pager, alert_id, "alert.acknowledged")
    assert (acknowledged["actor_type"], acknowledged["actor_id"]) == ("simulator", shown)
    assert acknowledged["details"]["from"] == shown
    assert acknowledged["details"]["reference"] == reference
    assert acknowledged["details"]["simulated"] is True
    assert ana.number not in json.dumps(acknowledged)
    # Confirmed by text, through the simulator, from the number she answered.
    assert ana.texts()[-1] == words.acknowledged(reference, "Disk full on db1")
    assert pager.simulator.texts_to(ana.number)[-1]["from"] == CALLER_ID
    [evidence] = replies(pager)
    assert (evidence.outcome, evidence.alert_id, evidence.reply, evidence.reference) == (
        "acknowledged",
        alert_id,
        "sent",
        None,
    )
    # Her desk phone is not called five minutes on: the escalation stopped.
    pager.later(minutes=10)
    assert ana.desk not in pager.numbers_called()


def test_a_reply_2_resolves(pager: Pager, ana: Ana) -> None:
    alert_id = ana.paged()
    assert reply(pager, "Resolve.", sender=ana.number).status_code == 204
    detail = pager.alert(alert_id)
    assert detail["status"] == "resolved"
    assert ana.texts()[-1] == words.resolved(ana.reference(alert_id), "Disk full on db1")


def test_a_reply_from_another_number_does_nothing_and_learns_nothing(
    pager: Pager, ana: Ana
) -> None:
    alert_id = ana.paged()
    stranger = uk_mobile()

    assert reply(pager, "1", sender=stranger).status_code == 204
    assert reply(pager, f"2 {ana.reference(alert_id)}", sender=stranger).status_code == 204

    assert pager.alert(alert_id)["status"] == "open"
    # One neutral answer, however often it asks: it names no alert, Ana's or anyone's.
    assert [t["body"] for t in pager.simulator.texts_to(stranger)] == [words.no_alert()]
    assert [r.outcome for r in replies(pager)] == ["no_alert", "no_alert"]
    assert all(r.alert_id is None for r in replies(pager))
    pager.later(minutes=6)
    assert ana.desk in pager.numbers_called()


def test_a_wrong_or_stale_signature_is_refused_and_changes_nothing(pager: Pager, ana: Ana) -> None:
    alert_id = ana.paged()
    forged = reply(pager, "1", sender=ana.number, key=b"not the server's key" * 2)
    assert forged.status_code == 403
    assert forged.json() == {
        "error": {
            "code": "invalid_signature",
            "message": "webhook signature is missing, wrong or stale",
        }
    }
    payload, headers = inbound_text(
        pager.runtime.simulator_text_key,
        from_number=ana.number,
        to_number=CALLER_ID,
        text="1",
        at=pager.clock.now() - timedelta(minutes=6),
    )
    stale = pager.client.post(INBOUND, content=payload, headers=headers)
    assert stale.status_code == 403
    # The body changed after signing.
    tampered = payload.replace(b'"text": "1"', b'"text": "2"')
    assert pager.client.post(INBOUND, content=tampered, headers=headers).status_code == 403
    unsigned = pager.client.post(INBOUND, content=payload, headers={"Content-Type": "x"})
    assert unsigned.status_code == 403

    assert pager.alert(alert_id)["status"] == "open"
    assert replies(pager) == []
    assert len(ana.texts()) == 1


def test_the_signature_is_the_documented_hmac_over_timestamp_and_body(
    pager: Pager, ana: Ana
) -> None:
    """Computed here from the format's description, not with Tocsin's signer."""
    alert_id = ana.paged()
    body = json.dumps(
        {"message_id": "simin_doc", "from": ana.number, "to": CALLER_ID, "text": "ack"}
    ).encode()
    timestamp = str(int(pager.clock.now().timestamp()))
    key = hmac.new(
        b"test-secret-key-that-is-long-enough-for-hmac-0123456789",
        b"tocsin/simulator-texts",
        hashlib.sha256,
    ).digest()
    digest = hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {SIGNATURE_HEADER: f"t={timestamp},v1={digest}"}
    assert pager.client.post(INBOUND, content=body, headers=headers).status_code == 204
    assert pager.alert(alert_id)["status"] == "acknowledged"


def test_a_webhook_delivered_twice_acts_and_answers_once(pager: Pager, ana: Ana) -> None:
    alert_id = ana.paged()
    message_id = new_id("simin")
    assert reply(pager, "1", sender=ana.number, message_id=message_id).status_code == 204
    pager.later(seconds=5)
    assert reply(pager, "1", sender=ana.number, message_id=message_id).status_code == 204

    assert len(timeline(pager, alert_id, "alert.acknowledged")) == 1
    assert len(ana.texts()) == 2  # the alert, then one confirmation
    assert len(replies(pager)) == 1


def test_a_reply_about_an_alert_closed_already_says_so(pager: Pager, ana: Ana) -> None:
    alert_id = ana.paged()
    reference = ana.reference(alert_id)
    ok(pager.client.post(f"{pager.org}/alerts/{alert_id}/resolve", headers=pager.auth))

    assert reply(pager, "1", sender=ana.number).status_code == 204
    assert ana.texts()[-1] == words.already(reference, "Disk full on db1", "resolved")
    assert pager.alert(alert_id)["resolved_by"] != f"SMS reply from {masked_number(ana.number)}"
    assert [r.outcome for r in replies(pager)] == ["already_resolved"]


def test_two_alerts_a_bare_1_answers_the_newest_and_a_reference_names_either(
    pager: Pager, ana: Ana
) -> None:
    older = ana.paged("Disk full on db1")
    pager.later(minutes=1)
    newer = ana.paged("Replica lag on db2")
    first, second = ana.reference(older), ana.reference(newer)
    assert first != second

    reply(pager, "1", sender=ana.number)
    assert pager.alert(newer)["status"] == "acknowledged"
    assert pager.alert(older)["status"] == "open"

    reply(pager, f"{first.lower()} 2", sender=ana.number)
    assert pager.alert(older)["status"] == "resolved"
    assert ana.texts()[-1] == words.resolved(first, "Disk full on db1")

    # A third alert, and a reference that names none of Ana's: nothing is guessed.
    third = ana.paged("Queue backlog")
    unknown = next(f"{c}9" for c in "ABCDEFGH" if f"{c}9" not in (first, second))
    reply(pager, f"1 {unknown}", sender=ana.number)
    assert pager.alert(third)["status"] == "open"
    assert ana.texts()[-1] == words.unknown_reference(unknown)


def test_a_later_text_of_the_same_alert_keeps_its_reference(pager: Pager, ana: Ana) -> None:
    """A reference names an alert, not a text: a second round texts the same one."""
    first = ana.paged()
    with pager.runtime.database.read() as session:
        again = reference_for(session, to_number=ana.number, alert_id=first, now=pager.clock.now())
    assert again == ana.reference(first)


def test_a_reply_after_the_window_acts_on_nothing(pager: Pager, ana: Ana) -> None:
    alert_id = ana.paged()
    pager.clock.advance(REPLY_WINDOW.total_seconds() + 1)
    reply(pager, "1", sender=ana.number)
    assert pager.alert(alert_id)["status"] == "open"
    assert ana.texts()[-1] == words.no_alert()


def test_answers_that_change_nothing_go_to_a_number_once_in_a_while(pager: Pager, ana: Ana) -> None:
    """Whoever can make a text look as if it came from a number must not be able to make
    Tocsin text that number over and over."""
    stranger = uk_mobile()
    for _ in range(3):
        reply(pager, "1", sender=stranger)
    assert len(pager.simulator.texts_to(stranger)) == 1
    assert [r.reply for r in replies(pager)] == ["sent", "none", "none"]
    pager.clock.advance(QUIET_GAP.total_seconds())
    reply(pager, "1", sender=stranger)
    assert len(pager.simulator.texts_to(stranger)) == 2


def test_a_number_that_texted_stop_gets_no_alert_text_but_its_keywords_are_answered(
    pager: Pager, ana: Ana
) -> None:
    first = ana.paged()
    reply(pager, "STOP", sender=ana.number)
    assert ana.texts()[-1] == sms.stop_confirmation()

    second = ana.paged("Replica lag on db2")
    assert len(ana.texts()) == 2  # the first alert and the STOP confirmation, nothing since
    [skipped] = timeline(pager, second, "text.skipped")
    assert skipped["details"]["reason"] in ("platform_opt_out", "sms_stopped")

    pager.later(minutes=11)
    reply(pager, "HELP", sender=ana.number)
    assert ana.texts()[-1].startswith("Tocsin: alert calls for on-call teams")
    # An answer to the first alert still acts (she was texted it), but is not confirmed: a
    # stopped number gets no texts but its keywords' answers.
    reply(pager, "2", sender=ana.number)
    assert pager.alert(first)["status"] == "resolved"
    assert ana.texts()[-1].startswith("Tocsin: alert calls for on-call teams")
    assert replies(pager)[-1].reply_detail == "texts to this number are stopped"


def test_a_text_that_is_no_reply_is_acknowledged_and_not_kept(pager: Pager, ana: Ana) -> None:
    alert_id = ana.paged()
    assert reply(pager, "on it, 1 min", sender=ana.number).status_code == 204
    assert pager.alert(alert_id)["status"] == "open"
    assert replies(pager) == []
    assert len(ana.texts()) == 1
