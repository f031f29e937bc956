"""Providers hold sockets and tasks (a SIP trunk: its UDP socket, its registration refresh): one
replaced by an edit of its account, or belonging to an account disabled or deleted, is closed by
the worker that runs calls, and every provider is closed when the worker stops (issue 14,
finding 13). Before, each edit left the old trunk's socket and refresh task running."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.rows import provider_account, tenant_rows
from tocsin.audit.log import SYSTEM
from tocsin.core.actors import Actor
from tocsin.core.clock import ManualClock
from tocsin.endpoints.queries import find_route
from tocsin.engine.settings import WorkerSettings
from tocsin.engine.snapshot import AttemptSnapshot
from tocsin.engine.worker import Worker
from tocsin.formats.parse import parse_alert
from tocsin.intake.accept import accept_alert
from tocsin.paging.models import Alert, AttemptStatus, CallAttempt
from tocsin.providers import commands as provider_accounts
from tocsin.runtime import Runtime
from tocsin.safety import ScreeningContext
from tocsin.telephony.base import CallRecord, CallRequest, Capabilities, Provider, ProviderError
from tocsin.telephony.factory import BuildContext


class HoldsASocket:
    """A provider that owns something to let go of; it never places a call."""

    name = "holding"
    capabilities = Capabilities()
    closed: list[str] = []

    def __init__(self, label: str) -> None:
        self.label = label

    async def dial(self, request: CallRequest) -> Any:
        raise AssertionError("not dialled in these tests")

    async def lookup(self, idempotency_key: str) -> CallRecord | None:
        return None

    async def close(self) -> None:
        HoldsASocket.closed.append(self.label)


def build_holding(
    settings: Mapping[str, Any], credentials: Mapping[str, Any], context: BuildContext
) -> Provider:
    return HoldsASocket(str(settings["label"]))


def worker_for(runtime: Runtime) -> Worker:
    return Worker(
        runtime.database,
        runtime.provider_directory(),
        clock=runtime.clock,
        settings=WorkerSettings(),
    )


def test_an_edited_disabled_or_deleted_account_has_its_old_provider_closed(
    runtime: Runtime, clock: ManualClock
) -> None:
    runtime.provider_factory.register("holding", build_holding)
    HoldsASocket.closed = []
    tenant = tenant_rows(runtime)
    worker = worker_for(runtime)
    account_id = provider_account(runtime, tenant.org_id, "holding", settings={"label": "first"})

    def chain_labels() -> list[str]:
        with runtime.database.read() as session:
            chain = worker.providers.choices_for(session, tenant.org_id)
        return [getattr(choice.provider, "label", "") for choice in chain.choices]

    async def scenario() -> None:
        assert chain_labels() == ["first"]
        await worker.close_retired()
        assert HoldsASocket.closed == []

        clock.advance(1)
        with runtime.database.write() as session:
            provider_accounts.update_account(
                session,
                org_id=tenant.org_id,
                account_id=account_id,
                factory=runtime.provider_factory,
                box=runtime.credentials_box,
                context=runtime.build_context,
                actor=SYSTEM,
                now=clock.now(),
                settings={"label": "second"},
            )
        assert chain_labels() == ["second"]
        await worker.close_retired()
        assert HoldsASocket.closed == ["first"]

        clock.advance(1)
        with runtime.database.write() as session:
            provider_accounts.update_account(
                session,
                org_id=tenant.org_id,
                account_id=account_id,
                factory=runtime.provider_factory,
                box=runtime.credentials_box,
                context=runtime.build_context,
                actor=SYSTEM,
                now=clock.now(),
                enabled=False,
            )
        chain_labels()
        await worker.close_retired()
        assert HoldsASocket.closed == ["first", "second"]
        await worker.close_retired()  # each is closed once
        assert HoldsASocket.closed == ["first", "second"]

    asyncio.run(scenario())


def test_a_stopping_worker_closes_every_provider_it_built(
    runtime: Runtime, clock: ManualClock
) -> None:
    runtime.provider_factory.register("holding", build_holding)
    HoldsASocket.closed = []
    tenant = tenant_rows(runtime)
    provider_account(runtime, tenant.org_id, "holding", settings={"label": "trunk"})
    worker = worker_for(runtime)

    async def scenario() -> None:
        with runtime.database.read() as session:
            worker.providers.choices_for(session, tenant.org_id)
        stop = asyncio.Event()
        stop.set()
        await asyncio.wait_for(worker.run(stop), timeout=timedelta(seconds=10).total_seconds())

    asyncio.run(scenario())
    assert HoldsASocket.closed == ["trunk"]


class SlowThenRefuses:
    """A provider that takes 40 s (of the test's clock) to say it placed nothing, as a trunk
    that never answers does after SIP timer B."""

    name = "slow"
    # Simulated like the simulator it is tried before, so the two may share a chain.
    capabilities = Capabilities(simulated=True)

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock

    async def dial(self, request: CallRequest) -> Any:
        self.clock.advance(40)
        raise ProviderError(
            "timer B", retry_safe=True, user_message="The trunk did not answer.", code="sip_timeout"
        )

    async def lookup(self, idempotency_key: str) -> CallRecord | None:
        return None


def test_each_account_tried_gets_a_sending_deadline_of_its_own(
    runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    """Before: the 30 s deadline was the attempt's, so a dead first trunk used it up and the
    second account was never tried ("deadline passed")."""
    runtime.provider_factory.register("slow", lambda s, c, ctx: SlowThenRefuses(clock))
    tenant = tenant_rows(runtime)
    provider_account(runtime, tenant.org_id, "slow", priority=1)
    provider_account(
        runtime, tenant.org_id, "simulator", priority=2, settings={"record_audio": False}
    )
    with runtime.database.write() as session:
        result = accept_alert(
            session,
            endpoint=find_route(session, tenant.endpoint_id),  # type: ignore[arg-type]
            parsed=parse_alert(
                body=b'{"title": "Disk full"}', content_type="application/json", query=[]
            ),
            actor=Actor("test"),
            now=clock.now(),
        )
    asyncio.run(worker_for(runtime).run_until_idle())
    with runtime.database.read() as session:
        [attempt] = session.scalars(select(CallAttempt)).all()
        alert = session.get(Alert, result.alert_id)
    assert (attempt.status, attempt.provider) == ("answered", "simulator")
    assert alert is not None
    assert alert.status == "acknowledged"


def test_a_redirect_is_followed_only_to_a_number_tocsin_would_call() -> None:
    snapshot = AttemptSnapshot(
        attempt_id="att_1",
        job_id="job_1",
        org_id="org_1",
        provider_account_id=None,
        platform_provider=None,
        idempotency_key="job_1/1",
        to_number="+447400123456",
        caller_id="+447400000001",
        spoken_text="x",
        status=AttemptStatus.SENDING,
        sending_deadline=ManualClock().now(),
        accepted_at=None,
        screening=ScreeningContext(home_region="GB"),
    )
    assert snapshot.may_be_redirected_to("+447400654321")
    assert not snapshot.may_be_redirected_to("+449098790000")  # premium rate
    assert not snapshot.may_be_redirected_to("+12025550123")  # abroad, not enabled
    assert not snapshot.may_be_redirected_to("999")
    assert not replace(snapshot, screening=None).may_be_redirected_to("+447400654321")
