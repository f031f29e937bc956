"""Providers hold sockets and tasks (a SIP trunk: its UDP socket, its registration refresh): one
replaced by an edit of its account, or belonging to an account disabled or deleted, is closed by
the worker that runs calls, and every provider is closed when the worker stops (issue 14,
finding 13). Before, each edit left the old trunk's socket and refresh task running."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from tests.rows import tenant_rows
from tocsin.clock import ManualClock
from tocsin.delivery import provider_accounts
from tocsin.delivery.worker import Worker, WorkerSettings
from tocsin.runtime import Runtime
from tocsin.telephony.base import CallRecord, CallRequest, Capabilities, Provider
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
    with runtime.database.write() as session:
        account = provider_accounts.create_account(
            session,
            org_id=tenant.org_id,
            kind="holding",
            name="Trunk",
            priority=1,
            settings={"label": "first"},
            credentials={},
            factory=runtime.provider_factory,
            box=runtime.credentials_box,
            context=runtime.build_context,
            now=clock.now(),
        )
        account_id = account.id

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
    with runtime.database.write() as session:
        provider_accounts.create_account(
            session,
            org_id=tenant.org_id,
            kind="holding",
            name="Trunk",
            priority=1,
            settings={"label": "trunk"},
            credentials={},
            factory=runtime.provider_factory,
            box=runtime.credentials_box,
            context=runtime.build_context,
            now=clock.now(),
        )
    worker = worker_for(runtime)

    async def scenario() -> None:
        with runtime.database.read() as session:
            worker.providers.choices_for(session, tenant.org_id)
        stop = asyncio.Event()
        stop.set()
        await asyncio.wait_for(worker.run(stop), timeout=timedelta(seconds=10).total_seconds())

    asyncio.run(scenario())
    assert HoldsASocket.closed == ["trunk"]
