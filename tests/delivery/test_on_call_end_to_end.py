"""On-call end to end through a real HTTP fake of Twilio (tests/telephony/rest/fakes.py, which
checks Twilio's signatures and speaks its wire format, calls and texts): a webhook reaches a rule
`call_on_schedule`, the member the schedule has on call is told by their own notification rules
(a call at once, a text after its delay), presses 1 on their phone, and the alert records that
member as the one who acknowledged it; an override on the schedule, not an edit of the endpoint,
switches whom the next alert calls. Issue 18's end-to-end acceptance."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.delivery.pager import CALLER_ID, Pager
from tests.delivery.test_paging_people import _rules
from tests.factories import ok
from tests.telephony.rest.fakes import FakeTwilio
from tocsin.engine.settings import WorkerSettings
from tocsin.engine.worker import Worker
from tocsin.telephony.rest import RestProviders, TwilioConfig, TwilioProvider

pytestmark = [pytest.mark.pager(rounds=1)]


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
    settings = WorkerSettings(
        lease=timedelta(seconds=60), caller_id=CALLER_ID, billing=pager.runtime.billing
    )
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


def _on_call_schedule(pager: Pager, *people: str) -> str:
    """A daily rotation of `people` handing over at 09:00 London, made through the API as an
    owner would; the pager's clock reads Thursday 1 January 2026 00:00 UTC, so the first of
    them is on call (their turn began on 31 December at 09:00)."""
    rotation = ok(
        pager.client.post(
            f"{pager.org}/rotations",
            json={
                "name": "Platform",
                "unit": "days",
                "count": 1,
                "handoff_time": "09:00",
                "timezone": "Europe/London",
                "start_at": "2025-12-31T09:00:00Z",
                "participants": list(people),
            },
            headers=pager.auth,
        ),
        201,
    )
    schedule = ok(
        pager.client.post(
            f"{pager.org}/schedules",
            json={
                "name": "Platform primary",
                "timezone": "Europe/London",
                "layers": [{"name": "Primary", "rotation_id": rotation["id"]}],
            },
            headers=pager.auth,
        ),
        201,
    )
    schedule_id: str = schedule["id"]
    return schedule_id


def _endpoint_rules(pager: Pager, endpoint_id: str) -> Any:
    return ok(pager.client.get(f"{pager.org}/endpoints/{endpoint_id}", headers=pager.auth))["rules"]


def test_a_schedule_pages_its_member_by_their_rules_and_their_key_acknowledges_as_them(
    pager: Pager, twilio_api: FakeTwilio
) -> None:
    assert pager.clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    ana, ana_mobile = pager.member("Ana")
    _, ana_texts = pager.member("Ana", channel="sms", user_id=ana)
    ben, _ = pager.member("Ben")
    # Ana's own rules: call her mobile at once, text her two minutes later.
    _rules(pager, ana, ("voice", ana_mobile, 0), ("sms", ana_texts, 2))
    platform = _on_call_schedule(pager, ana, ben)
    endpoint = pager.endpoint(
        rules=[{"action": {"type": "call_on_schedule", "schedule_id": platform}}]
    )
    worker = _twilio_worker(pager, twilio_api)

    alert_id = pager.fire(endpoint)
    assert asyncio.run(worker.run_until_idle()) == 1
    [call] = twilio_api.calls
    assert call.request["To"] == pager.phone(ana_mobile)
    assert twilio_api.texts == []
    calling = [e for e in pager.alert(alert_id)["timeline"] if e["action"] == "escalation.calling"]
    assert calling[0]["details"]["on_call"] == ["Platform primary: Ana (Primary layer)"]

    # Her phone rings on; not a minute later, but two minutes on, her second rule texts her.
    pager.clock.advance(60)
    asyncio.run(worker.run_until_idle())
    assert twilio_api.texts == []
    pager.clock.advance(60)
    asyncio.run(worker.run_until_idle())
    [text] = twilio_api.texts
    assert text.request["To"] == pager.phone(ana_texts)
    assert re.match(
        r"Tocsin CRITICAL #[A-Z][2-9]: Disk full on db1\. Reply 1 ", text.request["Body"]
    )
    assert len(twilio_api.calls) == 1

    phone = twilio_api.phone(pager.client)
    phone.answer()
    assert phone.press("1").status_code == 200

    alert = pager.alert(alert_id)
    assert alert["status"] == "acknowledged"
    assert alert["acknowledged_user_id"] == ana
    [acknowledged] = [e for e in alert["timeline"] if e["action"] == "alert.acknowledged"]
    assert acknowledged["details"]["member_id"] == ana
    assert {(c["channel"], c["status"]) for c in alert["calls"]} >= {("sms", "sent")}
    assert alert["calls"][0]["simulated"] is False


def test_an_override_switches_whom_the_schedule_calls_without_editing_the_endpoint(
    pager: Pager, twilio_api: FakeTwilio
) -> None:
    ana, ana_mobile = pager.member("Ana")
    ben, ben_mobile = pager.member("Ben")
    platform = _on_call_schedule(pager, ana, ben)
    endpoint = pager.endpoint(
        rules=[{"action": {"type": "call_on_schedule", "schedule_id": platform}}]
    )
    rules_before = _endpoint_rules(pager, endpoint)
    worker = _twilio_worker(pager, twilio_api)

    first = pager.fire(endpoint, {"title": "Disk full on db1", "severity": "critical"})
    asyncio.run(worker.run_until_idle())
    assert [c.request["To"] for c in twilio_api.calls] == [pager.phone(ana_mobile)]
    phone = twilio_api.phone(pager.client)
    phone.answer()
    phone.press("1")
    assert pager.alert(first)["acknowledged_user_id"] == ana

    # Ana is away tonight: Ben takes her place on the schedule, for twelve hours.
    ok(
        pager.client.post(
            f"{pager.org}/schedules/{platform}/overrides",
            json={
                "kind": "replace",
                "user_id": ben,
                "replaces_user_id": ana,
                "starts_at": "2026-01-01T00:00:00Z",
                "ends_at": "2026-01-01T12:00:00Z",
                "note": "Ana is away",
            },
            headers=pager.auth,
        ),
        201,
    )
    second = pager.fire(endpoint, {"title": "Replica lag on db2", "severity": "critical"})
    asyncio.run(worker.run_until_idle())

    assert [c.request["To"] for c in twilio_api.calls] == [
        pager.phone(ana_mobile),
        pager.phone(ben_mobile),
    ]
    phone = twilio_api.phone(pager.client)
    phone.answer()
    phone.press("1")
    alert = pager.alert(second)
    assert alert["acknowledged_user_id"] == ben
    calling = [e for e in alert["timeline"] if e["action"] == "escalation.calling"]
    assert calling[0]["details"]["on_call"] == ["Platform primary: Ben (override for Ana)"]
    assert _endpoint_rules(pager, endpoint) == rules_before
