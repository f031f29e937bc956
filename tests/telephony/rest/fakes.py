"""Local stand-ins for Twilio, Plivo, Telnyx and Vonage, and phones that drive their calls.

Each fake is a real HTTP server on 127.0.0.1 that takes the create-call and send-SMS requests in
the provider's wire format, checks their credentials and answers as the provider's API does
(refusing a destination that is not a plausible E.164 number, as the real ones do). A phone
then plays the callee: it sends Tocsin the callbacks the provider would send, signed the way
the provider signs them (computed here independently of Tocsin's own code), and keeps the
TwiML, XML or NCCO Tocsin answers with. The phones post to Tocsin through a TestClient at the
public URLs Tocsin gave the provider, as a provider reaching Tocsin through a proxy would.

Each phone also checks what Tocsin asks its provider to say as the provider's text-to-speech
would: a voice and language the provider has no speech for fails, as the real one fails the
<Say>, <Speak>, speak command or talk action (`TWILIO_SAY`, `PLIVO_SPEAK`, `TELNYX_LANGUAGES`,
`VONAGE_LANGUAGES`, from each provider's documentation).

Each fake can also deliver a text that someone sent to one of its numbers (`text_in`): the
inbound-message webhook, in the provider's format and signed its way (or forged, signed with
another secret), posted to the URL an operator configured at the provider.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit
from xml.etree import ElementTree as ET

import httpx
import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tocsin.core.clock import Clock


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Run `app` on a free port of 127.0.0.1 in a thread; yields its base URL.

    Not through `uvicorn.Server.run`: its loop looks for a stop only every tenth of a second,
    and its shutdown waits another tenth whatever is open, a fifth of a second for each of the
    fakes tests start by the hundred. Here the server is listening when this yields, and closes
    as soon as its connections have."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    listening = threading.Event()
    running: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def run() -> None:
        config.load()
        server.lifespan = config.lifespan_class(config)
        await server.startup()
        stop = asyncio.Event()
        running.append((asyncio.get_running_loop(), stop))
        listening.set()
        await stop.wait()
        await _close(server)

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    if not listening.wait(timeout=10):
        raise RuntimeError("fake provider did not start")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        [(loop, stop)] = running
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)


async def _close(server: uvicorn.Server) -> None:
    """Stop listening, close idle connections and let busy ones finish their answer."""
    for listener in server.servers:
        listener.close()
    for connection in list(server.server_state.connections):
        connection.shutdown()
    # uvicorn has no event for a connection's close: each is gone once its transport's close
    # has run, a loop iteration or two for an idle one.
    async with asyncio.timeout(10):
        while server.server_state.connections:  # noqa: ASYNC110
            await asyncio.sleep(0.001)
    for listener in server.servers:
        await listener.wait_closed()


# Which languages each provider's text-to-speech speaks, as far as Tocsin's eight go.
# Twilio <Say> (https://www.twilio.com/docs/voice/twiml/say/text-speech): a voice with no
# `language` speaks en-US; alice speaks these locales; Google voices, the one their name says.
TWILIO_SAY = {
    "alice": {"en-US", "en-GB", "es-ES", "fr-FR", "de-DE", "pt-PT", "pt-BR", "it-IT", "pl-PL"},
    "Google.uk-UA-Standard-A": {"uk-UA"},
}
# Plivo <Speak> WOMAN and MAN voices (https://plivo.com/docs/voice/xml/audio-output): no
# Ukrainian.
PLIVO_SPEAK = {"en-US", "en-GB", "es-ES", "fr-FR", "de-DE", "pt-PT", "pt-BR", "it-IT", "pl-PL"}
# Telnyx speak and gather_using_speak `language` (https://developers.telnyx.com/api-reference/
# call-commands/gather-using-speak), for the basic male and female voices: no Ukrainian.
TELNYX_LANGUAGES = {
    "en-US", "en-GB", "es-ES", "fr-FR", "de-DE", "pt-PT", "pt-BR", "it-IT", "pl-PL",
}  # fmt: skip
# Vonage talk `language` (https://developer.vonage.com/en/voice/voice-api/guides/text-to-speech).
VONAGE_LANGUAGES = {
    "en-US", "en-GB", "es-ES", "fr-FR", "de-DE", "pt-PT", "pt-BR", "it-IT", "pl-PL", "uk-UA",
}  # fmt: skip


def check_twilio_say(document: str) -> None:
    for say in parse_xml(document).iter("Say"):
        voice, language = say.attrib.get("voice", "man"), say.attrib.get("language")
        if language is not None:
            assert language in TWILIO_SAY.get(voice, set()), f"Twilio has no {voice} {language}"


def check_plivo_speak(document: str) -> None:
    for speak in parse_xml(document).iter("Speak"):
        assert speak.attrib.get("voice", "WOMAN") in ("WOMAN", "MAN"), speak.attrib
        language = speak.attrib.get("language", "en-US")
        assert language in PLIVO_SPEAK, f"Plivo has no {language} voice"


def telnyx_speech_refusal(body: dict[str, Any]) -> str | None:
    """Why Telnyx would refuse a speak command's voice and language; None when it would not."""
    voice, language = body.get("voice"), body.get("language")
    if voice in ("male", "female"):
        return None if language in TELNYX_LANGUAGES else f"language {language} not supported"
    if isinstance(voice, str) and voice.split(".")[0] in ("Azure", "AWS", "Polly", "Telnyx"):
        return None
    return f"voice {voice} not supported"


def parse_xml(text: str) -> ET.Element:
    # The documents are Tocsin's own answers, built with ElementTree in the test process.
    return ET.fromstring(text)  # noqa: S314


def _basic_auth(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password


# E.164 with or without the plus: Plivo and Vonage take bare digits.
_E164 = re.compile(r"\+?[1-9][0-9]{6,14}")


def _is_e164(number: object, *, plus: bool) -> bool:
    text = str(number or "")
    return bool(_E164.fullmatch(text)) and text.startswith("+") == plus


@dataclass
class FakeCall:
    call_id: str
    request: dict[str, Any]
    documents: list[str] = field(default_factory=list)


@dataclass
class FakeText:
    message_id: str
    request: dict[str, Any]
    headers: dict[str, str]


class FakeProvider:
    """What every fake keeps: the calls created, the texts sent and the other API requests
    received."""

    def __init__(self) -> None:
        self.calls: list[FakeCall] = []
        self.texts: list[FakeText] = []
        self.requests: list[tuple[str, str, Any]] = []
        self.url = ""
        # E.164 numbers the account owns, and (Twilio) its verified caller IDs.
        self.owned: set[str] = set()
        self.verified_caller_ids: set[str] = set()
        # Numbers whose texts the provider refuses: the HTTP status, its error code and message
        # (Twilio's 400 with 21610, say: the number replied STOP to the sending number; a 500
        # leaves the sender unable to tell whether the text went).
        self.refused_texts: dict[str, tuple[int, int, str]] = {}
        # Every send-message request received, refused or not.
        self.text_requests = 0

    def app(self) -> Starlette:
        raise NotImplementedError

    @contextmanager
    def running(self) -> Iterator[FakeProvider]:
        with serve(self.app()) as url:
            self.url = url
            yield self


# Twilio ------------------------------------------------------------------------------------


def twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    data = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


class FakeTwilio(FakeProvider):
    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__()
        self.account_sid, self.auth_token = account_sid, auth_token

    def provider_account(self, name: str, caller_id_id: str | None = None) -> dict[str, Any]:
        """The body of `POST /v1/orgs/{org}/providers` for an account on this fake, presenting
        the proven caller ID `caller_id_id`."""
        return {
            "kind": "twilio",
            "name": name,
            "settings": {"api_base_url": self.url},
            "credentials": {"account_sid": self.account_sid, "auth_token": self.auth_token},
            "caller_id_id": caller_id_id,
        }

    def app(self) -> Starlette:
        async def create(request: Request) -> Response:
            if _basic_auth(request) != (self.account_sid, self.auth_token):
                return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, 401)
            form = await request.form()
            fields = {name: str(form[name]) for name in form}
            for required in ("To", "From", "Url"):
                if required not in fields:
                    message = f"Required parameter {required} missing."
                    return JSONResponse({"code": 21205, "message": message, "status": 400}, 400)
            fields["StatusCallbackEvent"] = " ".join(
                str(value) for value in form.getlist("StatusCallbackEvent")
            )
            sid = "CA" + secrets.token_hex(16)
            self.calls.append(FakeCall(sid, fields))
            body = {"sid": sid, "status": "queued", "to": fields["To"], "from": fields["From"]}
            return JSONResponse(body, 201)

        async def update(request: Request) -> Response:
            form = await request.form()
            self.requests.append(("POST", request.url.path, dict(form)))
            return JSONResponse({"sid": request.path_params["sid"], "status": "completed"})

        async def send_message(request: Request) -> Response:
            # Create a Message resource: POST /2010-04-01/Accounts/{AccountSid}/Messages.json,
            # HTTP Basic auth with the account SID and auth token, a form with To, From and
            # Body; 201 with the resource, whose `sid` starts with SM
            # (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource).
            if _basic_auth(request) != (self.account_sid, self.auth_token):
                return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, 401)
            if request.path_params["account"] != self.account_sid:
                body = {"code": 20404, "message": "not found", "status": 404}
                return JSONResponse(body, 404)
            self.text_requests += 1
            form = await request.form()
            fields = {name: str(form[name]) for name in form}
            refused = self.refused_texts.get(fields.get("To", ""))
            if refused is not None:
                status, code, message = refused
                return JSONResponse({"code": code, "message": message, "status": status}, status)
            missing = {
                "To": (21604, "A 'To' phone number is required."),
                "From": (21603, "A 'From' phone number is required."),
                "Body": (21602, "Message body is required."),
            }
            for name, (code, message) in missing.items():
                if not fields.get(name):
                    return JSONResponse({"code": code, "message": message, "status": 400}, 400)
            if not _is_e164(fields["To"], plus=True):
                message = f"The 'To' number {fields['To']} is not a valid phone number."
                return JSONResponse({"code": 21211, "message": message, "status": 400}, 400)
            sid = "SM" + secrets.token_hex(16)
            self.texts.append(FakeText(sid, fields, dict(request.headers)))
            body = {
                "sid": sid,
                "account_sid": self.account_sid,
                "api_version": "2010-04-01",
                "status": "queued",
                "direction": "outbound-api",
                "to": fields["To"],
                "from": fields["From"],
                "body": fields["Body"],
                "num_segments": "1",
                "error_code": None,
                "error_message": None,
            }
            return JSONResponse(body, 201)

        def numbers_list(key: str, numbers: set[str]) -> Any:
            # https://www.twilio.com/docs/phone-numbers/api/incomingphonenumber-resource and
            # https://www.twilio.com/docs/voice/api/outgoing-caller-ids: a page of the account's
            # resources, filtered by the PhoneNumber query parameter.
            async def read(request: Request) -> Response:
                if _basic_auth(request) != (self.account_sid, self.auth_token):
                    body = {"code": 20003, "message": "Authenticate", "status": 401}
                    return JSONResponse(body, 401)
                if request.path_params["account"] != self.account_sid:
                    body = {"code": 20404, "message": "not found", "status": 404}
                    return JSONResponse(body, 404)
                wanted = request.query_params.get("PhoneNumber")
                self.requests.append(("GET", request.url.path, wanted))
                items = [
                    {"sid": "PN" + secrets.token_hex(16), "phone_number": number}
                    for number in sorted(numbers)
                    if wanted in (None, number)
                ]
                return JSONResponse({key: items, "page": 0, "page_size": 50, "start": 0})

            return read

        base = "/2010-04-01/Accounts/{account}"
        return Starlette(
            routes=[
                Route(
                    base + "/IncomingPhoneNumbers.json",
                    numbers_list("incoming_phone_numbers", self.owned),
                    methods=["GET"],
                ),
                Route(
                    base + "/OutgoingCallerIds.json",
                    numbers_list("outgoing_caller_ids", self.verified_caller_ids),
                    methods=["GET"],
                ),
                Route(base + "/Calls.json", create, methods=["POST"]),
                Route(base + "/Calls/{sid}.json", update, methods=["POST"]),
                Route(base + "/Messages.json", send_message, methods=["POST"]),
            ]
        )

    def text_in(
        self,
        tocsin: TestClient,
        url: str,
        *,
        sender: str,
        to: str,
        text: str,
        message_id: str | None = None,
        forged: bool = False,
        clock: Clock | None = None,
    ) -> httpx.Response:
        """An incoming message webhook, form-encoded as Twilio posts it
        (https://www.twilio.com/docs/messaging/guides/webhook-request), signed over the URL and
        the sorted parameters (https://www.twilio.com/docs/usage/webhooks/webhooks-security)."""
        sid = message_id or "SM" + secrets.token_hex(16)
        params = {
            "ToCountry": "GB",
            "ToState": "",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ToCity": "",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": text,
            "FromCountry": "GB",
            "To": to,
            "ToZip": "",
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": self.account_sid,
            "From": sender,
            "ApiVersion": "2010-04-01",
        }
        token = "not-the-auth-token" if forged else self.auth_token
        signature = twilio_signature(token, url, params)
        return tocsin.post(url, data=params, headers={"X-Twilio-Signature": signature})

    def phone(self, tocsin: TestClient) -> TwilioPhone:
        return TwilioPhone(self, self.calls[-1], tocsin)


class TwilioPhone:
    def __init__(self, fake: FakeTwilio, call: FakeCall, tocsin: TestClient) -> None:
        self.fake, self.call, self.tocsin = fake, call, tocsin
        self.sequence = 0

    def _post(self, url: str, params: dict[str, str], token: str | None = None) -> httpx.Response:
        base = {
            "AccountSid": self.fake.account_sid,
            "CallSid": self.call.call_id,
            "From": self.call.request["From"],
            "To": self.call.request["To"],
            "Direction": "outbound-api",
            "ApiVersion": "2010-04-01",
        }
        params = {**base, **params}
        signature = twilio_signature(token or self.fake.auth_token, url, params)
        return self.tocsin.post(url, data=params, headers={"X-Twilio-Signature": signature})

    def status(self, status: str, *, token: str | None = None) -> httpx.Response:
        self.sequence += 1
        params = {"CallStatus": status, "SequenceNumber": str(self.sequence)}
        if status == "completed":
            params["CallDuration"] = "14"
        return self._post(self.call.request["StatusCallback"], params, token)

    def answer(self) -> str:
        response = self._post(self.call.request["Url"], {"CallStatus": "in-progress"})
        assert response.status_code == 200, response.text
        check_twilio_say(response.text)
        self.call.documents.append(response.text)
        return response.text

    def press(self, digit: str, *, token: str | None = None) -> httpx.Response:
        gather = parse_xml(self.call.documents[-1]).find("Gather")
        assert gather is not None, self.call.documents[-1]
        params = {"CallStatus": "in-progress", "Digits": digit, "FinishedOnKey": ""}
        response = self._post(gather.attrib["action"], params, token)
        if response.status_code == 200:
            check_twilio_say(response.text)
            self.call.documents.append(response.text)
        return response

    def stays_silent(self) -> httpx.Response:
        """No key before the Gather times out: Twilio goes on to the Redirect that follows it."""
        redirect = parse_xml(self.call.documents[-1]).find("Redirect")
        assert redirect is not None, self.call.documents[-1]
        assert redirect.text, self.call.documents[-1]
        response = self._post(redirect.text, {"CallStatus": "in-progress"})
        if response.status_code == 200:
            self.call.documents.append(response.text)
        return response


# Plivo -------------------------------------------------------------------------------------


def plivo_v3_signature(token: str, url: str, params: dict[str, str], nonce: str) -> str:
    """As Plivo's SDK builds it: URL without query, '?', the query sorted as k=v&..., then (with
    POST parameters) '.', and the parameters sorted as kv...; then '.' and the nonce."""
    parts = urlsplit(url)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    query = parse_qs(parts.query, keep_blank_values=True)
    query_text = "&".join(f"{k}={v}" for k in sorted(query) for v in sorted(query[k]))
    if params:
        base += "?" + query_text + ("." if query_text else "")
        base += "".join(f"{name}{params[name]}" for name in sorted(params))
    elif query_text:
        base += "?" + query_text
    digest = hmac.new(token.encode(), f"{base}.{nonce}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class FakePlivo(FakeProvider):
    def __init__(self, auth_id: str, auth_token: str) -> None:
        super().__init__()
        self.auth_id, self.auth_token = auth_id, auth_token

    def app(self) -> Starlette:
        async def create(request: Request) -> Response:
            if _basic_auth(request) != (self.auth_id, self.auth_token):
                return JSONResponse({"api_id": str(uuid.uuid4()), "error": "not authorized"}, 401)
            body = await request.json()
            for required in ("from", "to", "answer_url"):
                if not body.get(required):
                    error = f"{required} parameter is required"
                    return JSONResponse({"api_id": str(uuid.uuid4()), "error": error}, 400)
            request_uuid = str(uuid.uuid4())
            self.calls.append(FakeCall(request_uuid, body))
            answer = {"api_id": str(uuid.uuid4()), "message": "call fired"}
            return JSONResponse({**answer, "request_uuid": request_uuid}, 201)

        async def cancel(request: Request) -> Response:
            self.requests.append(("DELETE", request.url.path, None))
            return Response(status_code=204)

        async def send_message(request: Request) -> Response:
            # Send a message: POST /v1/Account/{auth_id}/Message/, HTTP Basic auth with the
            # auth ID and token, a JSON body with `src`, `dst` (E.164 digits without the plus)
            # and `text`; 202 with `message_uuid` as a list
            # (https://www.plivo.com/docs/sms/api/message#send-a-message).
            if _basic_auth(request) != (self.auth_id, self.auth_token):
                return JSONResponse({"api_id": str(uuid.uuid4()), "error": "not authorized"}, 401)
            if request.path_params["auth_id"] != self.auth_id:
                return JSONResponse({"api_id": str(uuid.uuid4()), "error": "not found"}, 404)
            body = await request.json()
            for required in ("src", "dst", "text"):
                if not body.get(required):
                    error = f"{required} parameter is required"
                    return JSONResponse({"api_id": str(uuid.uuid4()), "error": error}, 400)
            if not _is_e164(body["dst"], plus=False):
                error = f"{body['dst']} is not a valid destination number"
                return JSONResponse({"api_id": str(uuid.uuid4()), "error": error}, 400)
            message_uuid = str(uuid.uuid4())
            self.texts.append(FakeText(message_uuid, body, dict(request.headers)))
            answer = {"api_id": str(uuid.uuid4()), "message": "message(s) queued"}
            return JSONResponse({**answer, "message_uuid": [message_uuid]}, 202)

        async def number(request: Request) -> Response:
            # https://www.plivo.com/docs/numbers/api/account-phone-number: the account's number
            # record, or 404 for a number that is not the account's.
            if _basic_auth(request) != (self.auth_id, self.auth_token):
                return JSONResponse({"api_id": str(uuid.uuid4()), "error": "not authorized"}, 401)
            digits = request.path_params["number"]
            self.requests.append(("GET", request.url.path, None))
            if "+" + digits not in self.owned:
                return JSONResponse({"api_id": str(uuid.uuid4()), "error": "not found"}, 404)
            record = {
                "api_id": str(uuid.uuid4()),
                "number": digits,
                "number_type": "mobile",
                "voice_enabled": True,
                "resource_uri": f"/v1/Account/{self.auth_id}/Number/{digits}/",
            }
            return JSONResponse(record)

        return Starlette(
            routes=[
                Route("/v1/Account/{auth_id}/Number/{number}/", number, methods=["GET"]),
                Route("/v1/Account/{auth_id}/Call/", create, methods=["POST"]),
                Route("/v1/Account/{auth_id}/Request/{uuid}/", cancel, methods=["DELETE"]),
                Route("/v1/Account/{auth_id}/Message/", send_message, methods=["POST"]),
            ]
        )

    def text_in(
        self,
        tocsin: TestClient,
        url: str,
        *,
        sender: str,
        to: str,
        text: str,
        message_id: str | None = None,
        forged: bool = False,
        clock: Clock | None = None,
    ) -> httpx.Response:
        """An incoming message posted to the application's message_url with the parameters
        Plivo documents (https://docs.plivo.com/docs/messaging/xml/request): numbers as digits,
        signed V3 (https://docs.plivo.com/docs/voice/xml/request/validation, which names the
        message URL among those signed)."""
        params = {
            "From": sender.removeprefix("+"),
            "To": to.removeprefix("+"),
            "Type": "sms",
            "Text": text,
            "MessageUUID": message_id or str(uuid.uuid4()),
        }
        nonce = secrets.token_hex(10)
        token = "not-the-auth-token" if forged else self.auth_token
        signature = plivo_v3_signature(token, url, params, nonce)
        headers = {"X-Plivo-Signature-V3": signature, "X-Plivo-Signature-V3-Nonce": nonce}
        return tocsin.post(url, data=params, headers=headers)

    def phone(self, tocsin: TestClient) -> PlivoPhone:
        return PlivoPhone(self, self.calls[-1], tocsin)


class PlivoPhone:
    def __init__(self, fake: FakePlivo, call: FakeCall, tocsin: TestClient) -> None:
        self.fake, self.call, self.tocsin = fake, call, tocsin
        self.call_uuid = str(uuid.uuid4())

    def _post(self, url: str, params: dict[str, str], token: str | None = None) -> httpx.Response:
        params = {
            "CallUUID": self.call_uuid,
            "RequestUUID": self.call.call_id,
            "From": self.call.request["from"],
            "To": self.call.request["to"],
            "Direction": "outbound",
            **params,
        }
        nonce = secrets.token_hex(10)
        signature = plivo_v3_signature(token or self.fake.auth_token, url, params, nonce)
        headers = {"X-Plivo-Signature-V3": signature, "X-Plivo-Signature-V3-Nonce": nonce}
        return self.tocsin.post(url, data=params, headers=headers)

    def rings(self) -> httpx.Response:
        return self._post(self.call.request["ring_url"], {"CallStatus": "ringing", "Event": "Ring"})

    def answer(self) -> str:
        params = {"CallStatus": "in-progress", "Event": "StartApp"}
        response = self._post(self.call.request["answer_url"], params)
        assert response.status_code == 200, response.text
        check_plivo_speak(response.text)
        self.call.documents.append(response.text)
        return response.text

    def press(self, digit: str, *, token: str | None = None) -> httpx.Response:
        get_digits = parse_xml(self.call.documents[-1]).find("GetDigits")
        assert get_digits is not None, self.call.documents[-1]
        params = {"CallStatus": "in-progress", "Digits": digit}
        response = self._post(get_digits.attrib["action"], params, token)
        if response.status_code == 200:
            check_plivo_speak(response.text)
            self.call.documents.append(response.text)
        return response

    def hangs_up(self, status: str = "completed", cause: str = "NORMAL_CLEARING") -> httpx.Response:
        params = {"CallStatus": status, "HangupCause": cause, "Event": "Hangup", "Duration": "12"}
        return self._post(self.call.request["hangup_url"], params)


# Telnyx ------------------------------------------------------------------------------------


class FakeTelnyx(FakeProvider):
    def __init__(self, api_key: str) -> None:
        super().__init__()
        self.api_key = api_key
        self.signing_key = Ed25519PrivateKey.generate()
        self.commands: list[tuple[str, dict[str, Any]]] = []

    @property
    def public_key(self) -> str:
        raw = self.signing_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return base64.b64encode(raw).decode()

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    def app(self) -> Starlette:
        unauthorized = {"errors": [{"code": "10009", "title": "Authentication failed"}]}

        async def create(request: Request) -> Response:
            if not self._authorized(request):
                return JSONResponse(unauthorized, 401)
            body = await request.json()
            for required in ("connection_id", "to", "from"):
                if not body.get(required):
                    error = {"code": "10005", "title": "Invalid", "detail": f"{required} missing"}
                    return JSONResponse({"errors": [error]}, 422)
            call_id = "v3:" + secrets.token_urlsafe(16)
            self.calls.append(FakeCall(call_id, body))
            data = {
                "call_control_id": call_id,
                "call_leg_id": str(uuid.uuid4()),
                "call_session_id": str(uuid.uuid4()),
                "is_alive": False,
                "record_type": "call",
            }
            return JSONResponse({"data": data})

        async def action(request: Request) -> Response:
            if not self._authorized(request):
                return JSONResponse(unauthorized, 401)
            body = await request.json()
            if request.path_params["action"] in ("speak", "gather_using_speak"):
                refusal = telnyx_speech_refusal(body)
                if refusal is not None:
                    error = {"code": "90018", "title": "Invalid speech", "detail": refusal}
                    return JSONResponse({"errors": [error]}, 422)
            self.commands.append((request.path_params["action"], body))
            return JSONResponse({"data": {"result": "ok"}})

        async def send_message(request: Request) -> Response:
            if not self._authorized(request):
                return JSONResponse(unauthorized, 401)
            body = await request.json()
            for required in ("from", "to", "text"):
                if not body.get(required):
                    error = {"code": "10005", "title": "Invalid", "detail": f"{required} missing"}
                    return JSONResponse({"errors": [error]}, 422)
            if not _is_e164(body["to"], plus=True):
                invalid: dict[str, Any] = {
                    "code": "40310",
                    "title": "Invalid 'to' address",
                    "detail": "The 'to' address should be a valid E.164 phone number.",
                    "source": {"pointer": "/to"},
                }
                return JSONResponse({"errors": [invalid]}, 422)
            message_id = str(uuid.uuid4())
            self.texts.append(FakeText(message_id, body, dict(request.headers)))
            data = {
                "record_type": "message",
                "id": message_id,
                "direction": "outbound",
                "type": "SMS",
                "from": {"phone_number": body["from"], "carrier": "Telnyx", "line_type": "VoIP"},
                "to": [{"phone_number": body["to"], "status": "queued"}],
                "text": body["text"],
                "parts": 1,
                "encoding": "GSM-7",
                "errors": [],
            }
            return JSONResponse({"data": data})

        async def phone_numbers(request: Request) -> Response:
            # https://developers.telnyx.com/api-reference/phone-number-configurations: the
            # account's numbers, filtered by filter[phone_number].
            if not self._authorized(request):
                return JSONResponse(unauthorized, 401)
            wanted = request.query_params.get("filter[phone_number]")
            self.requests.append(("GET", request.url.path, wanted))
            data = [
                {
                    "id": str(uuid.uuid4()),
                    "record_type": "phone_number",
                    "phone_number": number,
                    "status": "active",
                }
                for number in sorted(self.owned)
                if wanted in (None, number)
            ]
            meta = {"page_number": 1, "page_size": 20, "total_pages": 1, "total_results": len(data)}
            return JSONResponse({"data": data, "meta": meta})

        return Starlette(
            routes=[
                Route("/v2/phone_numbers", phone_numbers, methods=["GET"]),
                Route("/v2/calls", create, methods=["POST"]),
                Route("/v2/calls/{call_id}/actions/{action}", action, methods=["POST"]),
                Route("/v2/messages", send_message, methods=["POST"]),
            ]
        )

    def text_in(
        self,
        tocsin: TestClient,
        url: str,
        *,
        sender: str,
        to: str,
        text: str,
        message_id: str | None = None,
        forged: bool = False,
        clock: Clock | None = None,
    ) -> httpx.Response:
        """A message.received webhook as Telnyx documents it
        (https://developers.telnyx.com/api-reference/callbacks/inbound-message), signed with
        Ed25519 over `{timestamp}|{body}`
        (https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks)."""
        assert clock is not None, "Telnyx dates its signatures"
        body = {
            "data": {
                "record_type": "event",
                "id": str(uuid.uuid4()),
                "event_type": "message.received",
                "occurred_at": clock.now().isoformat(),
                "payload": {
                    "record_type": "message",
                    "direction": "inbound",
                    "id": message_id or str(uuid.uuid4()),
                    "type": "SMS",
                    "messaging_profile_id": "0f512bda-ae1e-4597-8e11-e5f5686b97d3",
                    "organization_id": "b448f9cc-a842-4784-98e9-03c1a5872950",
                    "from": {"phone_number": sender, "carrier": "EE", "line_type": "Wireless"},
                    "to": [
                        {
                            "phone_number": to,
                            "status": "webhook_delivered",
                            "carrier": "TELNYX LLC",
                            "line_type": "VoIP",
                        }
                    ],
                    "cc": [],
                    "text": text,
                    "media": [],
                    "encoding": "GSM-7",
                    "parts": 1,
                    "received_at": clock.now().isoformat(),
                },
            },
            "meta": {"attempt": 1, "delivered_to": url},
        }
        raw = json.dumps(body).encode()
        timestamp = str(int(clock.now().timestamp()))
        key = Ed25519PrivateKey.generate() if forged else self.signing_key
        signed = key.sign(timestamp.encode() + b"|" + raw)
        headers = {
            "telnyx-signature-ed25519": base64.b64encode(signed).decode(),
            "telnyx-timestamp": timestamp,
            "content-type": "application/json",
        }
        return tocsin.post(url, content=raw, headers=headers)

    def phone(self, tocsin: TestClient, clock: Clock) -> TelnyxPhone:
        return TelnyxPhone(self, self.calls[-1], tocsin, clock)


class TelnyxPhone:
    def __init__(self, fake: FakeTelnyx, call: FakeCall, tocsin: TestClient, clock: Clock) -> None:
        self.fake, self.call, self.tocsin, self.clock = fake, call, tocsin, clock

    @property
    def client_state(self) -> str:
        """Telnyx echoes the client state of the latest command (or of the create request)."""
        for _, body in reversed(self.fake.commands):
            if "client_state" in body:
                return str(body["client_state"])
        return str(self.call.request["client_state"])

    def send(
        self,
        event_type: str,
        *,
        age_seconds: float = 0,
        key: Ed25519PrivateKey | None = None,
        **payload: Any,
    ) -> httpx.Response:
        body = {
            "data": {
                "event_type": event_type,
                "id": str(uuid.uuid4()),
                "occurred_at": self.clock.now().isoformat(),
                "payload": {
                    "call_control_id": self.call.call_id,
                    "connection_id": self.call.request["connection_id"],
                    "client_state": self.client_state,
                    "from": self.call.request["from"],
                    "to": self.call.request["to"],
                    **payload,
                },
                "record_type": "event",
            },
            "meta": {"attempt": 1, "delivered_to": self.call.request["webhook_url"]},
        }
        raw = json.dumps(body).encode()
        timestamp = str(int(self.clock.now().timestamp() - age_seconds))
        signed = (key or self.fake.signing_key).sign(timestamp.encode() + b"|" + raw)
        headers = {
            "telnyx-signature-ed25519": base64.b64encode(signed).decode(),
            "telnyx-timestamp": timestamp,
            "content-type": "application/json",
        }
        return self.tocsin.post(self.call.request["webhook_url"], content=raw, headers=headers)

    def press(self, digit: str) -> httpx.Response:
        return self.send("call.gather.ended", digits=digit, status="valid")

    def hangs_up(self, cause: str = "normal_clearing") -> httpx.Response:
        return self.send("call.hangup", hangup_cause=cause, hangup_source="callee")


# Vonage ------------------------------------------------------------------------------------


class FakeVonage(FakeProvider):
    def __init__(
        self,
        application_id: str,
        signature_secret: str,
        api_key: str = "abcd1234",
        api_secret: str = "vonage-api-secret",  # noqa: S107 - a fake's own
    ) -> None:
        super().__init__()
        self.application_id, self.signature_secret = application_id, signature_secret
        self.api_key, self.api_secret = api_key, api_secret
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def private_key_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        try:
            claims = jwt.decode(
                header.removeprefix("Bearer "),
                self.private_key.public_key(),
                algorithms=["RS256"],
                # Tocsin's test clock is not the wall clock; the claims must still be there.
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "require": ["iat", "exp", "jti"],
                },
            )
        except jwt.PyJWTError:
            return False
        return bool(
            claims.get("application_id") == self.application_id and claims["exp"] > claims["iat"]
        )

    def app(self) -> Starlette:
        unauthorized = {
            "type": "https://developer.nexmo.com/api-errors#unauthorized",
            "title": "Unauthorized",
        }

        async def create(request: Request) -> Response:
            if not self._authorized(request):
                return JSONResponse(unauthorized, 401)
            body = await request.json()
            if not body.get("to") or not body.get("answer_url"):
                error = {"title": "Bad Request", "detail": "to and answer_url are required"}
                return JSONResponse(error, 400)
            call_id = str(uuid.uuid4())
            self.calls.append(FakeCall(call_id, body))
            answer = {"uuid": call_id, "status": "started", "direction": "outbound"}
            return JSONResponse({**answer, "conversation_uuid": f"CON-{uuid.uuid4()}"}, 201)

        async def update(request: Request) -> Response:
            if not self._authorized(request):
                return JSONResponse(unauthorized, 401)
            self.requests.append(("PUT", request.url.path, await request.json()))
            return Response(status_code=204)

        async def send_message(request: Request) -> Response:
            if not self._authorized(request):
                return JSONResponse(unauthorized, 401)
            body = await request.json()
            valid = (
                body.get("message_type") == "text"
                and body.get("channel") == "sms"
                and body.get("text")
                and _is_e164(body.get("to"), plus=False)
                and body.get("from")
            )
            if not valid:
                error = {
                    "type": "https://developer.vonage.com/api-errors/messages#1150",
                    "title": "Invalid params",
                    "detail": "The value of one or more parameters is invalid.",
                    "instance": str(uuid.uuid4()),
                }
                return JSONResponse(error, 422)
            message_uuid = str(uuid.uuid4())
            self.texts.append(FakeText(message_uuid, body, dict(request.headers)))
            return JSONResponse({"message_uuid": message_uuid}, 202)

        async def owned_numbers(request: Request) -> Response:
            # https://developer.vonage.com/en/numbers/code-snippets/list-owned: the Numbers API
            # takes the account's API key and secret (basic authentication), not the JWT.
            if _basic_auth(request) != (self.api_key, self.api_secret):
                return JSONResponse(unauthorized, 401)
            pattern = request.query_params.get("pattern", "")
            starts = request.query_params.get("search_pattern", "0") == "0"
            self.requests.append(("GET", request.url.path, pattern))
            numbers = [
                {"country": "GB", "msisdn": number[1:], "type": "mobile-lvn"}
                for number in sorted(self.owned)
                if (number[1:].startswith(pattern) if starts else pattern in number)
            ]
            return JSONResponse({"count": len(numbers), "numbers": numbers})

        return Starlette(
            routes=[
                Route("/account/numbers", owned_numbers, methods=["GET"]),
                Route("/v1/calls", create, methods=["POST"]),
                Route("/v1/calls/{uuid}", update, methods=["PUT"]),
                Route("/v1/messages", send_message, methods=["POST"]),
            ]
        )

    def text_in(
        self,
        tocsin: TestClient,
        url: str,
        *,
        sender: str,
        to: str,
        text: str,
        message_id: str | None = None,
        forged: bool = False,
        clock: Clock | None = None,
    ) -> httpx.Response:
        """An inbound SMS from the Messages API
        (https://developer.vonage.com/en/messages/code-snippets/inbound-message), numbers as
        digits, signed with a JWT (HS256, the signature secret) whose payload_hash is the
        body's SHA-256 (https://developer.nexmo.com/cn/messages/concepts/signed-webhooks)."""
        assert clock is not None, "Vonage dates its signatures"
        body = {
            "channel": "sms",
            "message_uuid": message_id or str(uuid.uuid4()),
            "to": to.removeprefix("+"),
            "from": sender.removeprefix("+"),
            "timestamp": clock.now().isoformat(),
            "text": text,
            "sms": {"num_messages": "1", "keyword": text.strip().split(" ")[0].upper()},
            "usage": {"price": "0.0057", "currency": "EUR"},
            "message_type": "text",
        }
        raw = json.dumps(body).encode()
        claims = {
            "iat": int(clock.now().timestamp()),
            "jti": str(uuid.uuid4()),
            "iss": "Vonage",
            "payload_hash": hashlib.sha256(raw).hexdigest(),
            "api_key": "abcd1234",
            "application_id": self.application_id,
        }
        secret = "not-the-signature-secret-of-32-bytes-or-more" if forged else self.signature_secret
        token = jwt.encode(claims, secret, algorithm="HS256")
        headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
        return tocsin.post(url, content=raw, headers=headers)

    def phone(self, tocsin: TestClient, clock: Clock) -> VonagePhone:
        return VonagePhone(self, self.calls[-1], tocsin, clock)


class VonagePhone:
    def __init__(self, fake: FakeVonage, call: FakeCall, tocsin: TestClient, clock: Clock) -> None:
        self.fake, self.call, self.tocsin, self.clock = fake, call, tocsin, clock
        self.nccos: list[list[dict[str, Any]]] = []

    def _post(self, url: str, body: dict[str, Any], secret: str | None = None) -> httpx.Response:
        body = {
            "uuid": self.call.call_id,
            "conversation_uuid": "CON-fake",
            "from": self.call.request["from"]["number"],
            "to": self.call.request["to"][0]["number"],
            "timestamp": self.clock.now().isoformat(),
            **body,
        }
        raw = json.dumps(body).encode()
        claims = {
            "iat": int(self.clock.now().timestamp()),
            "jti": str(uuid.uuid4()),
            "iss": "Vonage",
            "payload_hash": hashlib.sha256(raw).hexdigest(),
            "api_key": "abcd1234",
            "application_id": self.fake.application_id,
        }
        token = jwt.encode(claims, secret or self.fake.signature_secret, algorithm="HS256")
        headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
        return self.tocsin.post(url, content=raw, headers=headers)

    def event(self, status: str, *, secret: str | None = None) -> httpx.Response:
        body = {"status": status, "direction": "outbound"}
        return self._post(self.call.request["event_url"][0], body, secret)

    def answer(self) -> list[dict[str, Any]]:
        response = self._post(self.call.request["answer_url"][0], {})
        assert response.status_code == 200, response.text
        self.nccos.append(self._checked(response.json()))
        return self.nccos[-1]

    @staticmethod
    def _checked(ncco: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for talk in (step for step in ncco if step["action"] == "talk"):
            language = talk.get("language", "en-US")
            assert language in VONAGE_LANGUAGES, f"Vonage has no {language} voice"
        return ncco

    def press(self, digit: str, *, secret: str | None = None) -> httpx.Response:
        [url] = next(step for step in self.nccos[-1] if step["action"] == "input")["eventUrl"]
        body = {"dtmf": {"digits": digit, "timed_out": False}, "speech": {"results": []}}
        response = self._post(url, body, secret)
        if response.status_code == 200:
            self.nccos.append(self._checked(response.json()))
        return response
