"""Twilio's callbacks through its adapter, without HTTP: verify, parse, render.

Wire format: Twilio posts form-encoded parameters (CallSid, CallStatus, and Digits from a
Gather) to the answer URL, the Gather action and the status callback, and signs each request in
X-Twilio-Signature: base64 HMAC-SHA1 under the auth token of the full URL followed by the POST
parameters sorted by name, each name then its value
(https://www.twilio.com/docs/usage/webhooks/webhooks-security). The answer and the Gather action
take TwiML: <Gather numDigits action method timeout> around a <Say>, and what follows it runs
when no key came (https://www.twilio.com/docs/voice/twiml/gather); a status callback takes any
2xx (https://www.twilio.com/docs/voice/api/call-resource#statuscallback).
"""

from __future__ import annotations

import asyncio

from tests.telephony.rest.callback_requests import BASE, KEY, form_request, url_of
from tests.telephony.rest.fakes import twilio_signature
from tocsin.telephony.base import CallEventKind
from tocsin.telephony.callbacks import CallbackEvent, CallbackReply, CallView, Hook
from tocsin.telephony.dialogue import CallScript
from tocsin.telephony.rest import TwilioConfig, TwilioProvider
from tocsin.telephony.script import CONFIRMATIONS, MENU_PROMPT

TOKEN = "twilio-auth-token"
ADAPTER = TwilioProvider(TwilioConfig("AC1", TOKEN), public_base_url=BASE).callbacks
CALL = CallView(CallScript("Disk full on db1.", keys="", offers_menu=True), finished=False)


def signed(url: str, params: dict[str, str], token: str = TOKEN) -> bool:
    header = {"x-twilio-signature": twilio_signature(token, url, params)}
    return ADAPTER.verify(form_request(url, list(params.items()), header))


def reply(event: CallbackEvent, call: CallView | None = CALL) -> CallbackReply:
    return asyncio.run(ADAPTER.reply(event, call))


def test_a_request_signed_with_the_auth_token_over_url_and_body_passes_and_no_other() -> None:
    url = url_of("twilio", "status", key=KEY)
    params = {"CallSid": "CA1", "CallStatus": "ringing"}
    assert signed(url, params)
    assert not signed(url, params, token="another-token")
    # Twilio signs the URL it was given: a key moved to another attempt breaks the signature.
    header = {"x-twilio-signature": twilio_signature(TOKEN, url, params)}
    other = url_of("twilio", "status", key="job_2/1")
    assert not ADAPTER.verify(form_request(other, list(params.items()), header))


def test_the_answer_request_means_answered_and_gets_the_prompt_in_a_one_key_gather() -> None:
    answer = form_request(
        url_of("twilio", "answer", key=KEY), [("CallSid", "CA1"), ("CallStatus", "in-progress")]
    )
    event = ADAPTER.parse(answer)
    assert (event.key, event.hook, event.provider_call_id) == (KEY, Hook.ANSWER, "CA1")
    assert [e.kind for e in event.events] == [CallEventKind.ANSWERED]

    answered = reply(event)
    gather_url = f"{BASE}/v1/telephony/twilio/gather?key=job_1%2F1&amp;round=0"
    assert (answered.status_code, answered.media_type) == (200, "application/xml")
    assert answered.body.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Gather numDigits="1" action="{gather_url}" method="POST" timeout="8">'
        f'<Say voice="alice">Disk full on db1. {MENU_PROMPT}</Say></Gather>'
        f'<Redirect method="POST">{gather_url}</Redirect></Response>'
    )


def test_a_key_in_the_gather_is_a_keypress_of_its_round_and_1_is_confirmed_with_a_hang_up() -> None:
    gather = form_request(
        url_of("twilio", "gather", key=KEY, round=2), [("CallSid", "CA1"), ("Digits", "1")]
    )
    event = ADAPTER.parse(gather)
    assert (event.hook, event.digits, event.round_no) == (Hook.KEYPRESS, "1", 2)
    assert [e.kind for e in event.events] == [CallEventKind.ANSWERED, CallEventKind.DIGITS]

    confirmed = CallView(CallScript("Disk full on db1.", keys="1", offers_menu=True), False)
    assert reply(event, confirmed).body.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Say voice="alice">{CONFIRMATIONS["1"]}</Say><Hangup /></Response>'
    )


def test_a_status_callback_gets_an_empty_2xx() -> None:
    status = form_request(
        url_of("twilio", "status", key=KEY),
        [("CallSid", "CA1"), ("CallStatus", "failed"), ("SipResponseCode", "503")],
    )
    event = ADAPTER.parse(status)
    assert event.hook is Hook.STATUS
    assert [(e.kind, e.detail) for e in event.events] == [(CallEventKind.FAILED, "503")]
    assert reply(event) == CallbackReply(204, b"", None)
