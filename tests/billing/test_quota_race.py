"""Eight workers racing for the last calls of a quota place exactly the quota, no more.

On PostgreSQL the workers really run at once (eight threads, each with its own connections,
released together by a barrier); on SQLite the same test shows that taking turns is enough.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests import seeded
from tests.billing.helpers import tiny_billing
from tests.delivery.pager import MakePager
from tests.factories import ok
from tocsin.audit.models import Notice
from tocsin.billing.models import UsageCounter
from tocsin.billing.usage import Counted, count_call
from tocsin.core.clock import ManualClock
from tocsin.engine.worker import Worker
from tocsin.paging.models import CallAttempt, CallJob, JobOutcome
from tocsin.policy.quota import CallCaps, periods_at
from tocsin.runtime import Runtime

WORKERS = 8
QUOTA = 12
ALERTS = 40


def _in_threads(count: int, work: object) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)  # type: ignore[operator]
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_eight_workers_cannot_overrun_the_monthly_quota(
    client: TestClient, runtime: Runtime, clock: ManualClock, make_pager: MakePager
) -> None:
    runtime.billing = tiny_billing(daily=1000, monthly=QUOTA)
    pager = make_pager(throttle=())
    # One contact per alert, so nothing but the quota holds calls back.
    endpoints = [pager.endpoint(pager.contact(f"C{n}")) for n in range(2)]
    for n in range(ALERTS):
        pager.fire(endpoints[n % 2], {"title": f"Service {n} down"})

    workers = [
        Worker(
            runtime.database,
            pager.simulator,
            clock=clock,
            # One call per alert: bundling would read several alerts in one call.
            settings=replace(pager.settings, bundle_calls=False),
            worker_id=f"worker-{n}",
        )
        for n in range(WORKERS)
    ]
    errors = _in_threads(WORKERS, lambda n: asyncio.run(workers[n].run_until_idle()))
    assert not errors, errors

    with runtime.database.read() as session:
        placed = session.scalar(select(func.count()).select_from(CallAttempt))
        outcomes = Counter(session.scalars(select(CallJob.outcome)))
        month = session.scalars(select(UsageCounter.calls).where(UsageCounter.label == "2026-01"))
        exhausted = session.scalar(
            select(func.count()).select_from(Notice).where(Notice.kind == "quota_exhausted")
        )
        by_worker = Counter(session.scalars(select(CallAttempt.worker_id)))
    assert placed == QUOTA
    assert len(pager.calls()) == QUOTA
    assert outcomes[JobOutcome.OVER_QUOTA.value] == ALERTS - QUOTA
    assert list(month) == [QUOTA]
    assert exhausted == 1
    if runtime.database.is_postgres:
        # The race was real: more than one worker placed calls.
        assert len(by_worker) > 1, by_worker
    usage = ok(client.get(f"{pager.org}/usage", headers=pager.auth))
    assert (usage["month"]["calls"], usage["calls_left"]) == (QUOTA, 0)


def test_concurrent_counting_transactions_stop_exactly_at_the_cap(runtime: Runtime) -> None:
    org_id = seeded.person(runtime, email="race@example.com").org_id
    caps = CallCaps(monthly_calls=25, daily_calls=1000, monthly_spend_cents=10_000, cost_cents=1)
    periods = periods_at(datetime(2026, 1, 5, tzinfo=UTC), "UTC")
    granted: list[int] = []
    lock = threading.Lock()

    def count_many(_index: int) -> None:
        for _ in range(10):
            with runtime.database.write() as session:
                result = count_call(session, org_id=org_id, caps=caps, periods=periods)
            if isinstance(result, Counted):
                with lock:
                    granted.append(result.left)

    errors = _in_threads(WORKERS, count_many)
    assert not errors, errors
    assert len(granted) == 25
    # Each grant saw its own count: the numbers left are 24, 23, ... 0, each exactly once.
    assert sorted(granted) == list(range(25))
