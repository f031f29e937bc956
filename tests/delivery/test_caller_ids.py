"""Caller IDs an organization controls (issue 16, finding 1): a call through an organization's
own provider account presents only a number the organization proved, never the platform's own
number; an account without one is passed over loudly, and a call nobody else can place is
blocked as `caller_id_missing` on the alert's timeline, with the owners told."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tests import rows, seeded
from tests.delivery.test_worker import alert_and_attempts, fire
from tests.factories import ok
from tests.telephony.rest.fakes import FakeTwilio
from tocsin.audit.models import AuditEvent, Notice
from tocsin.callerids import commands as caller_ids
from tocsin.cli import app
from tocsin.core.actors import Actor
from tocsin.core.errors import Forbidden
from tocsin.paging.models import CallJob
from tocsin.runtime import Runtime

CHOSEN = "+447400000002"


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    fake = FakeTwilio("AC" + "1" * 32, "twilio-auth-token")
    with fake.running():
        yield fake


def run_worker(runtime: Runtime) -> None:
    asyncio.run(runtime.build_worker().run_until_idle())


def actions(runtime: Runtime, alert_id: str) -> list[str]:
    with runtime.database.read() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.target_id == alert_id)
                .order_by(AuditEvent.created_at)
            )
        )


def test_an_own_twilio_account_never_presents_the_platform_number(
    client: TestClient, runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    """issue 16, finding 1: an organization's own Twilio account placed its calls from the one
    global TOCSIN_CALLER_ID (the operator's number spoofed through the customer's carrier)."""
    tenant = seeded.tenant(runtime)
    ok(
        client.post(
            f"/v1/orgs/{tenant.org_id}/providers",
            json=twilio_api.provider_account("Our Twilio"),
            headers=tenant.auth,
        ),
        201,
    )
    alert_id = fire(client, tenant)
    run_worker(runtime)

    # Before: one call, from the platform's own number.
    assert [call.request["From"] for call in twilio_api.calls] == []
    _, [attempt] = alert_and_attempts(runtime, alert_id)
    assert (attempt.status, attempt.error_code) == ("blocked", "caller_id_missing")
    assert "has no caller ID chosen" in (attempt.error_message or "")
    assert attempt.billed_day_starts_at is None  # nobody was called, so nothing is counted
    with runtime.database.read() as session:
        job = session.get(CallJob, attempt.job_id)
        notices = session.scalars(select(Notice.kind).where(Notice.org_id == tenant.org_id))
        assert job is not None
        assert (job.status, job.outcome) == ("failed", "blocked")
        assert "caller_id_missing" in list(notices)
        blocked = session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "call.blocked", AuditEvent.target_id == attempt.id
            )
        )
        assert blocked is not None
        assert blocked.details["reasons"] == ["caller_id_missing"]
    detail = ok(client.get(f"/v1/orgs/{tenant.org_id}/alerts/{alert_id}", headers=tenant.auth))
    assert [call["status"] for call in detail["calls"]] == ["blocked"]


def test_a_call_through_an_own_twilio_account_presents_its_proven_caller_id(
    client: TestClient, runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    """issue 16, finding 1: the chosen, proven caller ID is what the customer's carrier gets."""
    tenant = seeded.tenant(runtime)
    caller_id = rows.proven_caller_id(runtime, tenant.org_id, CHOSEN)
    created = ok(
        client.post(
            f"/v1/orgs/{tenant.org_id}/providers",
            json={**twilio_api.provider_account("Our Twilio"), "caller_id_id": caller_id},
            headers=tenant.auth,
        ),
        201,
    )
    assert (created["caller_id_id"], created["warnings"]) == (caller_id, [])
    alert_id = fire(client, tenant)
    run_worker(runtime)

    [call] = twilio_api.calls
    assert call.request["From"] == CHOSEN
    _, [attempt] = alert_and_attempts(runtime, alert_id)
    assert (attempt.caller_id, attempt.provider_account_id) == (CHOSEN, created["id"])


def test_the_endpoints_caller_id_wins_over_the_accounts(
    client: TestClient, runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    tenant = seeded.tenant(runtime)
    rows.provider_account(
        runtime,
        tenant.org_id,
        "twilio",
        settings={"api_base_url": twilio_api.url},
        credentials={"account_sid": twilio_api.account_sid, "auth_token": twilio_api.auth_token},
    )
    endpoint_caller = rows.proven_caller_id(runtime, tenant.org_id, CHOSEN)
    ok(
        client.patch(
            f"/v1/orgs/{tenant.org_id}/endpoints/{tenant.endpoint_id}",
            json={"caller_id_id": endpoint_caller},
            headers=tenant.auth,
        )
    )
    fire(client, tenant)
    run_worker(runtime)
    assert [call.request["From"] for call in twilio_api.calls] == [CHOSEN]


def test_an_account_without_a_caller_id_is_passed_over_loudly_for_the_next(
    client: TestClient, runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    tenant = seeded.tenant(runtime)
    twilio = {
        "settings": {"api_base_url": twilio_api.url},
        "credentials": {"account_sid": twilio_api.account_sid, "auth_token": twilio_api.auth_token},
    }
    rows.provider_account(runtime, tenant.org_id, "twilio", priority=1, caller_id=None, **twilio)
    second = rows.provider_account(runtime, tenant.org_id, "twilio", priority=2, **twilio)
    alert_id = fire(client, tenant)
    run_worker(runtime)

    assert [call.request["From"] for call in twilio_api.calls] == [rows.CALLER_ID]
    _, [attempt] = alert_and_attempts(runtime, alert_id)
    assert attempt.provider_account_id == second
    assert "call.provider_passed_over" in actions(runtime, alert_id)
    with runtime.database.read() as session:
        kinds = list(session.scalars(select(Notice.kind).where(Notice.org_id == tenant.org_id)))
    assert "caller_id_missing" in kinds


def test_a_caller_id_proven_by_one_accounts_records_is_not_usable_through_another(
    client: TestClient, runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    tenant = seeded.tenant(runtime)
    twilio = {
        "settings": {"api_base_url": twilio_api.url},
        "credentials": {"account_sid": twilio_api.account_sid, "auth_token": twilio_api.auth_token},
    }
    first = rows.provider_account(runtime, tenant.org_id, "twilio", priority=1, **twilio)
    second = rows.provider_account(runtime, tenant.org_id, "twilio", priority=2, **twilio)
    owned = rows.proven_caller_id(runtime, tenant.org_id, CHOSEN, through_account=first)
    providers = f"/v1/orgs/{tenant.org_id}/providers"
    refused = client.patch(
        f"{providers}/{second}", json={"caller_id_id": owned}, headers=tenant.auth
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "caller_id_not_usable_here"
    chosen = ok(
        client.patch(f"{providers}/{first}", json={"caller_id_id": owned}, headers=tenant.auth)
    )
    assert chosen["caller_id_id"] == owned


def test_the_operator_vouches_for_a_caller_id_from_the_shell(
    client: TestClient, runtime: Runtime, twilio_api: FakeTwilio, cli: CliRunner
) -> None:
    """A self-hosted install whose only carrier is the organization's own trunk has no
    platform provider to send a code through: the operator vouches, with a reason kept."""
    tenant = seeded.tenant(runtime)
    added = cli.invoke(app, ["caller-id", "add", CHOSEN, "--org", tenant.org_id, "--json"])
    assert added.exit_code == 0, added.output
    caller_id = json.loads(added.output)["id"]
    missing = cli.invoke(app, ["caller-id", "attest", caller_id, "--org", tenant.org_id])
    assert missing.exit_code != 0  # a reason is required
    vouched = cli.invoke(
        app,
        ["caller-id", "attest", caller_id, "--org", tenant.org_id, "--json",
         "--reason", "our SIP trunk's DID, contract 1234"],
    )  # fmt: skip
    assert vouched.exit_code == 0, vouched.output
    assert json.loads(vouched.output)["proof"] == "operator"
    created = ok(
        client.post(
            f"/v1/orgs/{tenant.org_id}/providers",
            json={**twilio_api.provider_account("Our Twilio"), "caller_id_id": caller_id},
            headers=tenant.auth,
        ),
        201,
    )
    assert created["warnings"] == []
    fire(client, tenant)
    run_worker(runtime)
    assert [call.request["From"] for call in twilio_api.calls] == [CHOSEN]
    with runtime.database.read() as session:
        proven = session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "caller_id.proven", AuditEvent.target_id == caller_id
            )
        )
        assert proven is not None
        assert (proven.actor_type, proven.details["proof"]) == ("cli", "operator")
        assert "contract 1234" in proven.details["how"]


def test_only_the_shell_speaks_for_the_operator(runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    caller_id = rows.proven_caller_id(runtime, tenant.org_id, CHOSEN)
    with pytest.raises(Forbidden), runtime.database.write() as session:
        caller_ids.attest_caller_id(
            session,
            org_id=tenant.org_id,
            caller_id_id=caller_id,
            reason="trust me",
            actor=Actor("user", "usr_someone"),
            now=runtime.clock.now(),
        )


def test_a_worker_starting_names_the_accounts_that_cannot_present_a_number(
    client: TestClient,
    runtime: Runtime,
    twilio_api: FakeTwilio,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After the upgrade that brought caller IDs, every organization account lacks one: its
    calls are passed over until one is chosen, and the operator hears it at start-up."""
    tenant = seeded.tenant(runtime)
    ok(
        client.post(
            f"/v1/orgs/{tenant.org_id}/providers",
            json=twilio_api.provider_account("Our Twilio"),
            headers=tenant.auth,
        ),
        201,
    )
    worker = runtime.build_worker()
    with caplog.at_level(logging.WARNING, logger="tocsin.engine.worker"):
        asyncio.run(worker._warn_of_accounts_without_caller_id())
    [warning] = [r.getMessage() for r in caplog.records if "caller ID" in r.getMessage()]
    assert tenant.org_id in warning
    assert "'Our Twilio' has no caller ID chosen" in warning
