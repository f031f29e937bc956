"""A member's text through real HTTP fakes of Twilio and Plivo (tests/telephony/rest/fakes.py):
each is a server on 127.0.0.1 that checks the account's credentials and the send-message
request in the provider's own wire format (Twilio's Messages API form, Plivo's Message JSON)
and answers as the provider does, refusals included."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.delivery.pager import CALLER_ID, Pager
from tests.delivery.test_paging_people import _rules
from tests.telephony.rest.fakes import FakePlivo, FakeTwilio
from tocsin.engine.settings import WorkerSettings
from tocsin.engine.worker import Worker
from tocsin.telephony.base import Provider
from tocsin.telephony.rest import PlivoConfig, PlivoProvider, TwilioConfig, TwilioProvider

pytestmark = [pytest.mark.pager(rounds=1, unanswered_retries=0)]

FIRED = {"title": "Replica lag 40 s on db2", "severity": "major"}


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    fake = FakeTwilio("AC" + "3" * 32, "twilio-auth-token")
    with fake.running():
        yield fake


@pytest.fixture
def plivo_api() -> Iterator[FakePlivo]:
    fake = FakePlivo("MAPLIVO000000000", "plivo-auth-token")
    with fake.running():
        yield fake


def _worker(pager: Pager, provider: Provider) -> Worker:
    settings = WorkerSettings(
        lease=timedelta(seconds=60), caller_id=CALLER_ID, billing=pager.runtime.billing
    )
    return Worker(
        pager.runtime.database, provider, clock=pager.clock, settings=settings, worker_id="w1"
    )


def _twilio(pager: Pager, fake: FakeTwilio, *, auth_token: str | None = None) -> Worker:
    config = TwilioConfig(
        account_sid=fake.account_sid,
        auth_token=auth_token or fake.auth_token,
        api_base_url=fake.url,
    )
    provider = TwilioProvider(config, public_base_url=pager.runtime.settings.public_base_url)
    return _worker(pager, provider)


def _texted_member(pager: Pager) -> tuple[str, str]:
    ana, sms_contact = pager.member("Ana", channel="sms")
    _rules(pager, ana, ("sms", sms_contact, 0))
    return ana, pager.phone(sms_contact)


def _page(pager: Pager, ana: str, worker: Worker) -> dict[str, Any]:
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])
    alert_id = pager.fire(endpoint, FIRED)
    asyncio.run(worker.run_until_idle())
    return pager.alert(alert_id)


def _body(detail: dict[str, Any]) -> str:
    [text] = [call for call in detail["calls"] if call["channel"] == "sms"]
    reference = text["reply_code"]
    return (
        f"Tocsin MAJOR #{reference}: Replica lag 40 s on db2. Reply 1 to acknowledge, 2 to "
        "resolve. Reply STOP to opt out."
    )


def test_a_member_is_texted_through_twilios_messages_api(
    pager: Pager, twilio_api: FakeTwilio
) -> None:
    ana, number = _texted_member(pager)

    detail = _page(pager, ana, _twilio(pager, twilio_api))

    [text] = twilio_api.texts
    assert text.request == {"To": number, "From": CALLER_ID, "Body": _body(detail)}
    [attempt] = detail["calls"]
    assert (attempt["channel"], attempt["status"], attempt["provider"]) == ("sms", "sent", "twilio")
    assert attempt["provider_call_id"] == text.message_id
    assert attempt["simulated"] is False
    # The attempt's key, so that Twilio sends it once however often it is asked.
    assert text.headers["i-twilio-idempotency-token"] == f"{detail['jobs'][0]['id']}/1"
    assert twilio_api.calls == []
    assert detail["status"] == "open"


def test_twilios_refusal_is_on_the_timeline_and_told_to_the_owners(
    pager: Pager, twilio_api: FakeTwilio
) -> None:
    ana, number = _texted_member(pager)
    # https://www.twilio.com/docs/api/errors/21610: the number replied STOP to the sender.
    twilio_api.refused_texts[number] = (400, 21610, "Attempt to send to unsubscribed recipient")

    detail = _page(pager, ana, _twilio(pager, twilio_api))

    assert twilio_api.texts == []
    [attempt] = detail["calls"]
    assert attempt["status"] == "failed"
    assert "unsubscribed recipient" in attempt["error_message"]
    [failed] = [e for e in detail["timeline"] if e["action"] == "text.failed"]
    assert failed["details"]["to"] == number
    [job] = detail["jobs"]
    assert (job["status"], job["outcome"]) == ("failed", "not_sent")
    assert "escalation.exhausted" in [e["action"] for e in detail["timeline"]]
    notices = pager.client.get(f"{pager.org}/notices", headers=pager.auth).json()["items"]
    assert "text_failed" in {notice["kind"] for notice in notices}


def test_a_text_whose_fate_twilio_leaves_unknown_is_never_sent_again(
    pager: Pager, twilio_api: FakeTwilio
) -> None:
    ana, number = _texted_member(pager)
    # A 5xx: Twilio may have taken the message before it failed.
    twilio_api.refused_texts[number] = (500, 20500, "Internal Server Error")
    worker = _twilio(pager, twilio_api)

    detail = _page(pager, ana, worker)
    pager.clock.advance(3600)
    asyncio.run(worker.run_until_idle())

    assert twilio_api.text_requests == 1
    [attempt] = pager.alert(detail["id"])["calls"]
    assert attempt["status"] == "unknown"
    [job] = pager.alert(detail["id"])["jobs"]
    assert (job["status"], job["outcome"], job["attempts"]) == ("done", "unknown", 1)
    assert "text.unconfirmed" in [e["action"] for e in detail["timeline"]]


def test_wrong_twilio_credentials_send_nothing_and_say_so(
    pager: Pager, twilio_api: FakeTwilio
) -> None:
    ana, _ = _texted_member(pager)

    detail = _page(pager, ana, _twilio(pager, twilio_api, auth_token="not-the-token"))

    assert twilio_api.texts == []
    [attempt] = detail["calls"]
    assert attempt["status"] == "failed"
    assert "credentials" in attempt["error_message"]


def test_a_member_is_texted_through_plivos_message_api(pager: Pager, plivo_api: FakePlivo) -> None:
    ana, number = _texted_member(pager)
    config = PlivoConfig(
        auth_id=plivo_api.auth_id, auth_token=plivo_api.auth_token, api_base_url=plivo_api.url
    )
    provider = PlivoProvider(config, public_base_url=pager.runtime.settings.public_base_url)

    detail = _page(pager, ana, _worker(pager, provider))

    [text] = plivo_api.texts
    assert text.request == {
        "src": CALLER_ID.lstrip("+"),
        "dst": number.lstrip("+"),
        "text": _body(detail),
    }
    [attempt] = detail["calls"]
    assert (attempt["channel"], attempt["status"], attempt["provider"]) == ("sms", "sent", "plivo")
    assert attempt["provider_call_id"] == text.message_id
