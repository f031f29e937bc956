"""Text messages through the REST providers: each sends the provider's own request and returns
its message id, and failures are sorted, as for calls, by whether the text may have gone out."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.telephony.rest.fakes import FakePlivo, FakeProvider, FakeTelnyx, FakeTwilio, FakeVonage
from tocsin.core.clock import ManualClock
from tocsin.telephony.base import ProviderError, TextMessage, text_sender
from tocsin.telephony.rest import (
    PlivoConfig,
    PlivoProvider,
    RestProvider,
    TelnyxConfig,
    TelnyxProvider,
    TwilioConfig,
    TwilioProvider,
    VonageConfig,
    VonageProvider,
)
from tocsin.telephony.sip.config import SipTrunkConfig
from tocsin.telephony.sip.provider import SipTrunkProvider

MESSAGE = TextMessage(
    idempotency_key="verify/ver_1",
    to_number="+447400123456",
    sender="+447400000001",
    body="Tocsin code 123456 (valid 15 min)",
)
BASE = "https://tocsin.example"


def _pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@dataclass
class Account:
    """A fake provider and a way to build Tocsin's provider for it, with the credentials the
    fake expects (right=True) or others."""

    fake: FakeProvider
    build: Callable[[bool], RestProvider]


def twilio_account() -> Account:
    fake = FakeTwilio("AC" + "3" * 32, "token")

    def build(right: bool) -> RestProvider:
        token = "token" if right else "wrong"
        config = TwilioConfig(fake.account_sid, token, api_base_url=fake.url)
        return TwilioProvider(config, public_base_url=BASE)

    return Account(fake, build)


def plivo_account() -> Account:
    fake = FakePlivo("MA1", "token")

    def build(right: bool) -> RestProvider:
        token = "token" if right else "wrong"
        return PlivoProvider(PlivoConfig("MA1", token, api_base_url=fake.url), public_base_url=BASE)

    return Account(fake, build)


def telnyx_account() -> Account:
    fake = FakeTelnyx("key")

    def build(right: bool) -> RestProvider:
        api_key = "key" if right else "wrong"
        config = TelnyxConfig(api_key, "conn", fake.public_key, api_base_url=fake.url)
        return TelnyxProvider(config, public_base_url=BASE)

    return Account(fake, build)


def vonage_account() -> Account:
    fake = FakeVonage("app-1", "s" * 32)

    def build(right: bool) -> RestProvider:
        pem = fake.private_key_pem if right else _pem()
        config = VonageConfig("app-1", pem, "s" * 32, api_base_url=fake.url)
        return VonageProvider(config, public_base_url=BASE, clock=ManualClock())

    return Account(fake, build)


ACCOUNTS = pytest.mark.parametrize(
    "account",
    [twilio_account, plivo_account, telnyx_account, vonage_account],
    ids=["twilio", "plivo", "telnyx", "vonage"],
)


def send(provider: RestProvider, message: TextMessage = MESSAGE) -> str:
    return asyncio.run(provider.send_text(message))


def send_error(provider: RestProvider, message: TextMessage = MESSAGE) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        send(provider, message)
    return caught.value


def test_twilio_sends_the_text_with_the_account_credentials_and_the_idempotency_token() -> None:
    account = twilio_account()
    with account.fake.running():
        message_id = send(account.build(True))
    [text] = account.fake.texts
    assert message_id == text.message_id
    assert message_id.startswith("SM")
    assert text.request == {"To": "+447400123456", "From": "+447400000001", "Body": MESSAGE.body}
    assert text.headers["i-twilio-idempotency-token"] == "verify/ver_1"


def test_plivo_sends_the_numbers_as_digits_and_returns_the_message_uuid() -> None:
    account = plivo_account()
    with account.fake.running():
        message_id = send(account.build(True))
    [text] = account.fake.texts
    assert message_id == text.message_id
    assert text.request == {"src": "447400000001", "dst": "447400123456", "text": MESSAGE.body}


def test_telnyx_sends_the_text_with_the_bearer_api_key() -> None:
    account = telnyx_account()
    with account.fake.running():
        message_id = send(account.build(True))
    [text] = account.fake.texts
    assert message_id == text.message_id
    assert text.request == {"from": "+447400000001", "to": "+447400123456", "text": MESSAGE.body}
    assert text.headers["authorization"] == "Bearer key"


def test_vonage_sends_an_sms_through_the_messages_api_with_the_application_jwt() -> None:
    account = vonage_account()
    with account.fake.running():
        message_id = send(account.build(True))
    [text] = account.fake.texts
    assert message_id == text.message_id
    assert text.request == {
        "message_type": "text",
        "channel": "sms",
        "to": "447400123456",
        "from": "447400000001",
        "text": MESSAGE.body,
    }
    token = text.headers["authorization"].removeprefix("Bearer ")
    assert jwt.decode(token, options={"verify_signature": False})["application_id"] == "app-1"


@pytest.mark.parametrize(
    ("account", "detail"),
    [
        (twilio_account, "is not a valid phone number"),
        (plivo_account, "is not a valid destination number"),
        (telnyx_account, "should be a valid E.164 phone number"),
        (vonage_account, "one or more parameters is invalid"),
    ],
    ids=["twilio", "plivo", "telnyx", "vonage"],
)
def test_a_refused_number_is_retry_safe_and_the_operator_is_told_why(
    account: Callable[[], Account], detail: str
) -> None:
    chosen = account()
    with chosen.fake.running():
        error = send_error(chosen.build(True), replace(MESSAGE, to_number="+0123"))
    assert (error.retry_safe, error.code) == (True, "provider_rejected")
    assert "refused the text message" in error.user_message
    assert detail in error.user_message
    assert chosen.fake.texts == []


@ACCOUNTS
def test_refused_credentials_send_nothing_and_are_retry_safe(
    account: Callable[[], Account],
) -> None:
    chosen = account()
    with chosen.fake.running():
        error = send_error(chosen.build(False))
    assert (error.retry_safe, error.code) == (True, "provider_auth")
    assert "credentials" in error.user_message
    assert chosen.fake.texts == []


def _twilio_answering(transport: httpx.AsyncBaseTransport) -> TwilioProvider:
    config = TwilioConfig("AC1", "token", api_base_url="https://api")
    return TwilioProvider(config, public_base_url=BASE, transport=transport)


def _answering(status: int, body: object) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, json=body))


def _raising(error: type[httpx.TransportError]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("simulated", request=request)

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("transport", "retry_safe", "code", "said"),
    [
        (_raising(httpx.ConnectError), True, "unreachable", "was not sent"),
        (_raising(httpx.ReadTimeout), False, "no_response", "may have been sent"),
        (_answering(503, {}), False, "provider_error", "may have been sent"),
        (_answering(201, {"status": "queued"}), False, "bad_response", "without a message id"),
    ],
    ids=["connect-error", "timeout-after-sending", "server-error", "no-message-id"],
)
def test_a_text_that_may_have_gone_out_is_not_retry_safe(
    transport: httpx.AsyncBaseTransport, retry_safe: bool, code: str, said: str
) -> None:
    error = send_error(_twilio_answering(transport))
    assert (error.retry_safe, error.code) == (retry_safe, code)
    assert said in error.user_message
    assert "call" not in error.user_message


@ACCOUNTS
def test_every_rest_provider_is_a_text_sender(account: Callable[[], Account]) -> None:
    provider = account().build(True)
    assert provider.capabilities.sends_text
    assert text_sender(provider) is provider


def test_the_sip_trunk_sends_no_texts() -> None:
    provider = SipTrunkProvider(SipTrunkConfig(host="127.0.0.1"))
    assert not provider.capabilities.sends_text
    assert text_sender(provider) is None
