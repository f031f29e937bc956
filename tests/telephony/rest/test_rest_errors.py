"""Dial failures, sorted by whether the phone may ring: only a certain 'no call' is retry-safe."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tocsin.telephony.base import CallRequest, ProviderError
from tocsin.telephony.rest import (
    PlivoConfig,
    PlivoProvider,
    TelnyxConfig,
    TelnyxProvider,
    TwilioConfig,
    TwilioProvider,
    VonageConfig,
    VonageProvider,
)

REQUEST = CallRequest(
    idempotency_key="job_1/1",
    to_number="+447400123456",
    caller_id="+447400000001",
    spoken_text="Disk full on db1.",
)
BASE = "https://tocsin.example"
AnyProvider = TwilioProvider | PlivoProvider | TelnyxProvider | VonageProvider


def twilio(api: str, transport: httpx.AsyncBaseTransport | None = None) -> TwilioProvider:
    config = TwilioConfig("AC1", "token", api_base_url=api)
    return TwilioProvider(config, public_base_url=BASE, transport=transport)


def dial_error(provider: AnyProvider) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        asyncio.run(provider.dial(REQUEST))
    return caught.value


def answering(status: int, body: object) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, json=body))


def raising(error: type[httpx.TransportError]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("simulated", request=request)

    return httpx.MockTransport(handler)


def test_refused_credentials_are_retry_safe_with_a_message_for_the_operator() -> None:
    error = dial_error(twilio("https://api", answering(401, {"code": 20003})))
    assert (error.retry_safe, error.code) == (True, "provider_auth")
    assert "credentials" in error.user_message


def test_a_rejected_request_is_retry_safe_and_says_why() -> None:
    body = {"code": 21211, "message": "The 'To' number is not a valid phone number."}
    error = dial_error(twilio("https://api", answering(400, body)))
    assert (error.retry_safe, error.code) == (True, "provider_rejected")
    assert "not a valid phone number" in error.user_message


def test_a_server_error_may_have_placed_the_call() -> None:
    error = dial_error(twilio("https://api", answering(503, {})))
    assert (error.retry_safe, error.code) == (False, "provider_error")


def test_a_timeout_after_sending_may_have_placed_the_call() -> None:
    error = dial_error(twilio("https://api", raising(httpx.ReadTimeout)))
    assert (error.retry_safe, error.code) == (False, "no_response")


def test_a_connect_timeout_placed_nothing() -> None:
    error = dial_error(twilio("https://api", raising(httpx.ConnectTimeout)))
    assert (error.retry_safe, error.code) == (True, "unreachable")


def test_a_refused_connection_placed_nothing() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    error = dial_error(twilio(f"http://127.0.0.1:{port}"))
    assert (error.retry_safe, error.code) == (True, "unreachable")


def test_an_accepted_request_without_a_call_id_is_not_retried() -> None:
    error = dial_error(twilio("https://api", answering(201, {"status": "queued"})))
    assert (error.retry_safe, error.code) == (False, "bad_response")


def plivo(transport: httpx.AsyncBaseTransport) -> PlivoProvider:
    config = PlivoConfig("MA1", "token", api_base_url="https://api")
    return PlivoProvider(config, public_base_url=BASE, transport=transport)


def telnyx(transport: httpx.AsyncBaseTransport) -> TelnyxProvider:
    config = TelnyxConfig("key", "connection", "AAAA", api_base_url="https://api")
    return TelnyxProvider(config, public_base_url=BASE, transport=transport)


def vonage(transport: httpx.AsyncBaseTransport) -> VonageProvider:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    config = VonageConfig("app-1", pem, "s" * 32, api_base_url="https://api")
    return VonageProvider(config, public_base_url=BASE, transport=transport)


@pytest.mark.parametrize(
    ("build", "body", "detail"),
    [
        (plivo, {"api_id": "a", "error": "invalid to number"}, "invalid to number"),
        (
            telnyx,
            {"errors": [{"code": "10005", "title": "Invalid", "detail": "to is invalid"}]},
            "to is invalid",
        ),
        (vonage, {"title": "Bad Request", "detail": "to is missing"}, "to is missing"),
    ],
)
def test_each_provider_passes_on_its_own_error_detail(
    build: Callable[[httpx.AsyncBaseTransport], AnyProvider], body: object, detail: str
) -> None:
    error = dial_error(build(answering(422, body)))
    assert (error.retry_safe, error.code) == (True, "provider_rejected")
    assert detail in error.user_message


def test_vonage_authenticates_with_an_application_jwt() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"uuid": "u-1", "status": "started"})

    handle = asyncio.run(vonage(httpx.MockTransport(handler)).dial(REQUEST))
    assert handle.provider_call_id == "u-1"
    token = seen[0].headers["authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["application_id"] == "app-1"
    assert {"iat", "exp", "jti"} <= set(claims)
