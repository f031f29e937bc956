"""On-call end to end through a real HTTP fake of Twilio (tests/telephony/rest/fakes.py, which
checks Twilio's signatures and speaks its wire format): a webhook pages a member, Twilio's phone
answers and presses 1, and the alert records that member as the one who acknowledged it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.delivery.pager import CALLER_ID, Pager
from tests.telephony.rest.fakes import FakeTwilio
from tocsin.engine.settings import WorkerSettings
from tocsin.engine.worker import Worker
from tocsin.telephony.rest import RestProviders, TwilioConfig, TwilioProvider

pytestmark = [pytest.mark.usefixtures("fast_password_hashing"), pytest.mark.pager(rounds=1)]


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    fake = FakeTwilio("AC" + "2" * 32, "twilio-auth-token")
    with fake.running():
        yield fake


def _twilio_worker(pager: Pager, twilio_api: FakeTwilio) -> Worker:
    config = TwilioConfig(
        account_sid=twilio_api.account_sid,
        auth_token=twilio_api.auth_token,
        api_base_url=twilio_api.url,
    )
    provider = TwilioProvider(config, public_base_url=pager.runtime.settings.public_base_url)
    pager.client.app.state.rest_providers = RestProviders(twilio=provider)  # type: ignore[attr-defined]
    settings = WorkerSettings(lease=timedelta(seconds=60), caller_id=CALLER_ID)
    return Worker(
        pager.runtime.database, provider, clock=pager.clock, settings=settings, worker_id="w1"
    )


def test_a_key_on_a_members_own_number_acknowledges_as_that_member(
    pager: Pager, twilio_api: FakeTwilio
) -> None:
    ana, ana_contact = pager.member("Ana")
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])
    worker = _twilio_worker(pager, twilio_api)

    alert_id = pager.fire(endpoint)
    assert asyncio.run(worker.run_until_idle()) == 1
    [call] = twilio_api.calls
    assert call.request["To"] == pager.phone(ana_contact)

    phone = twilio_api.phone(pager.client)
    phone.answer()
    assert phone.press("1").status_code == 200

    alert = pager.alert(alert_id)
    assert alert["status"] == "acknowledged"
    assert alert["acknowledged_by"] == f"keypad:{pager.phone(ana_contact)}"
    assert alert["acknowledged_user_id"] == ana
    acknowledged = [e for e in alert["timeline"] if e["action"] == "alert.acknowledged"]
    assert acknowledged[0]["details"]["member_id"] == ana
