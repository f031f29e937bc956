"""Telnyx Call Control: create the call, then steer it with commands as its webhooks arrive.

Telnyx sends every event of a call to one webhook URL, signed with Ed25519 over
`{telnyx-timestamp}|{raw body}` (https://developers.telnyx.com/docs/development/api-fundamentals/
webhooks); a timestamp outside the tolerance is refused, so a recorded webhook cannot be replayed
later. Tocsin's state for the call (attempt key, prompt round, whether the goodbye is playing)
rides in `client_state`, which Telnyx echoes back inside the signed body. Telnyx takes no
instructions in the reply to a webhook, only a 2xx: on call.answered Tocsin sends
gather_using_speak, on call.gather.ended it speaks the confirmation (or the prompt again), and
when the goodbye has been spoken it hangs up, each as a command to the API
(https://developers.telnyx.com/api-reference/call-commands/gather).

Text messages go through the Messaging API with the same API key; the sending number must be
assigned to a messaging profile in the portal. Texts sent to the profile's numbers arrive at the
profile's webhook URL as message.received events
(https://developers.telnyx.com/api-reference/callbacks/inbound-message), signed as the call
webhooks are (https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks); the
same URL also gets the delivery reports of Tocsin's own texts, which are acknowledged and
otherwise ignored.

Whether the account owns a number, and so may present it as its caller ID, is read from its
phone numbers filtered by that number (`GET /v2/phone_numbers?filter[phone_number]=`,
https://developers.telnyx.com/api-reference/phone-number-configurations); only an `active` one
counts.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tocsin.core.errors import InvalidInput
from tocsin.telephony.base import (
    CallEventKind,
    CallRequest,
    Capabilities,
    NumberOwnership,
    ProviderError,
    TextMessage,
)
from tocsin.telephony.callbacks import (
    NO_CONTENT,
    CallbackEvent,
    CallbackKind,
    CallbackReply,
    CallbackRequest,
    CallView,
    Hook,
    turn_after,
)
from tocsin.telephony.dialogue import Turn, event, keypress_events
from tocsin.telephony.inbound import InboundText, e164, required, send_reply
from tocsin.telephony.prompts import locale_matching
from tocsin.telephony.rest.ownership import get_record, listed
from tocsin.telephony.rest.texts import message_id_from, send_text_request
from tocsin.telephony.rest.transport import DEFAULT_TIMEOUT_SECONDS, RestCall, call_id_from, send
from tocsin.telephony.rest.urls import callback_url

log = logging.getLogger(__name__)

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


# An Azure neural voice (`Azure.<VoiceId>`, https://developers.telnyx.com/docs/voice/
# programmable-voice/tts): speak's `language` lists no Ukrainian.
UKRAINIAN_VOICE = "Azure.uk-UA-PolinaNeural"


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


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def parse_callback(body: Mapping[str, Any]) -> CallbackEvent:
    """One webhook: the call it is about, by Tocsin's client state, and what happened."""
    data = _object(body.get("data"))
    payload = _object(data.get("payload"))
    event_type = str(data.get("event_type", ""))
    state = ClientState.decode(payload.get("client_state"))
    key = state.key if state else None
    call_id = str(payload.get("call_control_id", ""))
    if event_type == "call.initiated":
        return CallbackEvent(key, Hook.STATUS, call_id, (event(CallEventKind.TRYING),))
    if event_type == "call.answered":
        return CallbackEvent(key, Hook.ANSWER, call_id, (event(CallEventKind.ANSWERED),))
    if event_type == "call.gather.ended":
        return _gather_ended(key, call_id, payload, round_no=state.round_no if state else 0)
    if event_type == "call.hangup":
        cause = str(payload.get("hangup_cause", ""))
        kind = _HANGUP_CAUSES.get(cause, CallEventKind.FAILED)
        ended = event(kind, detail=cause if kind == CallEventKind.FAILED else "")
        return CallbackEvent(key, Hook.STATUS, call_id, (ended,))
    if event_type == "call.speak.ended" and state and state.goodbye:
        return CallbackEvent(key, Hook.GOODBYE, call_id)
    return CallbackEvent(key, Hook.STATUS, call_id)


def _gather_ended(
    key: str | None, call_id: str, payload: Mapping[str, Any], *, round_no: int
) -> CallbackEvent:
    """A key, or the wait for one timed out; any other end (the call hung up) answers nothing
    and says only that the call had been answered."""
    if payload.get("status") not in _GATHER_ANSWERS:
        return CallbackEvent(key, Hook.STATUS, call_id, tuple(keypress_events("", round_no)))
    digits = str(payload.get("digits") or "")[:1]
    events = tuple(keypress_events(digits, round_no))
    return CallbackEvent(key, Hook.KEYPRESS, call_id, events, digits=digits, round_no=round_no)


def reference(request: CallbackRequest) -> str | None:
    """The key in an unverified webhook's client state, read only to find whose public key
    checks it; a body that is not JSON names none (and is refused as unsigned)."""
    try:
        body = request.json_object()
    except InvalidInput:
        return None
    return parse_callback(body).key


CALLBACKS = CallbackKind(NAME, frozenset({"events"}), reference)


def verify_signature(
    public_key: str,
    *,
    signature: str | None,
    timestamp: str | None,
    body: bytes,
    now: datetime,
    tolerance_seconds: int,
) -> bool:
    if not signature or not timestamp or not timestamp.isdecimal():
        return False
    if abs(now.timestamp() - int(timestamp)) > tolerance_seconds:
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
        key.verify(base64.b64decode(signature), timestamp.encode() + b"|" + body)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def verify_request(config: TelnyxConfig, request: CallbackRequest) -> bool:
    return verify_signature(
        config.public_key,
        signature=request.header(SIGNATURE_HEADER),
        timestamp=request.header(TIMESTAMP_HEADER),
        body=request.body,
        now=request.received_at,
        tolerance_seconds=config.timestamp_tolerance_seconds,
    )


def parse_inbound_text(body: Mapping[str, Any]) -> InboundText | None:
    """A message.received event as an inbound text; None for any other event."""
    data = _object(body.get("data"))
    if data.get("event_type") != "message.received":
        return None
    payload = _object(data.get("payload"))
    recipients = payload.get("to")
    first = _object(recipients[0]) if isinstance(recipients, list) and recipients else {}
    return InboundText(
        message_id=required(payload.get("id"), field="id"),
        from_number=e164(_object(payload.get("from")).get("phone_number"), field="from"),
        to_number=e164(first.get("phone_number"), field="to"),
        body=str(payload.get("text") or ""),
    )


def _error_message(body: Any) -> str | None:
    errors = body.get("errors") or []
    if not errors:
        return None
    first = errors[0]
    return str(first.get("detail") or first.get("title") or "") or None


class TelnyxProvider:
    name = NAME
    capabilities = Capabilities(sends_text=True, checks_ownership=True)

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

    async def owns_number(self, number: str) -> NumberOwnership:
        url, headers = self._api("phone_numbers")
        params = {"filter[phone_number]": number}
        body = await get_record(
            LABEL,
            lambda client: client.get(url, params=params, headers=headers),
            timeout_seconds=self.config.timeout_seconds,
            extract_error=_error_message,
            transport=self._transport,
        )
        found = listed(body, "data", "phone_number", number)
        if any(item.get("status") == "active" for item in found):
            return NumberOwnership(True, "an active number of the Telnyx account")
        if found:
            return NumberOwnership(False, "a number of the Telnyx account that is not active")
        return NumberOwnership(False, "not a number of the Telnyx account")

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

    @property
    def callbacks(self) -> TelnyxCallbacks:
        return TelnyxCallbacks(self)

    @property
    def inbound_texts(self) -> TelnyxInboundTexts:
        return TelnyxInboundTexts(self)

    def speech(self, language: str) -> dict[str, str]:
        """The voice and language of speak and gather_using_speak for a turn in `language`:
        the account's voice with the account's `language` setting for its own language, else
        the language's locale; Ukrainian, which the `language` values lack, in an Azure voice
        that names its language itself
        (https://developers.telnyx.com/api-reference/call-commands/gather-using-speak)."""
        if language == "uk":
            return {"voice": UKRAINIAN_VOICE}
        return {
            "voice": self.config.voice,
            "language": locale_matching(language, self.config.language),
        }

    async def play(self, call_control_id: str, turn: Turn, key: str) -> None:
        """Speak one turn: with a one-key gather, or as the goodbye that ends the call."""
        voice = self.speech(turn.language)
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


class TelnyxCallbacks:
    """A Telnyx account's webhooks: checked with its public key, answered with an empty 2xx
    after the command that moves the call on."""

    def __init__(self, provider: TelnyxProvider) -> None:
        self._provider = provider

    def verify(self, request: CallbackRequest) -> bool:
        return verify_request(self._provider.config, request)

    def parse(self, request: CallbackRequest) -> CallbackEvent:
        return parse_callback(request.json_object())

    async def reply(self, event: CallbackEvent, call: CallView | None) -> CallbackReply:
        if call is None or call.finished or event.key is None:
            return NO_CONTENT
        try:
            await self._steer(event, call, event.key)
        except ProviderError as error:
            # The event is recorded; a failed command leaves the call to end on its own, and a
            # non-2xx here would only make Telnyx send the same webhook again.
            log.warning("Telnyx command after a %s webhook failed: %s", event.hook, error)
        return NO_CONTENT

    async def _steer(self, event: CallbackEvent, call: CallView, key: str) -> None:
        if event.hook is Hook.GOODBYE:
            await self._provider.end_call(event.provider_call_id)
            return
        turn = turn_after(event, call)
        if turn is not None:
            await self._provider.play(event.provider_call_id, turn, key)


class TelnyxInboundTexts:
    """Texts to the messaging profile's numbers, from its webhook URL."""

    acknowledgement = NO_CONTENT

    def __init__(self, provider: TelnyxProvider) -> None:
        self._provider = provider

    def verify(self, request: CallbackRequest) -> bool:
        return verify_request(self._provider.config, request)

    def parse(self, request: CallbackRequest) -> InboundText | None:
        return parse_inbound_text(request.json_object())

    async def reply(self, text: InboundText, body: str) -> str:
        return await send_reply(self._provider, text, body)
