"""Plivo's callbacks through its adapter, without HTTP: verify, parse, render.

Wire format: Plivo posts form-encoded parameters (RequestUUID, CallUUID, CallStatus,
HangupCause, and Digits from GetDigits) to the answer, ring, hang-up and GetDigits action URLs
(https://plivo.com/docs/voice/concepts/callbacks). Each request carries X-Plivo-Signature-V3 and
X-Plivo-Signature-V3-Nonce: base64 HMAC-SHA256 under the auth token of the URL (query sorted),
'.', the POST parameters sorted as name then value, '.', and the nonce; the header may hold
several signatures separated by commas
(https://plivo.com/docs/voice/concepts/signature-validation). The answer and the GetDigits action
take Plivo XML: <GetDigits action method numDigits timeout validDigits redirect> around a
<Speak>, and what follows runs when no key came (https://www.plivo.com/docs/voice/xml/getdigits).
"""

from __future__ import annotations

import asyncio

from tests.telephony.rest.callback_requests import BASE, KEY, form_request, url_of
from tests.telephony.rest.fakes import plivo_v3_signature
from tocsin.telephony.base import CallEventKind
from tocsin.telephony.callbacks import CallbackReply, CallView, Hook
from tocsin.telephony.dialogue import CLOSED_ELSEWHERE, CallScript
from tocsin.telephony.rest import PlivoConfig, PlivoProvider
from tocsin.telephony.script import MENU_PROMPT

TOKEN = "plivo-auth-token"
ADAPTER = PlivoProvider(PlivoConfig("MA1", TOKEN), public_base_url=BASE).callbacks
CALL = CallView(CallScript("Disk full on db1.", keys="", offers_menu=True), finished=False)


def headers(url: str, params: dict[str, str], nonce: str = "n-1") -> dict[str, str]:
    signature = plivo_v3_signature(TOKEN, url, params, nonce)
    return {"x-plivo-signature-v3": signature, "x-plivo-signature-v3-nonce": nonce}


def test_a_request_signed_over_url_body_and_nonce_passes_and_no_other() -> None:
    url = url_of("plivo", "gather", key=KEY, round=1)
    params = {"RequestUUID": "r-1", "CallUUID": "c-1", "Digits": "2"}
    good = headers(url, params)
    assert ADAPTER.verify(form_request(url, list(params.items()), good))
    pressed_1 = [*{**params, "Digits": "1"}.items()]
    assert not ADAPTER.verify(form_request(url, pressed_1, good))
    without_nonce = {"x-plivo-signature-v3": good["x-plivo-signature-v3"]}
    assert not ADAPTER.verify(form_request(url, list(params.items()), without_nonce))


def test_the_answer_gets_the_prompt_in_a_one_key_get_digits_keyed_by_request_uuid() -> None:
    params = [("RequestUUID", "r-1"), ("CallUUID", "c-1"), ("CallStatus", "in-progress")]
    event = ADAPTER.parse(form_request(url_of("plivo", "answer", key=KEY), params))
    assert (event.key, event.hook, event.provider_call_id) == (KEY, Hook.ANSWER, "r-1")

    answered = asyncio.run(ADAPTER.reply(event, CALL))
    gather_url = f"{BASE}/v1/telephony/plivo/gather?key=job_1%2F1&amp;round=0"
    speak = '<Speak voice="WOMAN" language="en-US">'
    assert (answered.status_code, answered.media_type) == (200, "application/xml")
    assert answered.body.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<GetDigits action="{gather_url}" method="POST" numDigits="1" timeout="8" '
        'validDigits="0123456789*#" redirect="true">'
        f"{speak}Disk full on db1. {MENU_PROMPT}</Speak></GetDigits>"
        f'<Redirect method="POST">{gather_url}</Redirect></Response>'
    )


def test_a_call_whose_alerts_closed_meanwhile_says_so_and_hangs_up() -> None:
    params = [("RequestUUID", "r-1"), ("Digits", "*")]
    event = ADAPTER.parse(form_request(url_of("plivo", "gather", key=KEY, round=0), params))
    closed = CallView(CallScript("Disk full.", keys="*", offers_menu=True, closed=True), False)
    assert asyncio.run(ADAPTER.reply(event, closed)).body.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Speak voice="WOMAN" language="en-US">{CLOSED_ELSEWHERE}</Speak><Hangup /></Response>'
    )


def test_a_hang_up_callback_says_why_it_failed_and_gets_an_empty_2xx() -> None:
    params = [("RequestUUID", "r-1"), ("CallStatus", "failed"), ("HangupCause", "UNALLOCATED")]
    event = ADAPTER.parse(form_request(url_of("plivo", "status", key=KEY), params))
    assert [(e.kind, e.detail) for e in event.events] == [(CallEventKind.FAILED, "UNALLOCATED")]
    assert asyncio.run(ADAPTER.reply(event, CALL)) == CallbackReply(204, b"", None)
