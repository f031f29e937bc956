"""Telnyx's webhooks through its adapter, without HTTP: verify, parse, and the command each one
is answered with.

Wire format: Telnyx posts every event of a call as JSON to one webhook URL, `data.event_type`
(call.initiated, call.answered, call.gather.ended, call.speak.ended, call.hangup) and
`data.payload` (call_control_id, the client_state Tocsin set, digits and status of a gather,
hangup_cause). Each carries telnyx-signature-ed25519, the base64 Ed25519 signature under the
account's key of `{telnyx-timestamp}|{raw body}`, and telnyx-timestamp in Unix seconds
(https://developers.telnyx.com/docs/development/api-fundamentals/webhooks). Telnyx reads nothing
from the reply but its 2xx; the call is steered by commands to the API, such as
gather_using_speak (https://developers.telnyx.com/api-reference/call-commands/gather).
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.telephony.rest.callback_requests import BASE, KEY, NOW, json_request, url_of
from tocsin.telephony.base import CallEventKind
from tocsin.telephony.callbacks import CallbackEvent, CallbackReply, CallbackRequest, CallView, Hook
from tocsin.telephony.dialogue import CallScript
from tocsin.telephony.rest import TelnyxConfig, TelnyxProvider
from tocsin.telephony.rest.telnyx import ClientState, TelnyxCallbacks, reference
from tocsin.telephony.script import CONFIRMATIONS, MENU_PROMPT

SIGNING_KEY = Ed25519PrivateKey.generate()
PUBLIC_KEY = base64.b64encode(
    SIGNING_KEY.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
).decode()
URL = url_of("telnyx", "events")
CALL = CallView(CallScript("Disk full on db1.", keys="", offers_menu=True), finished=False)


class Api:
    """Telnyx's API as a mock transport: the commands it was sent, answered with `status`."""

    def __init__(self, status: int = 200) -> None:
        self.commands: list[tuple[str, dict[str, Any]]] = []
        self.status = status

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.commands.append((request.url.path, json.loads(request.content or b"{}")))
        return httpx.Response(self.status, json={"data": {"result": "ok"}})

    def adapter(self) -> TelnyxCallbacks:
        config = TelnyxConfig("KEY1", "c-1", PUBLIC_KEY, api_base_url="https://api.telnyx.test")
        provider = TelnyxProvider(
            config, public_base_url=BASE, transport=httpx.MockTransport(self.handle)
        )
        return provider.callbacks


def webhook(
    event_type: str, *, state: ClientState | None = ClientState(KEY), age: int = 0, **payload: Any
) -> CallbackRequest:
    fields = {"call_control_id": "v3:1", **payload}
    if state is not None:
        fields["client_state"] = state.encode()
    raw = json.dumps({"data": {"event_type": event_type, "payload": fields}}).encode()
    timestamp = str(int(NOW.timestamp()) - age)
    signature = SIGNING_KEY.sign(timestamp.encode() + b"|" + raw)
    headers = {
        "telnyx-signature-ed25519": base64.b64encode(signature).decode(),
        "telnyx-timestamp": timestamp,
    }
    return json_request(URL, None, headers, raw=raw)


def steer(event: CallbackEvent, call: CallView | None = CALL, status: int = 200) -> list[Any]:
    api = Api(status)
    assert asyncio.run(api.adapter().reply(event, call)) == CallbackReply(204, b"", None)
    return api.commands


def test_a_webhook_signed_by_the_account_key_within_five_minutes_passes_and_no_other() -> None:
    adapter = Api().adapter()
    assert adapter.verify(webhook("call.answered"))
    assert not adapter.verify(webhook("call.answered", age=301))
    forged = webhook("call.answered")
    tampered = CallbackRequest(
        forged.route, forged.url, forged.headers, forged.body + b" ", forged.received_at
    )
    assert not adapter.verify(tampered)


def test_the_key_is_read_from_the_client_state_before_anything_is_verified() -> None:
    assert reference(webhook("call.hangup")) == KEY
    assert reference(webhook("call.hangup", state=None)) is None
    assert reference(json_request(URL, None, raw=b"not json")) is None


def test_the_answer_is_steered_into_a_one_key_gather_that_carries_the_round() -> None:
    event = Api().adapter().parse(webhook("call.answered"))
    assert (event.key, event.hook, event.provider_call_id) == (KEY, Hook.ANSWER, "v3:1")
    [(path, gather)] = steer(event)
    assert path == "/v2/calls/v3:1/actions/gather_using_speak"
    assert gather["payload"] == f"Disk full on db1. {MENU_PROMPT}"
    assert (gather["maximum_digits"], gather["timeout_millis"]) == (1, 8000)
    assert ClientState.decode(gather["client_state"]) == ClientState(KEY, 0, goodbye=False)


def test_a_key_is_confirmed_and_once_the_goodbye_is_said_the_call_is_hung_up() -> None:
    adapter = Api().adapter()
    pressed = adapter.parse(webhook("call.gather.ended", digits="1", status="valid"))
    assert (pressed.hook, pressed.digits) == (Hook.KEYPRESS, "1")
    acknowledged = CallView(CallScript("Disk full on db1.", keys="1", offers_menu=True), False)
    [(path, speak)] = steer(pressed, acknowledged)
    assert (path, speak["payload"]) == ("/v2/calls/v3:1/actions/speak", CONFIRMATIONS["1"])

    said = adapter.parse(webhook("call.speak.ended", state=ClientState(KEY, 0, goodbye=True)))
    assert said.hook is Hook.GOODBYE
    assert steer(said, acknowledged) == [("/v2/calls/v3:1/actions/hangup", {})]


def test_nothing_is_said_to_a_finished_call_or_one_tocsin_did_not_place() -> None:
    adapter = Api().adapter()
    late = adapter.parse(webhook("call.answered"))
    assert steer(late, CallView(CALL.script, finished=True)) == []
    foreign = adapter.parse(webhook("call.answered", state=None))
    assert foreign.key is None
    assert steer(foreign, None) == []


def test_a_failed_command_is_still_answered_with_a_2xx_so_telnyx_does_not_resend() -> None:
    event = Api().adapter().parse(webhook("call.answered"))
    assert len(steer(event, status=500)) == 1


def test_a_hang_up_ends_the_call_with_its_cause() -> None:
    event = Api().adapter().parse(webhook("call.hangup", hangup_cause="call_rejected"))
    assert [(e.kind, e.detail) for e in event.events] == [(CallEventKind.FAILED, "call_rejected")]
    assert steer(event) == []
