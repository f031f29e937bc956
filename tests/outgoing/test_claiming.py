"""Claiming deliveries is safe to run twice at once: two workers never hold the same delivery
(SKIP LOCKED on PostgreSQL; SQLite's one writer at a time), a leased delivery is not taken
again until its lease ends, and the attempt of a worker whose lease ended is not recorded over
the one that took the delivery after it."""

from __future__ import annotations

import threading
from datetime import timedelta

from tests.outgoing.rows import deliveries, fire, subscribe
from tests.rows import tenant_rows
from tocsin.core.clock import ManualClock
from tocsin.outgoing.deliveries import Claimed, claim_due, record_attempt
from tocsin.outgoing.retries import Answer
from tocsin.runtime import Runtime

LEASE = timedelta(minutes=2)


def queued(runtime: Runtime, count: int) -> list[str]:
    tenant = tenant_rows(runtime)
    subscribe(runtime, tenant.org_id)
    for number in range(count):
        fire(runtime, tenant.endpoint_id, {"title": f"Alert {number}"})
    return [delivery.id for delivery in deliveries(runtime)]


def claim(runtime: Runtime, limit: int = 50) -> list[Claimed]:
    with runtime.database.write() as session:
        return claim_due(
            session,
            now=runtime.clock.now(),
            limit=limit,
            lease=LEASE,
            skip_locked=runtime.database.is_postgres,
        )


def test_two_workers_claiming_at_once_never_share_a_delivery(runtime: Runtime) -> None:
    ids = queued(runtime, 6)
    first_holds = threading.Event()
    second_done = threading.Event()
    got: dict[str, list[str]] = {}

    def first() -> None:
        # Holds its claim's transaction open while the second worker claims.
        with runtime.database.write() as session:
            claimed = claim_due(
                session,
                now=runtime.clock.now(),
                limit=4,
                lease=LEASE,
                skip_locked=runtime.database.is_postgres,
            )
            got["first"] = [c.id for c in claimed]
            first_holds.set()
            if runtime.database.is_postgres:
                # SKIP LOCKED: the second claims past these rows without waiting for them.
                got["second_claimed_meanwhile"] = [str(second_done.wait(20))]

    def second() -> None:
        first_holds.wait(20)
        got["second"] = [c.id for c in claim(runtime)]
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(got["first"]) == 4
    assert not set(got["first"]) & set(got["second"])
    assert sorted(got["first"] + got["second"]) == sorted(ids)
    assert claim(runtime) == []  # every one is leased now
    if runtime.database.is_postgres:
        assert got["second_claimed_meanwhile"] == ["True"]


def test_a_lease_that_ran_out_is_claimed_again_and_the_late_worker_is_not_recorded(
    runtime: Runtime, clock: ManualClock
) -> None:
    [delivery_id] = queued(runtime, 1)
    [late] = claim(runtime)
    assert claim(runtime) == []
    clock.advance(LEASE.total_seconds())
    [taken] = claim(runtime)
    assert (late.id, taken.id) == (delivery_id, delivery_id)
    assert (late.attempt, taken.attempt) == (1, 2)
    with runtime.database.write() as session:
        record_attempt(session, claimed=taken, answer=Answer(200), now=clock.now())
    with runtime.database.write() as session:
        # The worker that lost its lease hears back at last: a failure, which changes nothing.
        record_attempt(session, claimed=late, answer=Answer(500), now=clock.now())
    [delivery] = deliveries(runtime)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert [entry["status_code"] for entry in delivery.attempt_log] == [200]
