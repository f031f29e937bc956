"""Vonage Voice: create the call with an application JWT, answer with NCCO, check signed webhooks.

Requests to the API carry a JWT signed RS256 with the application's private key. Vonage signs
each webhook with a JWT in `Authorization: Bearer`, HS256 with the account's signature secret,
whose `payload_hash` is the SHA-256 of the body. The JWT does not cover the URL, so each
callback URL carries, next to the attempt's key, a token that binds the key to this account
(an HMAC under the signature secret): a signed webhook replayed to another attempt's URL fails.

Text messages go through the Messages API, which takes the same application JWT; the
application needs the Messages capability enabled. It takes no idempotency key.
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
from tocsin.telephony.base import CallEvent, CallEventKind, CallRequest, Capabilities, TextMessage
from tocsin.telephony.dialogue import Turn, event
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


@dataclass(frozen=True)
class VonageConfig:
    application_id: str
    private_key_pem: str
    signature_secret: str
    api_base_url: str = "https://api.nexmo.com"
    language: str = "en-US"
    style: int = 0
    gather_timeout_seconds: int = 8
    token_tolerance_seconds: int = 300
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


def parse_callback(body: dict[str, Any]) -> tuple[str, list[CallEvent]]:
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


def _error_message(body: Any) -> str | None:
    message = body.get("detail") or body.get("title")
    return str(message) if message else None


class VonageProvider:
    name = NAME
    capabilities = Capabilities(sends_text=True)

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

    def _url(self, route: str, key: str, **query: str | int) -> str:
        return callback_url(
            self.public_base_url, NAME, route, key=key, token=self.key_token(key), **query
        )

    def key_token(self, key: str) -> str:
        message = f"tocsin-callback:{key}".encode()
        digest = hmac.new(self.config.signature_secret.encode(), message, hashlib.sha256)
        return digest.hexdigest()[:32]

    def api_token(self) -> str:
        issued = int(self._clock.now().timestamp())
        claims = {
            "application_id": self.config.application_id,
            "iat": issued,
            "exp": issued + API_TOKEN_SECONDS,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self.config.private_key_pem, algorithm="RS256")

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
            "answer_url": [self._url("answer", key)],
            "answer_method": "POST",
            "event_url": [self._url("event", key)],
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

    def verify(
        self, *, authorization: str | None, body: bytes, now: datetime, key: str, token: str
    ) -> bool:
        if not hmac.compare_digest(self.key_token(key), token):
            return False
        return verify_signed_webhook(
            self.config.signature_secret,
            authorization=authorization,
            body=body,
            now=now,
            tolerance_seconds=self.config.token_tolerance_seconds,
        )

    def ncco(self, turn: Turn, key: str) -> list[dict[str, Any]]:
        """The NCCO for one turn: the text with a one-key DTMF input, or a goodbye (the call
        ends when the NCCO does)."""
        talk: dict[str, Any] = {
            "action": "talk",
            "text": turn.text,
            "language": self.config.language,
            "style": self.config.style,
        }
        if not turn.gather:
            return [talk]
        return [
            {**talk, "bargeIn": True},
            {
                "action": "input",
                "type": ["dtmf"],
                "dtmf": {"maxDigits": 1, "timeOut": self.config.gather_timeout_seconds},
                "eventUrl": [self._url("input", key, round=turn.round_no)],
                "eventMethod": "POST",
            },
        ]
