"""Plivo Voice: create the call; its callbacks, checked by X-Plivo-Signature-V3 and answered with
Plivo XML.

Plivo answers the create-call request with a `request_uuid` before the call has a CallUUID, and
every callback (https://plivo.com/docs/voice/concepts/callbacks) carries that RequestUUID, so it
is the call id Tocsin keeps. Callbacks are signed (V3) with HMAC-SHA256 (auth token) over the URL
with its query sorted, the sorted POST parameters, and the nonce in X-Plivo-Signature-V3-Nonce
(https://plivo.com/docs/voice/concepts/signature-validation); the header may hold several
signatures separated by commas. A key comes to the GetDigits action
(https://www.plivo.com/docs/voice/xml/getdigits).

Text messages go through Plivo's Message API with the same credentials; it takes no
idempotency key. Texts sent to the account's numbers are posted to the application's message_url
(https://docs.plivo.com/docs/messaging/xml/request): form fields From and To (digits), Type,
Text and MessageUUID, signed V3 as the call callbacks are (the V3 validation page names the
message URL among those signed); the reply goes through the API, so the webhook gets an empty
<Response/>.

Whether the account owns a number, and so may present it as its caller ID, is one read of the
number's record (`GET /v1/Account/{auth_id}/Number/{number}/`, HTTP 404 when it is not the
account's: https://www.plivo.com/docs/numbers/api/account-phone-number).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx

from tocsin.telephony.base import (
    CallEventKind,
    CallRequest,
    Capabilities,
    NumberOwnership,
    TextMessage,
)
from tocsin.telephony.callbacks import CallbackKind, CallbackReply, CallbackRequest, key_in_url
from tocsin.telephony.inbound import InboundText, e164, required, send_reply
from tocsin.telephony.prompts import locale_matching
from tocsin.telephony.rest.forms import EMPTY_RESPONSE, ROUTES, FormCallbacks, FormFields, XmlWords
from tocsin.telephony.rest.ownership import get_record
from tocsin.telephony.rest.texts import message_id_from, send_text_request
from tocsin.telephony.rest.transport import DEFAULT_TIMEOUT_SECONDS, RestCall, call_id_from, send
from tocsin.telephony.rest.urls import callback_url, e164_digits

NAME = "plivo"
LABEL = "Plivo"
SIGNATURE_HEADER = "X-Plivo-Signature-V3"
NONCE_HEADER = "X-Plivo-Signature-V3-Nonce"

STATUSES = {
    "queued": CallEventKind.TRYING,
    "ringing": CallEventKind.RINGING,
    "in-progress": CallEventKind.ANSWERED,
    "completed": CallEventKind.COMPLETED,
    "busy": CallEventKind.BUSY,
    "no-answer": CallEventKind.NO_ANSWER,
    "timeout": CallEventKind.NO_ANSWER,
    "failed": CallEventKind.FAILED,
    "cancel": CallEventKind.FAILED,
}
CALLBACKS = CallbackKind(NAME, ROUTES, key_in_url)

# The prompt languages <Speak>'s WOMAN and MAN voices speak
# (https://plivo.com/docs/voice/xml/audio-output#supported-languages): Ukrainian is not one, so
# those calls are said in English.
SPEAK_LANGUAGES = frozenset({"en", "es", "fr", "de", "pt", "it", "pl"})


@dataclass(frozen=True)
class PlivoConfig:
    auth_id: str
    auth_token: str
    api_base_url: str = "https://api.plivo.com"
    voice: str = "WOMAN"
    language: str = "en-US"
    gather_timeout_seconds: int = 8
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


def signed_text(url: str, params: Sequence[tuple[str, str]]) -> str:
    """What Plivo's V3 signature covers for a POST, as its own SDKs build it."""
    parts = urlsplit(url)
    text = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    query = "&".join(
        f"{name}={value}" for name, value in sorted(parse_qsl(parts.query, keep_blank_values=True))
    )
    if not params:
        return f"{text}?{query}" if query else text
    text += "?" + query + ("." if query else "")
    return text + "".join(name + value for name, value in sorted(params))


def signature(auth_token: str, url: str, params: Sequence[tuple[str, str]], nonce: str) -> str:
    message = f"{signed_text(url, params)}.{nonce}".encode()
    digest = hmac.new(auth_token.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_request(auth_token: str, request: CallbackRequest) -> bool:
    header = request.header(SIGNATURE_HEADER)
    nonce = request.header(NONCE_HEADER)
    if not header or not nonce:
        return False
    expected = signature(auth_token, request.url, request.form(), nonce).encode()
    return any(hmac.compare_digest(expected, given.strip().encode()) for given in header.split(","))


def _error_message(body: Any) -> str | None:
    message = body.get("error")
    return str(message) if message else None


class PlivoProvider:
    name = NAME
    capabilities = Capabilities(sends_text=True, checks_ownership=True)

    def __init__(
        self,
        config: PlivoConfig,
        *,
        public_base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.public_base_url = public_base_url
        self._transport = transport

    def _url(self, route: str, **query: str | int) -> str:
        return callback_url(self.public_base_url, NAME, route, **query)

    def _api(self, path: str) -> str:
        return f"{self.config.api_base_url.rstrip('/')}/v1/Account/{self.config.auth_id}/{path}"

    async def _request(self, method: str, url: str, body: dict[str, Any] | None) -> httpx.Response:
        auth = (self.config.auth_id, self.config.auth_token)
        return await send(
            LABEL,
            lambda client: client.request(method, url, json=body, auth=auth),
            timeout_seconds=self.config.timeout_seconds,
            extract_error=_error_message,
            transport=self._transport,
        )

    async def owns_number(self, number: str) -> NumberOwnership:
        digits = e164_digits(number)
        url = self._api(f"Number/{digits}/")
        auth = (self.config.auth_id, self.config.auth_token)
        body = await get_record(
            LABEL,
            lambda client: client.get(url, auth=auth),
            timeout_seconds=self.config.timeout_seconds,
            extract_error=_error_message,
            transport=self._transport,
        )
        if isinstance(body, dict) and body.get("number") == digits:
            return NumberOwnership(True, "a number of the Plivo account")
        return NumberOwnership(False, "not a number of the Plivo account")

    async def dial(self, request: CallRequest) -> RestCall:
        key = request.idempotency_key
        body = {
            "from": e164_digits(request.caller_id),
            "to": e164_digits(request.to_number),
            "answer_url": self._url("answer", key=key),
            "answer_method": "POST",
            "ring_url": self._url("status", key=key),
            "ring_method": "POST",
            "hangup_url": self._url("status", key=key),
            "hangup_method": "POST",
            "ring_timeout": round(request.ring_timeout_seconds),
        }
        response = await self._request("POST", self._api("Call/"), body)
        request_uuid = call_id_from(LABEL, response, lambda found: found["request_uuid"])
        return RestCall(request_uuid, lambda: self.end_call(request_uuid))

    async def end_call(self, request_uuid: str) -> None:
        await self._request("DELETE", self._api(f"Request/{request_uuid}/"), None)

    async def send_text(self, message: TextMessage) -> str:
        url = self._api("Message/")
        body = {
            "src": e164_digits(message.sender),
            "dst": e164_digits(message.to_number),
            "text": message.body,
        }
        auth = (self.config.auth_id, self.config.auth_token)
        response = await send_text_request(
            LABEL,
            lambda client: client.post(url, json=body, auth=auth),
            timeout_seconds=self.config.timeout_seconds,
            extract_error=_error_message,
            transport=self._transport,
        )
        # A list because `dst` may name several numbers joined by '<'; Tocsin names one.
        return message_id_from(LABEL, response, lambda found: found["message_uuid"][0])

    async def lookup(self, idempotency_key: str) -> None:
        """Plivo keeps no idempotency key for calls, so an unconfirmed call cannot be found."""
        return None

    @property
    def callbacks(self) -> PlivoCallbacks:
        return PlivoCallbacks(self.config, public_base_url=self.public_base_url)

    @property
    def inbound_texts(self) -> PlivoInboundTexts:
        return PlivoInboundTexts(self)


class PlivoCallbacks(FormCallbacks):
    """A Plivo account's callbacks: the answer URL, the GetDigits action, ring and hang-up."""

    kind = NAME
    fields = FormFields(call_id="RequestUUID", failure_detail="HangupCause", statuses=STATUSES)
    words = XmlWords(say="Speak", gather="GetDigits")

    def __init__(self, config: PlivoConfig, *, public_base_url: str) -> None:
        super().__init__(public_base_url=public_base_url)
        self._config = config

    def verify(self, request: CallbackRequest) -> bool:
        return verify_request(self._config.auth_token, request)

    def say_attributes(self, language: str) -> dict[str, str]:
        # The account's `language` setting for its own language ("en-GB" for English), else
        # the language's locale (https://www.plivo.com/docs/voice/xml/speak).
        return {
            "voice": self._config.voice,
            "language": locale_matching(language, self._config.language),
        }

    def speaks(self, language: str) -> bool:
        return language in SPEAK_LANGUAGES

    def gather_attributes(self, gather_url: str) -> dict[str, str]:
        return {
            "action": gather_url,
            "method": "POST",
            "numDigits": "1",
            "timeout": str(self._config.gather_timeout_seconds),
            "validDigits": "0123456789*#",
            "redirect": "true",
        }


class PlivoInboundTexts:
    """Texts to the account's numbers, from the application's message URL."""

    acknowledgement = CallbackReply.xml(EMPTY_RESPONSE)

    def __init__(self, provider: PlivoProvider) -> None:
        self._provider = provider

    def verify(self, request: CallbackRequest) -> bool:
        return verify_request(self._provider.config.auth_token, request)

    def parse(self, request: CallbackRequest) -> InboundText:
        fields = dict(request.form())
        return InboundText(
            message_id=required(fields.get("MessageUUID"), field="MessageUUID"),
            from_number=e164(fields.get("From"), field="From"),
            to_number=e164(fields.get("To"), field="To"),
            body=fields.get("Text", ""),
        )

    async def reply(self, text: InboundText, body: str) -> str:
        return await send_reply(self._provider, text, body)
