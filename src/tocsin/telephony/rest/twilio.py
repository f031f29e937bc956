"""Twilio Programmable Voice: create the call; its callbacks, checked by X-Twilio-Signature and
answered with TwiML.

Twilio fetches the answer URL when the callee picks up, posts the pressed key to the Gather
action (https://www.twilio.com/docs/voice/twiml/gather), and posts status changes to the status
callback (https://www.twilio.com/docs/voice/api/call-resource#statuscallback). Every request is
signed with HMAC-SHA1 (auth token) over the full URL followed by the POST parameters sorted by
name, each name then its value, in base64 in X-Twilio-Signature
(https://www.twilio.com/docs/usage/webhooks/webhooks-security).

Text messages go through Programmable Messaging with the same account credentials; the request
carries the message's idempotency key in I-Twilio-Idempotency-Token. Texts sent to the account's
numbers arrive in the incoming message webhook
(https://www.twilio.com/docs/messaging/guides/webhook-request): form fields MessageSid, From, To
and Body, signed as the call callbacks are; the reply is sent through the API, so the webhook
gets an empty TwiML <Response/>.

Whether the account may present a number as its caller ID is read from its incoming phone
numbers (`GET .../IncomingPhoneNumbers.json?PhoneNumber=`, https://www.twilio.com/docs/phone-
numbers/api/incomingphonenumber-resource) and its verified caller IDs (`GET .../OutgoingCallerIds
.json?PhoneNumber=`, https://www.twilio.com/docs/voice/api/outgoing-caller-ids).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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
from tocsin.telephony.prompts import DEFAULT_LANGUAGE, prompts_for
from tocsin.telephony.rest.forms import EMPTY_RESPONSE, ROUTES, FormCallbacks, FormFields, XmlWords
from tocsin.telephony.rest.ownership import get_record, listed
from tocsin.telephony.rest.texts import message_id_from, send_text_request
from tocsin.telephony.rest.transport import DEFAULT_TIMEOUT_SECONDS, RestCall, call_id_from, send
from tocsin.telephony.rest.urls import callback_url

NAME = "twilio"
LABEL = "Twilio"
SIGNATURE_HEADER = "X-Twilio-Signature"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"

STATUSES = {
    "queued": CallEventKind.TRYING,
    "initiated": CallEventKind.TRYING,
    "ringing": CallEventKind.RINGING,
    "in-progress": CallEventKind.ANSWERED,
    "answered": CallEventKind.ANSWERED,
    "completed": CallEventKind.COMPLETED,
    "busy": CallEventKind.BUSY,
    "no-answer": CallEventKind.NO_ANSWER,
    "failed": CallEventKind.FAILED,
    "canceled": CallEventKind.FAILED,
}
CALLBACKS = CallbackKind(NAME, ROUTES, key_in_url)

# The voice that speaks each language's prompts, with the language's locale in <Say language>
# (https://www.twilio.com/docs/voice/twiml/say): alice speaks es-ES, fr-FR, de-DE, pt-PT, it-IT
# and pl-PL; Ukrainian only a Google voice does
# (https://www.twilio.com/docs/voice/twiml/say/text-speech).
SAY_VOICES = {
    "es": "alice",
    "fr": "alice",
    "de": "alice",
    "pt": "alice",
    "it": "alice",
    "pl": "alice",
    "uk": "Google.uk-UA-Standard-A",
}


@dataclass(frozen=True)
class TwilioConfig:
    account_sid: str
    auth_token: str
    api_base_url: str = "https://api.twilio.com"
    voice: str = "alice"
    gather_timeout_seconds: int = 8
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    data = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify_request(auth_token: str, request: CallbackRequest) -> bool:
    header = request.header(SIGNATURE_HEADER)
    if not header:
        return False
    expected = signature(auth_token, request.url, request.form())
    return hmac.compare_digest(expected.encode(), header.encode())


def _error_message(body: Any) -> str | None:
    message = body.get("message")
    return str(message) if message else None


class TwilioProvider:
    name = NAME
    capabilities = Capabilities(sends_text=True, checks_ownership=True)

    def __init__(
        self,
        config: TwilioConfig,
        *,
        public_base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.public_base_url = public_base_url
        self._transport = transport

    def _url(self, route: str, **query: str | int) -> str:
        return callback_url(self.public_base_url, NAME, route, **query)

    def _account_url(self, resource: str) -> str:
        base = self.config.api_base_url.rstrip("/")
        return f"{base}/2010-04-01/Accounts/{self.config.account_sid}/{resource}.json"

    def _calls_url(self, suffix: str = "") -> str:
        return self._account_url(f"Calls{suffix}")

    async def _post(self, url: str, form: list[tuple[str, str]]) -> httpx.Response:
        auth = (self.config.account_sid, self.config.auth_token)
        return await send(
            LABEL,
            lambda client: client.post(url, data=_grouped(form), auth=auth),
            timeout_seconds=self.config.timeout_seconds,
            extract_error=_error_message,
            transport=self._transport,
        )

    async def dial(self, request: CallRequest) -> RestCall:
        key = request.idempotency_key
        form = [
            ("To", request.to_number),
            ("From", request.caller_id),
            ("Url", self._url("answer", key=key)),
            ("Method", "POST"),
            ("StatusCallback", self._url("status", key=key)),
            ("StatusCallbackMethod", "POST"),
            *[
                ("StatusCallbackEvent", name)
                for name in ("initiated", "ringing", "answered", "completed")
            ],
            ("Timeout", str(round(request.ring_timeout_seconds))),
        ]
        response = await self._post(self._calls_url(), form)
        call_sid = call_id_from(LABEL, response, lambda body: body["sid"])
        return RestCall(call_sid, lambda: self.end_call(call_sid))

    async def end_call(self, call_sid: str) -> None:
        await self._post(self._calls_url(f"/{call_sid}"), [("Status", "completed")])

    async def send_text(self, message: TextMessage) -> str:
        url = self._account_url("Messages")
        form = {"To": message.to_number, "From": message.sender, "Body": message.body}
        auth = (self.config.account_sid, self.config.auth_token)
        headers = {IDEMPOTENCY_HEADER: message.idempotency_key}
        response = await send_text_request(
            LABEL,
            lambda client: client.post(url, data=form, auth=auth, headers=headers),
            timeout_seconds=self.config.timeout_seconds,
            extract_error=_error_message,
            transport=self._transport,
        )
        return message_id_from(LABEL, response, lambda body: body["sid"])

    async def owns_number(self, number: str) -> NumberOwnership:
        lists = (
            ("IncomingPhoneNumbers", "incoming_phone_numbers", "a Twilio incoming number"),
            ("OutgoingCallerIds", "outgoing_caller_ids", "a verified caller ID of the account"),
        )
        for resource, key, how in lists:
            body = await self._get(self._account_url(resource), {"PhoneNumber": number})
            if listed(body, key, "phone_number", number):
                return NumberOwnership(True, how)
        return NumberOwnership(
            False, "neither a number nor a verified caller ID of the Twilio account"
        )

    async def _get(self, url: str, params: dict[str, str]) -> Any:
        auth = (self.config.account_sid, self.config.auth_token)
        return await get_record(
            LABEL,
            lambda client: client.get(url, params=params, auth=auth),
            timeout_seconds=self.config.timeout_seconds,
            extract_error=_error_message,
            transport=self._transport,
        )

    async def lookup(self, idempotency_key: str) -> None:
        """Twilio keeps no idempotency key for calls, so an unconfirmed call cannot be found."""
        return None

    @property
    def callbacks(self) -> TwilioCallbacks:
        return TwilioCallbacks(self.config, public_base_url=self.public_base_url)

    @property
    def inbound_texts(self) -> TwilioInboundTexts:
        return TwilioInboundTexts(self)


class TwilioCallbacks(FormCallbacks):
    """A Twilio account's callbacks: the answer URL, the Gather action and status callbacks."""

    kind = NAME
    fields = FormFields(call_id="CallSid", failure_detail="SipResponseCode", statuses=STATUSES)
    words = XmlWords(say="Say", gather="Gather")

    def __init__(self, config: TwilioConfig, *, public_base_url: str) -> None:
        super().__init__(public_base_url=public_base_url)
        self._config = config

    def verify(self, request: CallbackRequest) -> bool:
        return verify_request(self._config.auth_token, request)

    def say_attributes(self, language: str) -> dict[str, str]:
        if language == DEFAULT_LANGUAGE:
            # The account's voice, in Twilio's default language (en-US): a Polly or Google
            # voice has a language of its own, and a `language` that disagrees with it fails
            # the <Say> (https://www.twilio.com/docs/voice/twiml/say#attributes).
            return {"voice": self._config.voice}
        return {"voice": SAY_VOICES[language], "language": prompts_for(language).locale}

    def gather_attributes(self, gather_url: str) -> dict[str, str]:
        return {
            "numDigits": "1",
            "action": gather_url,
            "method": "POST",
            "timeout": str(self._config.gather_timeout_seconds),
        }


class TwilioInboundTexts:
    """Texts to the account's numbers, from the incoming message webhook."""

    acknowledgement = CallbackReply.xml(EMPTY_RESPONSE)

    def __init__(self, provider: TwilioProvider) -> None:
        self._provider = provider

    def verify(self, request: CallbackRequest) -> bool:
        return verify_request(self._provider.config.auth_token, request)

    def parse(self, request: CallbackRequest) -> InboundText:
        fields = dict(request.form())
        return InboundText(
            message_id=required(fields.get("MessageSid"), field="MessageSid"),
            from_number=e164(fields.get("From"), field="From"),
            to_number=e164(fields.get("To"), field="To"),
            body=fields.get("Body", ""),
        )

    async def reply(self, text: InboundText, body: str) -> str:
        return await send_reply(self._provider, text, body)


def _grouped(form: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """httpx sends a list value as a repeated field, which is how Twilio takes several
    StatusCallbackEvent values."""
    grouped: dict[str, str | list[str]] = {}
    for name, value in form:
        existing = grouped.get(name)
        if existing is None:
            grouped[name] = value
        elif isinstance(existing, list):
            existing.append(value)
        else:
            grouped[name] = [existing, value]
    return grouped
