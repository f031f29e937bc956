"""Vonage Voice: create the call with an application JWT, answer with NCCO, check signed webhooks.

Requests to the API carry a JWT signed RS256 with the application's private key. Vonage signs
each webhook with a JWT in `Authorization: Bearer`, HS256 with the account's signature secret,
whose `payload_hash` is the SHA-256 of the body
(https://developer.vonage.com/en/getting-started/concepts/webhooks#decoding-signed-webhooks). The
JWT does not cover the URL, so each callback URL carries, next to the attempt's key, a token that
binds the key to this account (an HMAC under the signature secret): a signed webhook replayed to
another attempt's URL fails. Vonage fetches an NCCO from the answer URL, posts a key to the
input action's eventUrl, and posts status changes to the event URL
(https://developer.vonage.com/en/voice/voice-api/ncco-reference,
https://developer.vonage.com/en/voice/voice-api/webhook-reference).

Text messages go through the Messages API, which takes the same application JWT; the
application needs the Messages capability enabled. It takes no idempotency key. Texts sent to
the application's numbers arrive at its Messages inbound URL
(https://developer.vonage.com/en/messages/code-snippets/inbound-message) as JSON (channel sms,
message_uuid, from and to as digits, text), signed with the same JWT as the voice webhooks
(https://developer.nexmo.com/cn/messages/concepts/signed-webhooks). That URL is configured once
at Vonage and carries no call key, so no URL token is needed: the signature secret alone says
the message is Vonage's, and its payload hash that the body is the one signed.

Whether the account owns a number, and so may present it as its caller ID, is read from the
Numbers API (`GET https://rest.nexmo.com/account/numbers?pattern=...&search_pattern=0`,
https://developer.vonage.com/en/numbers/code-snippets/list-owned), which takes the account's API
key and secret by basic authentication rather than the application's JWT: the optional
credentials `api_key` and `api_secret`.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import jwt

from tocsin.core.clock import Clock, SystemClock
from tocsin.telephony.base import (
    CallEvent,
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
    hook_of,
    key_in_url,
    round_in_url,
    turn_after,
)
from tocsin.telephony.dialogue import Turn, event, keypress_events
from tocsin.telephony.inbound import InboundText, e164, required, send_reply
from tocsin.telephony.prompts import locale_matching
from tocsin.telephony.rest.ownership import get_record, listed
from tocsin.telephony.rest.texts import message_id_from, send_text_request
from tocsin.telephony.rest.transport import DEFAULT_TIMEOUT_SECONDS, RestCall, call_id_from, send
from tocsin.telephony.rest.urls import callback_url, e164_digits

NAME = "vonage"
LABEL = "Vonage"
API_TOKEN_SECONDS = 300

_STATUSES = {
    "started": CallEventKind.TRYING,
    "ringing": CallEventKind.RINGING,
    "answered": CallEventKind.ANSWERED,
    "completed": CallEventKind.COMPLETED,
    "busy": CallEventKind.BUSY,
    "timeout": CallEventKind.NO_ANSWER,
    "unanswered": CallEventKind.NO_ANSWER,
    "rejected": CallEventKind.FAILED,
    "failed": CallEventKind.FAILED,
    "cancelled": CallEventKind.FAILED,
}
HOOKS = {"answer": Hook.ANSWER, "input": Hook.KEYPRESS, "event": Hook.STATUS}
CALLBACKS = CallbackKind(NAME, frozenset(HOOKS), key_in_url)


@dataclass(frozen=True)
class VonageConfig:
    application_id: str
    private_key_pem: str
    signature_secret: str
    api_base_url: str = "https://api.nexmo.com"
    # The Numbers API, and the account credentials it takes (not needed to place calls).
    numbers_api_base_url: str = "https://rest.nexmo.com"
    api_key: str | None = None
    api_secret: str | None = None
    language: str = "en-US"
    style: int = 0
    gather_timeout_seconds: int = 8
    token_tolerance_seconds: int = 300
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


def key_token(signature_secret: str, key: str) -> str:
    """What binds a callback URL's key to the account (see the module docstring)."""
    message = f"tocsin-callback:{key}".encode()
    return hmac.new(signature_secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def parse_event(body: dict[str, Any]) -> tuple[str, list[CallEvent]]:
    """An event webhook: the call uuid and what it says happened."""
    call_id = str(body.get("uuid", ""))
    kind = _STATUSES.get(str(body.get("status", "")))
    if kind is None:
        return call_id, []
    detail = str(body.get("detail", "")) if kind == CallEventKind.FAILED else ""
    return call_id, [event(kind, detail=detail)]


def parse_input(body: dict[str, Any]) -> tuple[str, str]:
    """An input webhook: the call uuid and the key pressed ('' when it timed out)."""
    dtmf = body.get("dtmf") or {}
    return str(body.get("uuid", "")), str(dtmf.get("digits") or "")[:1]


def verify_signed_webhook(
    secret: str, *, authorization: str | None, body: bytes, now: datetime, tolerance_seconds: int
) -> bool:
    if not authorization or not authorization.startswith("Bearer "):
        return False
    try:
        claims = jwt.decode(
            authorization.removeprefix("Bearer ").strip(),
            secret,
            algorithms=["HS256"],
            # Time is checked below against Tocsin's clock, not the library's.
            options={"verify_iat": False, "verify_exp": False, "verify_nbf": False},
        )
    except jwt.PyJWTError:
        return False
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or abs(now.timestamp() - issued) > tolerance_seconds:
        return False
    payload_hash = claims.get("payload_hash")
    if not isinstance(payload_hash, str):
        return False
    return hmac.compare_digest(payload_hash, hashlib.sha256(body).hexdigest())


def parse_inbound_text(body: dict[str, Any]) -> InboundText | None:
    """An inbound SMS from the Messages API; None for another channel or a non-text message."""
    if body.get("channel") != "sms" or body.get("message_type", "text") != "text":
        return None
    return InboundText(
        message_id=required(body.get("message_uuid"), field="message_uuid"),
        from_number=e164(body.get("from"), field="from"),
        to_number=e164(body.get("to"), field="to"),
        body=str(body.get("text") or ""),
    )


def _error_message(body: Any) -> str | None:
    message = body.get("detail") or body.get("title")
    return str(message) if message else None


class VonageProvider:
    name = NAME
    capabilities = Capabilities(sends_text=True, checks_ownership=True)

    def __init__(
        self,
        config: VonageConfig,
        *,
        public_base_url: str,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.public_base_url = public_base_url
        self._clock = clock or SystemClock()
        self._transport = transport

    def webhook_url(self, route: str, key: str, **query: str | int) -> str:
        return callback_url(
            self.public_base_url,
            NAME,
            route,
            key=key,
            token=key_token(self.config.signature_secret, key),
            **query,
        )

    def api_token(self) -> str:
        issued = int(self._clock.now().timestamp())
        claims = {
            "application_id": self.config.application_id,
            "iat": issued,
            "exp": issued + API_TOKEN_SECONDS,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self.config.private_key_pem, algorithm="RS256")

    async def owns_number(self, number: str) -> NumberOwnership:
        key, secret = self.config.api_key, self.config.api_secret
        if not key or not secret:
            raise ProviderError(
                "vonage: no api_key and api_secret to ask the Numbers API",
                retry_safe=True,
                code="provider_config",
                user_message=(
                    "Checking a number with Vonage needs the account's api_key and api_secret "
                    "in the provider account's credentials."
                ),
            )
        digits = e164_digits(number)
        url = f"{self.config.numbers_api_base_url.rstrip('/')}/account/numbers"
        # search_pattern 0: the number starts with the pattern; the whole number is matched.
        params = {"pattern": digits, "search_pattern": "0"}
        body = await get_record(
            LABEL,
            lambda client: client.get(url, params=params, auth=(key, secret)),
            timeout_seconds=self.config.timeout_seconds,
            extract_error=_error_message,
            transport=self._transport,
        )
        if listed(body, "numbers", "msisdn", digits):
            return NumberOwnership(True, "a number of the Vonage account")
        return NumberOwnership(False, "not a number of the Vonage account")

    def _api(self, path: str) -> tuple[str, dict[str, str]]:
        """The URL of an API path and the headers that authenticate a request to it."""
        url = f"{self.config.api_base_url.rstrip('/')}/v1/{path}"
        return url, {"Authorization": f"Bearer {self.api_token()}"}

    async def _request(self, method: str, path: str, body: dict[str, Any]) -> httpx.Response:
        url, headers = self._api(path)
        return await send(
            LABEL,
            lambda client: client.request(method, url, json=body, headers=headers),
            timeout_seconds=self.config.timeout_seconds,
            extract_error=_error_message,
            transport=self._transport,
        )

    async def dial(self, request: CallRequest) -> RestCall:
        key = request.idempotency_key
        body = {
            "to": [{"type": "phone", "number": e164_digits(request.to_number)}],
            "from": {"type": "phone", "number": e164_digits(request.caller_id)},
            "answer_url": [self.webhook_url("answer", key)],
            "answer_method": "POST",
            "event_url": [self.webhook_url("event", key)],
            "event_method": "POST",
            "ringing_timer": round(request.ring_timeout_seconds),
        }
        response = await self._request("POST", "calls", body)
        call_id = call_id_from(LABEL, response, lambda found: found["uuid"])
        return RestCall(call_id, lambda: self.end_call(call_id))

    async def end_call(self, call_id: str) -> None:
        await self._request("PUT", f"calls/{call_id}", {"action": "hangup"})

    async def send_text(self, message: TextMessage) -> str:
        url, headers = self._api("messages")
        body = {
            "message_type": "text",
            "channel": "sms",
            "to": e164_digits(message.to_number),
            "from": e164_digits(message.sender),
            "text": message.body,
        }
        response = await send_text_request(
            LABEL,
            lambda client: client.post(url, json=body, headers=headers),
            timeout_seconds=self.config.timeout_seconds,
            extract_error=_error_message,
            transport=self._transport,
        )
        return message_id_from(LABEL, response, lambda found: found["message_uuid"])

    async def lookup(self, idempotency_key: str) -> None:
        """Vonage keeps no idempotency key for calls, so an unconfirmed call cannot be found."""
        return None

    @property
    def callbacks(self) -> VonageCallbacks:
        return VonageCallbacks(self)

    @property
    def inbound_texts(self) -> VonageInboundTexts:
        return VonageInboundTexts(self)


class VonageCallbacks:
    """A Vonage application's webhooks: the answer URL, the input action's eventUrl and the
    event URL, each answered with an NCCO or an empty 2xx."""

    def __init__(self, provider: VonageProvider) -> None:
        self._provider = provider

    def verify(self, request: CallbackRequest) -> bool:
        config = self._provider.config
        expected = key_token(config.signature_secret, key_in_url(request))
        if not hmac.compare_digest(expected.encode(), request.query("token").encode()):
            return False
        return verify_signed_webhook(
            config.signature_secret,
            authorization=request.header("Authorization"),
            body=request.body,
            now=request.received_at,
            tolerance_seconds=config.token_tolerance_seconds,
        )

    def parse(self, request: CallbackRequest) -> CallbackEvent:
        hook = hook_of(request, HOOKS)
        body = request.json_object()
        key = key_in_url(request)
        if hook is Hook.KEYPRESS:
            call_id, digit = parse_input(body)
            round_no = round_in_url(request)
            events = tuple(keypress_events(digit, round_no))
            return CallbackEvent(key, hook, call_id, events, digits=digit, round_no=round_no)
        if hook is Hook.ANSWER:
            answered = (event(CallEventKind.ANSWERED),)
            return CallbackEvent(key, hook, str(body.get("uuid", "")), answered)
        call_id, happened = parse_event(body)
        return CallbackEvent(key, hook, call_id, tuple(happened))

    async def reply(self, event: CallbackEvent, call: CallView | None) -> CallbackReply:
        turn = turn_after(event, call) if call is not None else None
        if turn is None:
            return NO_CONTENT
        return CallbackReply.json(self.ncco(turn, event.key or ""))

    def ncco(self, turn: Turn, key: str) -> list[dict[str, Any]]:
        """The NCCO for one turn: the text with a one-key DTMF input, or a goodbye (the call
        ends when the NCCO does)."""
        config = self._provider.config
        talk: dict[str, Any] = {
            "action": "talk",
            "text": turn.text,
            # The account's `language` setting for its own language, else the language's
            # BCP-47 locale; Vonage speaks all eight
            # (https://developer.vonage.com/en/voice/voice-api/guides/text-to-speech).
            "language": locale_matching(turn.language, config.language),
            "style": config.style,
        }
        if not turn.gather:
            return [talk]
        return [
            {**talk, "bargeIn": True},
            {
                "action": "input",
                "type": ["dtmf"],
                "dtmf": {"maxDigits": 1, "timeOut": config.gather_timeout_seconds},
                "eventUrl": [self._provider.webhook_url("input", key, round=turn.round_no)],
                "eventMethod": "POST",
            },
        ]


class VonageInboundTexts:
    """Texts to the application's numbers, from its Messages inbound URL."""

    acknowledgement = NO_CONTENT

    def __init__(self, provider: VonageProvider) -> None:
        self._provider = provider

    def verify(self, request: CallbackRequest) -> bool:
        config = self._provider.config
        return verify_signed_webhook(
            config.signature_secret,
            authorization=request.header("Authorization"),
            body=request.body,
            now=request.received_at,
            tolerance_seconds=config.token_tolerance_seconds,
        )

    def parse(self, request: CallbackRequest) -> InboundText | None:
        return parse_inbound_text(request.json_object())

    async def reply(self, text: InboundText, body: str) -> str:
        return await send_reply(self._provider, text, body)
