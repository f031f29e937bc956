"""Telnyx Call Control: create the call, then steer it with commands as its webhooks arrive.

Telnyx sends every event of a call to one webhook URL, signed with Ed25519 over
`{telnyx-timestamp}|{raw body}`; a timestamp outside the tolerance is refused, so a recorded
webhook cannot be replayed later. Tocsin's state for the call (attempt key, prompt round, whether
the goodbye is playing) rides in `client_state`, which Telnyx echoes back inside the signed body.
On call.answered Tocsin sends gather_using_speak; on call.gather.ended it speaks the confirmation
(or the prompt again); when the goodbye has been spoken it hangs up.

Text messages go through the Messaging API with the same API key; the sending number must be
assigned to a messaging profile in the portal.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tocsin.telephony.base import CallEvent, CallEventKind, CallRequest, Capabilities, TextMessage
from tocsin.telephony.dialogue import CallScript, Turn, event, keypress_events
from tocsin.telephony.rest.texts import message_id_from, send_text_request
from tocsin.telephony.rest.transport import DEFAULT_TIMEOUT_SECONDS, RestCall, call_id_from, send
from tocsin.telephony.rest.urls import callback_url

NAME = "telnyx"
LABEL = "Telnyx"
SIGNATURE_HEADER = "telnyx-signature-ed25519"
TIMESTAMP_HEADER = "telnyx-timestamp"

_HANGUP_CAUSES = {
    "normal_clearing": CallEventKind.COMPLETED,
    "user_busy": CallEventKind.BUSY,
    "timeout": CallEventKind.NO_ANSWER,
    "no_answer": CallEventKind.NO_ANSWER,
}
_GATHER_ANSWERS = frozenset({"valid", "invalid", "timeout"})


@dataclass(frozen=True)
class TelnyxConfig:
    api_key: str
    connection_id: str
    # The account's Ed25519 public key as shown in the portal (base64 of the 32 raw bytes).
    public_key: str
    api_base_url: str = "https://api.telnyx.com"
    voice: str = "female"
    language: str = "en-US"
    gather_timeout_seconds: int = 8
    timestamp_tolerance_seconds: int = 300
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


@dataclass(frozen=True)
class ClientState:
    key: str
    round_no: int = 0
    goodbye: bool = False

    def encode(self) -> str:
        data = {"k": self.key, "r": self.round_no, "g": self.goodbye}
        return base64.b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()

    @classmethod
    def decode(cls, value: str | None) -> ClientState | None:
        if not value:
            return None
        try:
            data = json.loads(base64.b64decode(value, validate=True))
            return cls(key=str(data["k"]), round_no=int(data["r"]), goodbye=bool(data["g"]))
        except (binascii.Error, ValueError, TypeError, KeyError):
            return None


@dataclass(frozen=True)
class TelnyxCallback:
    event_type: str
    call_control_id: str
    state: ClientState | None
    events: list[CallEvent] = field(default_factory=list)
    digits: str = ""
    gather_answered: bool = False


def parse_callback(body: dict[str, Any]) -> TelnyxCallback:
    """One webhook: the call it is about, Tocsin's client state, and what happened."""
    data = body.get("data") or {}
    payload = data.get("payload") or {}
    event_type = str(data.get("event_type", ""))
    state = ClientState.decode(payload.get("client_state"))
    round_no = state.round_no if state else 0
    call_id = str(payload.get("call_control_id", ""))
    events: list[CallEvent] = []
    digits = ""
    gather_answered = False
    if event_type == "call.initiated":
        events.append(event(CallEventKind.TRYING))
    elif event_type == "call.answered":
        events.append(event(CallEventKind.ANSWERED))
    elif event_type == "call.gather.ended":
        gather_answered = payload.get("status") in _GATHER_ANSWERS
        digits = str(payload.get("digits") or "")[:1] if gather_answered else ""
        events.extend(keypress_events(digits, round_no))
    elif event_type == "call.hangup":
        cause = str(payload.get("hangup_cause", ""))
        kind = _HANGUP_CAUSES.get(cause, CallEventKind.FAILED)
        events.append(event(kind, detail=cause if kind == CallEventKind.FAILED else ""))
    return TelnyxCallback(event_type, call_id, state, events, digits, gather_answered)


def verify_signature(
    public_key: str,
    *,
    signature: str | None,
    timestamp: str | None,
    body: bytes,
    now: datetime,
    tolerance_seconds: int,
) -> bool:
    if not signature or not timestamp or not timestamp.isdigit():
        return False
    if abs(now.timestamp() - int(timestamp)) > tolerance_seconds:
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
        key.verify(base64.b64decode(signature), timestamp.encode() + b"|" + body)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def _error_message(body: Any) -> str | None:
    errors = body.get("errors") or []
    if not errors:
        return None
    first = errors[0]
    return str(first.get("detail") or first.get("title") or "") or None


class TelnyxProvider:
    name = NAME
    capabilities = Capabilities(sends_text=True)

    def __init__(
        self,
        config: TelnyxConfig,
        *,
        public_base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.public_base_url = public_base_url
        self._transport = transport

    def _api(self, path: str) -> tuple[str, dict[str, str]]:
        """The URL of an API path and the headers that authenticate a request to it."""
        url = f"{self.config.api_base_url.rstrip('/')}/v2/{path}"
        return url, {"Authorization": f"Bearer {self.config.api_key}"}

    async def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        url, headers = self._api(path)
        return await send(
            LABEL,
            lambda client: client.post(url, json=body, headers=headers),
            timeout_seconds=self.config.timeout_seconds,
            extract_error=_error_message,
            transport=self._transport,
        )

    async def dial(self, request: CallRequest) -> RestCall:
        body = {
            "connection_id": self.config.connection_id,
            "to": request.to_number,
            "from": request.caller_id,
            "webhook_url": callback_url(self.public_base_url, NAME, "events"),
            "webhook_url_method": "POST",
            "timeout_secs": round(request.ring_timeout_seconds),
            "client_state": ClientState(request.idempotency_key).encode(),
        }
        response = await self._post("calls", body)
        call_id = call_id_from(LABEL, response, lambda found: found["data"]["call_control_id"])
        return RestCall(call_id, lambda: self.end_call(call_id))

    async def end_call(self, call_control_id: str) -> None:
        await self._post(f"calls/{call_control_id}/actions/hangup", {})

    async def send_text(self, message: TextMessage) -> str:
        url, headers = self._api("messages")
        body = {"from": message.sender, "to": message.to_number, "text": message.body}
        response = await send_text_request(
            LABEL,
            lambda client: client.post(url, json=body, headers=headers),
            timeout_seconds=self.config.timeout_seconds,
            extract_error=_error_message,
            transport=self._transport,
        )
        return message_id_from(LABEL, response, lambda found: found["data"]["id"])

    async def lookup(self, idempotency_key: str) -> None:
        """Telnyx keeps no idempotency key for calls, so an unconfirmed call cannot be found."""
        return None

    def verify(
        self, *, signature: str | None, timestamp: str | None, body: bytes, now: datetime
    ) -> bool:
        return verify_signature(
            self.config.public_key,
            signature=signature,
            timestamp=timestamp,
            body=body,
            now=now,
            tolerance_seconds=self.config.timestamp_tolerance_seconds,
        )

    async def play(self, call_control_id: str, turn: Turn, key: str) -> None:
        """Speak one turn: with a one-key gather, or as the goodbye that ends the call."""
        voice = {"voice": self.config.voice, "language": self.config.language}
        state = ClientState(key, turn.round_no, goodbye=not turn.gather).encode()
        if turn.gather:
            await self._post(
                f"calls/{call_control_id}/actions/gather_using_speak",
                {
                    "payload": turn.text,
                    **voice,
                    "valid_digits": "0123456789*#",
                    "minimum_digits": 1,
                    "maximum_digits": 1,
                    "timeout_millis": self.config.gather_timeout_seconds * 1000,
                    "client_state": state,
                },
            )
        else:
            await self._post(
                f"calls/{call_control_id}/actions/speak",
                {"payload": turn.text, **voice, "client_state": state},
            )

    async def respond(self, callback: TelnyxCallback, script: CallScript) -> None:
        """The command that moves the call on after this webhook, if any."""
        if callback.state is None:
            return
        key, call_id = callback.state.key, callback.call_control_id
        if callback.event_type == "call.answered":
            await self.play(call_id, script.first_turn(), key)
        elif callback.event_type == "call.gather.ended" and callback.gather_answered:
            turn = script.next_turn(callback.digits, callback.state.round_no)
            await self.play(call_id, turn, key)
        elif callback.event_type == "call.speak.ended" and callback.state.goodbye:
            await self.end_call(call_id)
