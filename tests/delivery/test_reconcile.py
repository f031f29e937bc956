"""Settling attempts a worker left unfinished: by asking the provider, never by blind re-dialling.

Each test runs real `Worker`s in process with a ManualClock. Worker A "dies" when its event loop
ends under it (asyncio.run cancels its tasks mid-dial, as SIGKILL would stop them), or gives up
on a provider that does not answer in time; worker B then finds A's attempt row.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import seeded
from tests.factories import alert_dials, ok
from tocsin.core.clock import ManualClock
from tocsin.engine.settings import WorkerSettings
from tocsin.engine.worker import Worker
from tocsin.paging.models import Alert, CallAttempt, CallJob
from tocsin.routing.steps import PagingDefaults
from tocsin.runtime import Runtime
from tocsin.telephony.base import (
    CallHandle,
    CallRecord,
    CallRequest,
    Capabilities,
    Provider,
    ProviderError,
)
from tocsin.telephony.simulator import SimulatorProvider

LEASE = timedelta(seconds=10)
SEND_DEADLINE = timedelta(seconds=30)
RETRY_AFTER = timedelta(seconds=20)
UNANSWERED_RETRY = timedelta(minutes=2)


class NeverReaches:
    """A provider whose dial never gets to the telephone network: it hangs until cancelled."""

    name = "simulator"
    capabilities = Capabilities(lookup_by_idempotency_key=True)

    def __init__(self) -> None:
        self.dialling = asyncio.Event()

    async def dial(self, request: CallRequest) -> CallHandle:
        self.dialling.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def lookup(self, idempotency_key: str) -> CallRecord | None:
        return None


class AcceptsButNeverReplies:
    """A provider that places the call but whose answer to the dial request never arrives."""

    name = "simulator"
    capabilities = Capabilities(lookup_by_idempotency_key=True)

    def __init__(self, simulator: SimulatorProvider) -> None:
        self.simulator = simulator

    async def dial(self, request: CallRequest) -> CallHandle:
        await self.simulator.dial(request)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def lookup(self, idempotency_key: str) -> CallRecord | None:
        return await self.simulator.lookup(idempotency_key)


class CannotTell:
    """A provider that fails in a way that does not say whether a call was placed."""

    name = "simulator"
    capabilities = Capabilities(lookup_by_idempotency_key=True)

    def __init__(self) -> None:
        self.dialled: list[str] = []

    async def dial(self, request: CallRequest) -> CallHandle:
        self.dialled.append(request.idempotency_key)
        raise ProviderError(
            "connection reset after the request was sent",
            retry_safe=False,
            code="network",
            user_message="The provider did not confirm the call.",
        )

    async def lookup(self, idempotency_key: str) -> CallRecord | None:
        return None


def make_worker(
    runtime: Runtime,
    provider: Provider,
    clock: ManualClock,
    name: str,
    send_deadline: timedelta = SEND_DEADLINE,
) -> Worker:
    settings = WorkerSettings(
        lease=LEASE,
        send_deadline=send_deadline,
        retry_after=RETRY_AFTER,
        unanswered_retry_after=UNANSWERED_RETRY,
        max_attempts=3,
    )
    return Worker(runtime.database, provider, clock=clock, settings=settings, worker_id=name)


def simulator(data_dir: Path, clock: ManualClock) -> SimulatorProvider:
    return SimulatorProvider(data_dir, clock=clock, record_audio=False)


def fire(client: TestClient, runtime: Runtime) -> str:
    tenant = seeded.tenant(runtime)
    response = client.post(
        f"/v1/hooks/{tenant.endpoint_id}",
        headers=tenant.alert_key,
        json={"title": "Disk full on db1", "severity": "critical"},
    )
    alert_id: str = ok(response, 202)["alert_id"]
    return alert_id


def attempts_of(runtime: Runtime, alert_id: str) -> tuple[Alert, list[CallAttempt]]:
    with runtime.database.read() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        rows = session.scalars(
            select(CallAttempt)
            .where(CallAttempt.alert_id == alert_id)
            .order_by(CallAttempt.attempt_no)
        )
        return alert, list(rows)


def job_status(runtime: Runtime, alert_id: str) -> str:
    with runtime.database.read() as session:
        status = session.scalar(select(CallJob.status).where(CallJob.alert_id == alert_id))
        assert status is not None
        return status


def dialled_keys(provider: SimulatorProvider) -> list[str]:
    return [dial["idempotency_key"] for dial in alert_dials(provider.root)]


def test_worker_killed_before_the_provider_got_its_dial_is_replaced_by_a_new_attempt(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    alert_id = fire(client, runtime)
    never = NeverReaches()
    worker_a = make_worker(runtime, never, clock, "worker-a")

    async def a_starts_dialling_and_dies() -> None:
        assert len((await worker_a.look_for_work()).job_ids) == 1
        await asyncio.wait_for(never.dialling.wait(), timeout=5)
        # Returning ends the loop: asyncio.run cancels A's call task in the middle of dial().

    asyncio.run(a_starts_dialling_and_dies())
    _, [orphan] = attempts_of(runtime, alert_id)
    assert orphan.status == "sending"  # committed before dialling, as the design requires

    provider = simulator(data_dir, clock)
    worker_b = make_worker(runtime, provider, clock, "worker-b")
    assert asyncio.run(worker_b.run_until_idle()) == 0  # A's lease still holds
    clock.advance(LEASE.total_seconds() + 1)
    asyncio.run(worker_b.run_until_idle())
    # A might still be about to dial until the sending deadline, so B only looks.
    assert dialled_keys(provider) == []
    assert [row.status for row in attempts_of(runtime, alert_id)[1]] == ["sending"]

    clock.advance(SEND_DEADLINE.total_seconds())
    asyncio.run(worker_b.run_until_idle())
    _, rows = attempts_of(runtime, alert_id)
    assert [(row.status, row.error_code) for row in rows] == [("not_placed", "not_placed")]
    assert dialled_keys(provider) == []  # not retried before the retry delay

    clock.advance(RETRY_AFTER.total_seconds() + 1)
    asyncio.run(worker_b.run_until_idle())
    alert, rows = attempts_of(runtime, alert_id)
    assert [(row.attempt_no, row.status) for row in rows] == [(1, "not_placed"), (2, "answered")]
    assert rows[1].idempotency_key != orphan.idempotency_key
    assert dialled_keys(provider) == [rows[1].idempotency_key]
    assert alert.status == "acknowledged"


def test_dial_that_outlived_its_deadline_is_settled_by_lookup_not_redialled(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    alert_id = fire(client, runtime)
    provider = simulator(data_dir, clock)
    # A gives the provider 50 ms (real time, as asyncio.wait_for counts it) to accept the call.
    slow = AcceptsButNeverReplies(provider)
    worker_a = make_worker(runtime, slow, clock, "worker-a", send_deadline=timedelta(seconds=0.05))
    asyncio.run(worker_a.run_until_idle())
    _, [attempt] = attempts_of(runtime, alert_id)
    assert attempt.status == "sending"
    assert job_status(runtime, alert_id) == "awaiting"  # let go until the deadline
    assert dialled_keys(provider) == [attempt.idempotency_key]

    worker_b = make_worker(runtime, provider, clock, "worker-b")
    clock.advance(1)
    asyncio.run(worker_b.run_until_idle())
    alert, [attempt] = attempts_of(runtime, alert_id)
    assert (attempt.status, attempt.digits, alert.status) == ("answered", "1", "acknowledged")
    assert dialled_keys(provider) == [attempt.idempotency_key]


def test_dial_failure_that_may_have_placed_a_call_is_never_redialled_only_retried_as_unanswered(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    runtime.paging = PagingDefaults(rounds=1)  # one pass: this is about one step's calls
    alert_id = fire(client, runtime)
    provider = CannotTell()
    worker = make_worker(runtime, provider, clock, "worker-a")
    asyncio.run(worker.run_until_idle())
    alert, [attempt] = attempts_of(runtime, alert_id)
    assert (attempt.status, attempt.error_code) == ("failed", "outcome_unknown")
    # The attempt is over for good. Nobody pressed a key, so like a call nobody answered the
    # contact is called once more, as a new attempt, but not before the unanswered-retry delay.
    clock.advance(UNANSWERED_RETRY.total_seconds() - 1)
    assert asyncio.run(worker.run_until_idle()) == 0
    clock.advance(2)
    assert asyncio.run(worker.run_until_idle()) == 1
    alert, rows = attempts_of(runtime, alert_id)
    assert [(row.attempt_no, row.error_code) for row in rows] == [
        (1, "outcome_unknown"),
        (2, "outcome_unknown"),
    ]
    assert provider.dialled == [rows[0].idempotency_key, rows[1].idempotency_key]
    clock.advance(3600)
    assert asyncio.run(worker.run_until_idle()) == 0  # one retry, then the step is over
    assert job_status(runtime, alert_id) == "done"
    assert alert.status == "open"  # nobody acknowledged it: it stays visible


def test_orphan_on_a_provider_that_cannot_be_asked_is_failed_not_redialled(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    alert_id = fire(client, runtime)
    never = NeverReaches()
    never.capabilities = Capabilities(lookup_by_idempotency_key=False)
    worker_a = make_worker(runtime, never, clock, "worker-a")

    async def a_starts_dialling_and_dies() -> None:
        assert len((await worker_a.look_for_work()).job_ids) == 1
        await asyncio.wait_for(never.dialling.wait(), timeout=5)

    asyncio.run(a_starts_dialling_and_dies())
    provider = simulator(data_dir, clock)
    provider.capabilities = Capabilities(lookup_by_idempotency_key=False)
    worker_b = make_worker(runtime, provider, clock, "worker-b")
    clock.advance(LEASE.total_seconds() + SEND_DEADLINE.total_seconds() + 1)
    asyncio.run(worker_b.run_until_idle())
    _, [attempt] = attempts_of(runtime, alert_id)
    assert (attempt.status, attempt.error_code) == ("failed", "outcome_unknown")
    assert dialled_keys(provider) == []
    # Later the contact is called again under a new key; the orphan's key is never dialled.
    clock.advance(UNANSWERED_RETRY.total_seconds())
    asyncio.run(worker_b.run_until_idle())
    alert, [orphan, retry] = attempts_of(runtime, alert_id)
    assert dialled_keys(provider) == [retry.idempotency_key]
    assert orphan.idempotency_key != retry.idempotency_key
    assert (retry.status, alert.status) == ("answered", "acknowledged")
