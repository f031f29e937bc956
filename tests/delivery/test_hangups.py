"""Acknowledging or resolving an alert hangs up its calls in progress (issue 14, finding 9).

Before: a call already answered went on reading the alert after someone acknowledged it
elsewhere (the prompt played on for 94 s). Now the transaction that closes the alert marks its
calls in progress, and a worker hangs each up: through the REST provider's hang-up API (here the
fake Twilio, which records `POST .../Calls/{sid}.json Status=completed` as Twilio's API takes
it), or by BYE for a SIP call it runs (tests/telephony/sip/test_sip_hangup.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import serving
from tests.factories import ok
from tests.rows import RowTenant, tenant_rows
from tests.telephony.rest.fakes import FakeTwilio
from tocsin.audit.models import AuditEvent
from tocsin.core.clock import ManualClock
from tocsin.engine.settings import WorkerSettings
from tocsin.engine.worker import Worker
from tocsin.paging.models import CallAttempt
from tocsin.runtime import Runtime
from tocsin.telephony.dialogue import CLOSED_ELSEWHERE

ALICE, BOB = "+447400123456", "+447400654321"
SID, TOKEN = "AC" + "3" * 32, "hangup-test-token"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(SID, TOKEN)
    with fake.running():
        yield fake


def twilio_platform(fake: FakeTwilio) -> dict[str, Any]:
    return {
        "provider": "twilio",
        "provider_settings": {"api_base_url": fake.url},
        "provider_credentials": {"account_sid": SID, "auth_token": TOKEN},
    }


def fire(client: TestClient, tenant: RowTenant) -> str:
    alert_id: str = ok(
        client.post(
            f"/v1/hooks/{tenant.endpoint_id}", json={"title": "Disk full"}, headers=tenant.alert_key
        ),
        202,
    )["alert_id"]
    return alert_id


def worker_of(runtime: Runtime) -> Worker:
    return Worker(
        runtime.database,
        runtime.provider_directory(),
        clock=runtime.clock,
        settings=WorkerSettings(throttle=()),
        worker_id="worker-h",
    )


def call_everyone(runtime: Runtime) -> RowTenant:
    return tenant_rows(runtime, phones=(ALICE, BOB), endpoint={"routing": "all"})


def hung_up(fake: FakeTwilio) -> list[str]:
    """The calls Tocsin ended through Twilio's API."""
    return [
        path.rsplit("/", 1)[1].removesuffix(".json")
        for method, path, form in fake.requests
        if method == "POST" and form.get("Status") == "completed"
    ]


def test_a_key_on_one_call_hangs_up_the_other_call_of_the_alert(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock, twilio: FakeTwilio
) -> None:
    with serving(app, database_url, data_dir, clock, **twilio_platform(twilio)) as (
        runtime,
        client,
    ):
        tenant = call_everyone(runtime)
        alert_id = fire(client, tenant)
        worker = worker_of(runtime)
        asyncio.run(worker.run_until_idle())
        alice_call, bob_call = sorted(twilio.calls, key=lambda call: call.request["To"] != ALICE)
        alice = twilio.phone(client)
        alice.call = alice_call
        alice.answer()  # Alice listens...
        bob = twilio.phone(client)
        bob.call = bob_call
        bob.answer()
        assert bob.press("1").status_code == 200  # ...while Bob acknowledges
        assert hung_up(twilio) == []

        asyncio.run(worker.run_until_idle())
        # Alice's call is ended; Bob's, which says "Acknowledged", ends by itself.
        assert hung_up(twilio) == [alice_call.call_id]
        with runtime.database.read() as session:
            attempts = {
                a.to_number: a
                for a in session.scalars(
                    select(CallAttempt).where(CallAttempt.alert_id == alert_id)
                )
            }
            [event] = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "call.hung_up")
            ).all()
        assert event.target_id == attempts[ALICE].id
        assert event.details["outcome"] == "hung up through the provider's API"
        assert attempts[ALICE].hangup_requested_at is None

        asyncio.run(worker.run_until_idle())
        assert hung_up(twilio) == [alice_call.call_id]  # once


def test_acknowledging_in_the_api_hangs_up_the_call_in_progress(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock, twilio: FakeTwilio
) -> None:
    with serving(app, database_url, data_dir, clock, **twilio_platform(twilio)) as (
        runtime,
        client,
    ):
        tenant = tenant_rows(runtime, phones=(ALICE,))
        alert_id = fire(client, tenant)
        worker = worker_of(runtime)
        asyncio.run(worker.run_until_idle())
        [call] = twilio.calls
        twilio.phone(client).answer()
        ok(client.post(f"/v1/orgs/{tenant.org_id}/alerts/{alert_id}/resolve", headers=tenant.auth))
        asyncio.run(worker.run_until_idle())
        assert hung_up(twilio) == [call.call_id]


def test_a_rest_call_the_hang_up_has_not_reached_yet_says_so_at_its_next_turn(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock, twilio: FakeTwilio
) -> None:
    with serving(app, database_url, data_dir, clock, **twilio_platform(twilio)) as (
        runtime,
        client,
    ):
        tenant = tenant_rows(runtime, phones=(ALICE,))
        alert_id = fire(client, tenant)
        asyncio.run(worker_of(runtime).run_until_idle())
        phone = twilio.phone(client)
        phone.answer()
        ok(
            client.post(
                f"/v1/orgs/{tenant.org_id}/alerts/{alert_id}/acknowledge", headers=tenant.auth
            )
        )
        # No worker has looked yet: the call's next turn ends it itself.
        turn = phone.stays_silent()
        assert turn.status_code == 200
        assert CLOSED_ELSEWHERE in turn.text
        assert "<Hangup />" in turn.text
        assert "<Gather" not in turn.text
