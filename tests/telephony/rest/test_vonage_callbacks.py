"""Vonage's webhooks through its adapter, without HTTP: verify, parse, render.

Wire format: Vonage posts JSON to the answer URL, to the event URL (`uuid`, `status`, `detail`)
and to an input action's eventUrl (`uuid`, `dtmf.digits`, `dtmf.timed_out`)
(https://developer.vonage.com/en/voice/voice-api/webhook-reference). A signed webhook carries
`Authorization: Bearer <JWT>`, HS256 under the account's signature secret, whose `payload_hash`
claim is the SHA-256 of the body and `iat` its time
(https://developer.vonage.com/en/getting-started/concepts/webhooks#decoding-signed-webhooks); it
does not cover the URL, so Tocsin's URLs add a token binding the key to the account. The answer
and the input's eventUrl take an NCCO: a `talk` action, then an `input` action of type dtmf
(https://developer.vonage.com/en/voice/voice-api/ncco-reference).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import jwt

from tests.telephony.rest.callback_requests import BASE, KEY, NOW, json_request, url_of
from tocsin.telephony.base import CallEventKind
from tocsin.telephony.callbacks import CallbackReply, CallbackRequest, CallView, Hook
from tocsin.telephony.dialogue import CallScript
from tocsin.telephony.rest import VonageConfig, VonageProvider
from tocsin.telephony.rest.vonage import key_token
from tocsin.telephony.script import CONFIRMATIONS, MENU_PROMPT

SECRET = "vonage-signature-secret-0123456789abcdef"
ADAPTER = VonageProvider(VonageConfig("app-1", "pem", SECRET), public_base_url=BASE).callbacks
CALL = CallView(CallScript("Disk full on db1.", keys="", offers_menu=True), finished=False)
TOKEN = key_token(SECRET, KEY)


def webhook(
    route: str, body: dict[str, Any], *, secret: str = SECRET, age: int = 0, **query: str | int
) -> CallbackRequest:
    raw = json.dumps(body).encode()
    claims = {"iat": int(NOW.timestamp()) - age, "payload_hash": hashlib.sha256(raw).hexdigest()}
    headers = {"authorization": "Bearer " + jwt.encode(claims, secret, algorithm="HS256")}
    url = url_of("vonage", route, key=KEY, token=TOKEN, **query)
    return json_request(url, None, headers, raw=raw)


def test_a_webhook_signed_with_the_secret_for_this_keys_url_passes_and_no_other() -> None:
    body = {"uuid": "u-1", "status": "ringing"}
    assert ADAPTER.verify(webhook("event", body))
    assert not ADAPTER.verify(
        webhook("event", body, secret="another-signature-secret-0123456789abcdef")
    )
    assert not ADAPTER.verify(webhook("event", body, age=301))
    good = webhook("event", body)
    elsewhere = good.url.replace("key=job_1", "key=job_2")
    assert not ADAPTER.verify(
        CallbackRequest(good.route, elsewhere, good.headers, good.body, good.received_at)
    )


def test_the_answer_gets_the_prompt_as_talk_and_a_one_key_input_that_comes_back_here() -> None:
    event = ADAPTER.parse(webhook("answer", {"uuid": "u-1"}))
    assert (event.key, event.hook, event.provider_call_id) == (KEY, Hook.ANSWER, "u-1")
    answered = asyncio.run(ADAPTER.reply(event, CALL))
    assert (answered.status_code, answered.media_type) == (200, "application/json")
    input_url = f"{BASE}/v1/telephony/vonage/input?key=job_1%2F1&token={TOKEN}&round=0"
    assert json.loads(answered.body) == [
        {
            "action": "talk",
            "text": f"Disk full on db1. {MENU_PROMPT}",
            "language": "en-US",
            "style": 0,
            "bargeIn": True,
        },
        {
            "action": "input",
            "type": ["dtmf"],
            "dtmf": {"maxDigits": 1, "timeOut": 8},
            "eventUrl": [input_url],
            "eventMethod": "POST",
        },
    ]
    # Compact, as Starlette's JSONResponse wrote it before the adapter did.
    assert answered.body.startswith(b'[{"action":"talk","text":"Disk full on db1.')


def test_a_key_from_the_input_is_a_keypress_of_its_round_and_1_is_confirmed() -> None:
    body = {"uuid": "u-1", "dtmf": {"digits": "1", "timed_out": False}}
    event = ADAPTER.parse(webhook("input", body, round=1))
    assert (event.hook, event.digits, event.round_no) == (Hook.KEYPRESS, "1", 1)
    acknowledged = CallView(CallScript("Disk full on db1.", keys="1", offers_menu=True), False)
    reply = asyncio.run(ADAPTER.reply(event, acknowledged))
    assert json.loads(reply.body) == [
        {"action": "talk", "text": CONFIRMATIONS["1"], "language": "en-US", "style": 0}
    ]


def test_an_event_gets_an_empty_2xx() -> None:
    event = ADAPTER.parse(webhook("event", {"uuid": "u-1", "status": "busy"}))
    assert [e.kind for e in event.events] == [CallEventKind.BUSY]
    assert asyncio.run(ADAPTER.reply(event, CALL)) == CallbackReply(204, b"", None)
