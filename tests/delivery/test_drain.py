"""A worker told to stop (SIGTERM) claims nothing more, lets the calls it runs end for at most
TOCSIN_SHUTDOWN_GRACE_SECONDS, then leaves the ones still running to the next worker, which
settles them by asking the provider and never dials them again (issue 20: a SIP call can ring
45 s and talk 120 s; Kubernetes gives a pod 30 s).

Calls here end when the test says (an asyncio.Event), never after a sleep: a call that ends
only once the stop has been asked proves the worker waited for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import seeded
from tests.delivery.test_reconcile import attempts_of, dialled_keys, job_status, simulator
from tests.factories import Tenant, ok
from tocsin.core.clock import ManualClock
from tocsin.engine.settings import WorkerSettings
from tocsin.engine.worker import Worker
from tocsin.paging.models import CallJob
from tocsin.runtime import Runtime
from tocsin.telephony.base import (
    CallEvent,
    CallEventKind,
    CallHandle,
    CallRecord,
    CallRequest,
    Capabilities,
)
from tocsin.telephony.simulator import SimulatorProvider

LEASE = timedelta(seconds=10)


class LongCall:
    """The simulator's calls, answered at once but going on until `ends` is set (for good when
    it is None), as a call rings and talks for minutes; the simulator keeps each call's record,
    so a worker can look it up by idempotency key."""

    name = "simulator"
    capabilities = Capabilities(lookup_by_idempotency_key=True)

    def __init__(self, simulator: SimulatorProvider, ends: asyncio.Event | None) -> None:
        self.simulator, self.ends = simulator, ends
        # Set as each call is under way; `under_way` counts them.
        self.talking = asyncio.Event()
        self.under_way = 0

    async def dial(self, request: CallRequest) -> CallHandle:
        call = await self.simulator.dial(request)
        record = await self.simulator.lookup(request.idempotency_key)
        assert record is not None
        return _Talking(call.provider_call_id, record.events, self)

    async def lookup(self, idempotency_key: str) -> CallRecord | None:
        return await self.simulator.lookup(idempotency_key)


class _Talking:
    def __init__(self, call_id: str, events: tuple[CallEvent, ...], provider: LongCall) -> None:
        self.provider_call_id = call_id
        self._events, self._provider = events, provider

    async def events(self) -> AsyncIterator[CallEvent]:
        answered = [e for e in self._events if e.kind != CallEventKind.COMPLETED]
        for event in answered:
            yield event
        self._provider.under_way += 1
        self._provider.talking.set()
        await (self._provider.ends or asyncio.Event()).wait()
        yield self._events[-1]

    async def hangup(self) -> None:
        pass


def worker(
    runtime: Runtime, provider: object, clock: ManualClock, *, grace: float, concurrency: int = 8
) -> Worker:
    settings = WorkerSettings(
        lease=LEASE, shutdown_grace=timedelta(seconds=grace), concurrency=concurrency
    )
    return Worker(
        runtime.database,
        provider,  # type: ignore[arg-type]
        clock=clock,
        settings=settings,
        worker_id=f"worker-{grace}",
    )


def fire(client: TestClient, tenant: Tenant) -> str:
    answer = client.post(
        f"/v1/hooks/{tenant.endpoint_id}",
        headers={"X-Alert-Key": tenant.ingest_key},
        json={"title": "Disk full on db1", "severity": "critical"},
    )
    alert_id: str = ok(answer, 202)["alert_id"]
    return alert_id


async def stop_while_talking(delivery: Worker, provider: LongCall, stop: asyncio.Event) -> None:
    """Run the worker until its call is under way, ask it to stop, and wait until it has."""
    running = asyncio.create_task(delivery.run(stop))
    await asyncio.wait_for(provider.talking.wait(), timeout=10)
    stop.set()
    await asyncio.wait_for(running, timeout=10)


def test_a_stopping_worker_lets_its_call_end_within_the_grace(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    alert_id = fire(client, seeded.tenant(runtime))

    async def scenario() -> None:
        stop = asyncio.Event()
        # The call ends only once the worker has been asked to stop.
        provider = LongCall(simulator(data_dir, clock), ends=stop)
        await stop_while_talking(worker(runtime, provider, clock, grace=60), provider, stop)

    asyncio.run(scenario())
    alert, [attempt] = attempts_of(runtime, alert_id)
    assert (attempt.status, attempt.digits) == ("answered", "1")
    assert alert.status == "acknowledged"


def test_a_stopping_worker_claims_nothing_more(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    first = fire(client, seeded.tenant(runtime, phone="+447400123456"))
    second = fire(client, seeded.tenant(runtime, phone="+447400123457"))

    async def scenario() -> None:
        stop = asyncio.Event()
        provider = LongCall(simulator(data_dir, clock), ends=stop)
        # One call at a time: the second alert's call waits for the first one's slot, which
        # frees only after the stop.
        delivery = worker(runtime, provider, clock, grace=60, concurrency=1)
        await stop_while_talking(delivery, provider, stop)

    asyncio.run(scenario())
    placed = [alert for alert in (first, second) if attempts_of(runtime, alert)[1]]
    assert len(placed) == 1
    waiting = second if placed == [first] else first
    assert job_status(runtime, waiting) == "pending"


def test_a_call_still_running_at_the_end_of_the_grace_is_settled_by_the_next_worker_not_redialled(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    alert_id = fire(client, seeded.tenant(runtime))
    calls = simulator(data_dir, clock)

    async def scenario() -> None:
        stop = asyncio.Event()
        provider = LongCall(calls, ends=None)  # still talking when the grace is over
        await stop_while_talking(worker(runtime, provider, clock, grace=0), provider, stop)

    asyncio.run(scenario())
    _, [attempt] = attempts_of(runtime, alert_id)
    # Left as it was: accepted by the provider, its job still leased by the stopped worker.
    assert attempt.status == "in_progress"
    assert job_status(runtime, alert_id) == "leased"

    next_worker = worker(runtime, calls, clock, grace=25)
    assert asyncio.run(next_worker.run_until_idle()) == 0  # the lease still holds
    clock.advance(LEASE.total_seconds() + 1)
    asyncio.run(next_worker.run_until_idle())
    alert, [settled] = attempts_of(runtime, alert_id)
    # Asked of the provider by its idempotency key: the call had been answered and acknowledged.
    assert (settled.id, settled.status, settled.digits) == (attempt.id, "answered", "1")
    assert alert.status == "acknowledged"
    assert dialled_keys(calls) == [attempt.idempotency_key]
    with runtime.database.read() as session:
        statuses = session.scalars(select(CallJob.status).where(CallJob.alert_id == alert_id))
        assert list(statuses) == ["done"]
