"""At dial time the number is screened again: whatever got into the database, and whatever the
organization's policy became since, a blocked number is never dialled."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests import seeded
from tests.delivery.test_worker import alert_and_attempts, dial_log, fire, simulator, worker
from tests.factories import consent_written_directly, ok
from tocsin.audit.models import AuditEvent
from tocsin.contacts.models import Contact
from tocsin.core.clock import ManualClock
from tocsin.paging.models import CallJob
from tocsin.runtime import Runtime


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("+19005551234", "premium_rate"),
        ("+447700900123", "test_number"),
        ("+79781234567", "sanctioned"),
        ("+112", "invalid"),
    ],
)
def test_number_written_past_the_api_is_blocked_at_dial_time(
    client: TestClient,
    runtime: Runtime,
    clock: ManualClock,
    data_dir: Path,
    number: str,
    code: str,
) -> None:
    tenant = seeded.tenant(runtime)
    with runtime.database.write() as session:
        session.execute(
            update(Contact).where(Contact.id == tenant.contact_id).values(phone_e164=number)
        )
    consent_written_directly(runtime.database, tenant.org_id, number, clock.now())
    alert_id = fire(client, tenant)
    provider = simulator(data_dir, clock)
    asyncio.run(worker(runtime, provider, clock).run_until_idle())

    alert, [attempt] = alert_and_attempts(runtime, alert_id)
    assert (attempt.status, attempt.error_code) == ("blocked", code)
    assert attempt.provider_call_id is None
    assert dial_log(provider) == []
    assert alert.status == "open"
    with runtime.database.read() as session:
        job = session.scalar(select(CallJob).where(CallJob.alert_id == alert_id))
        assert job is not None
        assert job.status == "failed"
        actions = set(session.scalars(select(AuditEvent.action)))
    assert "call.blocked" in actions
    detail = ok(client.get(f"/v1/orgs/{tenant.org_id}/alerts/{alert_id}", headers=tenant.auth))
    assert detail["calls"][0]["status"] == "blocked"


def test_policy_narrowed_after_the_contact_was_added_blocks_the_call(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    tenant = seeded.tenant(runtime)
    policy = f"/v1/orgs/{tenant.org_id}/calling-policy"
    ok(
        client.patch(
            policy,
            json={"international_enabled": True, "allowed_regions": ["FR"]},
            headers=tenant.auth,
        )
    )
    french = {"id": seeded.contact(runtime, tenant.org_id, name="Paris", phone="+33612345678")}
    ok(
        client.patch(
            f"/v1/orgs/{tenant.org_id}/endpoints/{tenant.endpoint_id}",
            json={"contact_ids": [french["id"]]},
            headers=tenant.auth,
        )
    )
    ok(client.patch(policy, json={"international_enabled": False}, headers=tenant.auth))

    alert_id = fire(client, tenant)
    provider = simulator(data_dir, clock)
    asyncio.run(worker(runtime, provider, clock).run_until_idle())
    _, [attempt] = alert_and_attempts(runtime, alert_id)
    assert (attempt.status, attempt.error_code) == ("blocked", "international_disabled")
    assert dial_log(provider) == []
