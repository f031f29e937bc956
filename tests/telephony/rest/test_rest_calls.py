"""A call placed through a REST API: its handle reports only that the provider took it, and
hanging up goes to the provider's own API."""

from __future__ import annotations

import asyncio

import pytest

from tests.telephony.rest.fakes import FakePlivo, FakeTelnyx, FakeTwilio, FakeVonage
from tocsin.core.clock import ManualClock
from tocsin.telephony.base import CallEventKind, CallRequest, ProviderError
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
from tocsin.telephony.rest.transport import RestCall

REQUEST = CallRequest(
    idempotency_key="job_1/1",
    to_number="+447400123456",
    caller_id="+447400000001",
    spoken_text="Disk full on db1.",
    ring_timeout_seconds=30,
)
BASE = "https://tocsin.example"


async def _dial_then_hang_up(
    provider: TwilioProvider | PlivoProvider | TelnyxProvider | VonageProvider,
) -> tuple[RestCall, list[CallEventKind]]:
    handle = await provider.dial(REQUEST)
    kinds = [event.kind async for event in handle.events()]
    await handle.hangup()
    return handle, kinds


def test_twilio_dial_sends_the_callbacks_and_hangs_up_by_completing_the_call() -> None:
    fake = FakeTwilio("AC" + "2" * 32, "token")
    with fake.running():
        provider = TwilioProvider(
            TwilioConfig(fake.account_sid, "token", api_base_url=fake.url), public_base_url=BASE
        )
        handle, kinds = asyncio.run(_dial_then_hang_up(provider))
    [call] = fake.calls
    assert kinds == [CallEventKind.TRYING]
    assert handle.provider_call_id == call.call_id
    assert call.request["Url"] == f"{BASE}/v1/telephony/twilio/answer?key=job_1%2F1"
    assert call.request["StatusCallback"] == f"{BASE}/v1/telephony/twilio/status?key=job_1%2F1"
    assert call.request["Timeout"] == "30"
    [(method, path, form)] = fake.requests
    assert (method, path, form) == (
        "POST",
        f"/2010-04-01/Accounts/{fake.account_sid}/Calls/{call.call_id}.json",
        {"Status": "completed"},
    )


def test_twilio_with_wrong_credentials_places_nothing() -> None:
    fake = FakeTwilio("AC" + "2" * 32, "token")
    with fake.running():
        provider = TwilioProvider(
            TwilioConfig(fake.account_sid, "wrong", api_base_url=fake.url), public_base_url=BASE
        )
        with pytest.raises(ProviderError) as caught:
            asyncio.run(provider.dial(REQUEST))
    assert (caught.value.retry_safe, caught.value.code) == (True, "provider_auth")
    assert fake.calls == []


def test_plivo_hangs_up_by_cancelling_the_request() -> None:
    fake = FakePlivo("MA1", "token")
    with fake.running():
        provider = PlivoProvider(
            PlivoConfig("MA1", "token", api_base_url=fake.url), public_base_url=BASE
        )
        handle, _ = asyncio.run(_dial_then_hang_up(provider))
    assert fake.requests == [
        ("DELETE", f"/v1/Account/MA1/Request/{handle.provider_call_id}/", None)
    ]


def test_telnyx_hangs_up_with_the_hangup_command() -> None:
    fake = FakeTelnyx("key")
    with fake.running():
        config = TelnyxConfig("key", "conn", fake.public_key, api_base_url=fake.url)
        provider = TelnyxProvider(config, public_base_url=BASE)
        asyncio.run(_dial_then_hang_up(provider))
    [call] = fake.calls
    assert call.request["timeout_secs"] == 30
    assert [action for action, _ in fake.commands] == ["hangup"]


def test_vonage_hangs_up_by_updating_the_call() -> None:
    fake = FakeVonage("app-1", "s" * 32)
    with fake.running():
        config = VonageConfig("app-1", fake.private_key_pem, "s" * 32, api_base_url=fake.url)
        provider = VonageProvider(config, public_base_url=BASE, clock=ManualClock())
        handle, _ = asyncio.run(_dial_then_hang_up(provider))
    assert fake.requests == [("PUT", f"/v1/calls/{handle.provider_call_id}", {"action": "hangup"})]
