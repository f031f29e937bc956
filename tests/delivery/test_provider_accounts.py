"""Provider accounts: checked when saved, credentials sealed at rest and never shown, and
failover to the next provider when the first certainly placed no call."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import rows, seeded
from tests.accounts.helpers import api_key_header, error
from tests.delivery.test_worker import alert_and_attempts, fire
from tests.factories import Tenant, alert_dials, ok
from tocsin.audit.models import AuditEvent
from tocsin.core.clock import ManualClock
from tocsin.core.secretbox import SecretBox
from tocsin.engine.settings import WorkerSettings
from tocsin.engine.worker import Worker
from tocsin.providers.models import ProviderAccount
from tocsin.runtime import Runtime

TOKEN = "provider-api-token-0123456789"


def _providers(tenant: Tenant) -> str:
    return f"/v1/orgs/{tenant.org_id}/providers"


def _add(client: TestClient, tenant: Tenant, **body: object) -> object:
    """Add an account presenting the organization's proven caller ID (rows.CALLER_ID)."""
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    body.setdefault("caller_id_id", rows.proven_caller_id(runtime, tenant.org_id))
    return client.post(_providers(tenant), json=body, headers=tenant.auth)


def test_credentials_are_sealed_at_rest_and_never_returned(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = seeded.tenant(runtime)
    created = ok(
        _add(client, tenant, kind="simulator", name="Lab", credentials={"token": TOKEN}), 201
    )
    assert "credentials" not in created
    listed = ok(client.get(_providers(tenant), headers=tenant.auth))
    assert TOKEN not in json.dumps(listed)
    with runtime.database.read() as session:
        account = session.scalar(select(ProviderAccount))
        assert account is not None
        assert TOKEN not in account.sealed_credentials
        assert runtime.credentials_box.open(account.sealed_credentials) == {"token": TOKEN}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"kind": "carrier-pigeon", "name": "x"}, "unknown_provider"),
        (
            {"kind": "simulator", "name": "x", "settings": {"outcome": "dance"}},
            "invalid_provider_config",
        ),
        ({"kind": "simulator", "name": "x", "priority": 0}, "invalid_priority"),
    ],
)
def test_bad_accounts_are_refused_when_saved(
    client: TestClient, runtime: Runtime, body: dict[str, object], code: str
) -> None:
    tenant = seeded.tenant(runtime)
    assert error(client.post(_providers(tenant), json=body, headers=tenant.auth), 422) == code
    assert ok(client.get(_providers(tenant), headers=tenant.auth))["items"] == []


def test_two_accounts_cannot_share_a_priority(client: TestClient, runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    ok(_add(client, tenant, kind="simulator", name="First", priority=1), 201)
    clash = _add(client, tenant, kind="simulator", name="Second", priority=1)
    assert error(clash, 409) == "priority_taken"  # type: ignore[arg-type]


def test_only_admins_signed_in_manage_providers(client: TestClient, runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    member = seeded.member(runtime, tenant.org_id, email="member@example.com").auth
    body = {"kind": "simulator", "name": "x"}
    assert error(client.post(_providers(tenant), json=body, headers=member), 403) == (
        "insufficient_role"
    )
    key = seeded.api_key(runtime, tenant.org_id, name="key", scopes=("read", "write"))
    with_key = client.post(_providers(tenant), json=body, headers=api_key_header(key))
    assert error(with_key, 403) == "user_required"


def test_failover_to_the_next_provider_when_the_first_refuses(
    client: TestClient, runtime: Runtime, data_dir: Path
) -> None:
    tenant = seeded.tenant(runtime)
    refusing = ok(
        _add(
            client,
            tenant,
            kind="simulator",
            name="Refuses",
            priority=1,
            settings={"outcome": "reject", "record_audio": False},
        ),
        201,
    )
    backup = ok(
        _add(
            client,
            tenant,
            kind="simulator",
            name="Backup",
            priority=2,
            settings={"outcome": "press:1", "record_audio": False},
        ),
        201,
    )
    alert_id = fire(client, tenant)
    worker = Worker(
        runtime.database,
        runtime.provider_directory(),
        clock=runtime.clock,
        settings=WorkerSettings(caller_id="+447400000001"),
    )
    asyncio.run(worker.run_until_idle())

    alert, [attempt] = alert_and_attempts(runtime, alert_id)
    assert alert.status == "acknowledged"
    assert (attempt.status, attempt.provider_account_id) == ("answered", backup["id"])
    dials = alert_dials(data_dir / "simulator")
    # The refusing provider was asked once and placed nothing; the backup placed the call.
    assert [dial["idempotency_key"] for dial in dials] == [attempt.idempotency_key] * 2
    with runtime.database.read() as session:
        failovers = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "call.failover")
        ).all()
    assert [event.details["failed_provider"] for event in failovers] == ["simulator"]
    assert refusing["id"] != backup["id"]


def test_disabled_account_is_skipped(client: TestClient, runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    first = ok(
        _add(
            client,
            tenant,
            kind="simulator",
            name="Off",
            priority=1,
            settings={"outcome": "busy", "record_audio": False},
        ),
        201,
    )
    second = ok(
        _add(
            client,
            tenant,
            kind="simulator",
            name="On",
            priority=2,
            settings={"record_audio": False},
        ),
        201,
    )
    ok(
        client.patch(
            f"{_providers(tenant)}/{first['id']}", json={"enabled": False}, headers=tenant.auth
        )
    )
    alert_id = fire(client, tenant)
    worker = Worker(
        runtime.database,
        runtime.provider_directory(),
        clock=runtime.clock,
        settings=WorkerSettings(),
    )
    asyncio.run(worker.run_until_idle())
    _, [attempt] = alert_and_attempts(runtime, alert_id)
    assert (attempt.status, attempt.provider_account_id) == ("answered", second["id"])


def test_an_account_whose_credentials_cannot_be_opened_is_skipped(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    tenant = seeded.tenant(runtime)
    broken = ok(
        _add(
            client,
            tenant,
            kind="simulator",
            name="Old secret",
            priority=1,
            credentials={"token": TOKEN},
        ),
        201,
    )
    with runtime.database.write() as session:
        account = session.get(ProviderAccount, broken["id"])
        assert account is not None
        account.sealed_credentials = SecretBox(b"another server secret", "x").seal({"a": 1})
    alert_id = fire(client, tenant)
    worker = Worker(
        runtime.database,
        runtime.provider_directory(),
        clock=runtime.clock,
        settings=WorkerSettings(retry_after=timedelta(seconds=30)),
    )
    asyncio.run(worker.run_until_idle())
    _, [attempt] = alert_and_attempts(runtime, alert_id)
    assert (attempt.status, attempt.error_code) == ("not_placed", "no_provider")

    backup = ok(
        _add(
            client,
            tenant,
            kind="simulator",
            name="Backup",
            priority=2,
            settings={"record_audio": False},
        ),
        201,
    )
    clock.advance(31)
    asyncio.run(worker.run_until_idle())
    alert, attempts = alert_and_attempts(runtime, alert_id)
    assert [(a.status, a.provider_account_id) for a in attempts] == [
        ("not_placed", None),
        ("answered", backup["id"]),
    ]
    assert alert.status == "acknowledged"
