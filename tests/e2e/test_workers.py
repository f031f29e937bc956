"""Several worker processes on one database, and workers killed mid-call or mid-dial.

The promise under test is the design's reliability rule: at most one call per attempt and no
alert lost, whatever the workers do. The simulator's dials.log has one line per dial request it
received, duplicates included, so it shows any alert that was dialled twice.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

import httpx
import pytest
from sqlalchemy import select

from tests.e2e.helpers import System, Tenant, TocsinProcess, provision, wait_for
from tocsin.paging.models import AttemptStatus, JobStatus
from tocsin.tables import Alert, CallAttempt, CallJob

pytestmark = pytest.mark.e2e

SETTLED = [status.value for status in AttemptStatus if status.is_final]
IN_FLIGHT = 20


async def _send(base_url: str, tenant: Tenant, alerts: Sequence[tuple[str, str]]) -> list[str]:
    """POST each (endpoint id, title) as a critical alert, IN_FLIGHT at a time; the alert ids."""
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    async with httpx.AsyncClient(
        base_url=base_url, headers=tenant.headers, limits=limits, timeout=30.0
    ) as client:

        async def send(endpoint_id: str, title: str) -> str:
            response = await client.post(
                f"/v1/hooks/{endpoint_id}", json={"title": title, "severity": "critical"}
            )
            assert response.status_code == 202, response.text
            assert response.json()["outcome"] == "created"
            alert_id: str = response.json()["alert_id"]
            return alert_id

        return await asyncio.gather(*(send(endpoint, title) for endpoint, title in alerts))


def send_alerts(base_url: str, tenant: Tenant, per_endpoint: int) -> list[str]:
    alerts = [
        (endpoint_id, f"Disk full on db{number} behind {endpoint_id}")
        for endpoint_id in tenant.endpoint_ids
        for number in range(per_endpoint)
    ]
    return asyncio.run(_send(base_url, tenant, alerts))


def all_settled(system: System, alerts: int) -> bool:
    """Every alert's job is done and its last attempt is over."""
    return (
        system.count(CallJob, CallJob.status == JobStatus.DONE) == alerts
        and system.count(CallAttempt, CallAttempt.status.not_in(SETTLED)) == 0
    )


def pid_of(worker_id: str) -> int:
    """Worker ids are host:pid:random."""
    return int(worker_id.split(":")[1])


def attempts_by_alert(system: System) -> dict[str, list[CallAttempt]]:
    attempts: dict[str, list[CallAttempt]] = {}
    query = select(CallAttempt).order_by(CallAttempt.attempt_no)
    for attempt in system.read(lambda s: list(s.scalars(query))):
        attempts.setdefault(attempt.alert_id, []).append(attempt)
    return attempts


def test_two_workers_place_exactly_one_call_per_alert(system: System) -> None:
    # Ten alerts ring each number here; per-number throttles would rightly spread them out,
    # and bundling would read several in one call: this counts one call per alert.
    quiet = {
        "simulator_record_audio": "false",
        "worker_concurrency": 16,
        "voice_throttle": "",
        "voice_throttle_news": "",
        "bundle_calls": "false",
    }
    server = system.start_serve(worker=False)
    workers = [system.worker(f"worker-{name}", **quiet) for name in "ab"]
    tenant = provision(system, server, endpoints=10)
    for worker in workers:
        worker.wait_started()

    alert_ids = send_alerts(server.base_url, tenant, per_endpoint=10)
    assert len(set(alert_ids)) == 100
    wait_for(
        lambda: all_settled(system, 100),
        timeout=45.0,
        what="every alert has a settled call",
        interval=0.1,
    )

    assert system.count(Alert) == 100
    attempts = attempts_by_alert(system)
    assert set(attempts) == set(alert_ids)
    assert {alert: len(tries) for alert, tries in attempts.items() if len(tries) != 1} == {}
    calls = [tries[0] for tries in attempts.values()]
    assert Counter(call.status for call in calls) == {AttemptStatus.ANSWERED: 100}
    assert system.count(Alert, Alert.status == "acknowledged") == 100

    dials = system.dials_by_key()
    assert sum(dials.values()) == 100
    assert dials.most_common(1)[0][1] == 1
    assert set(dials) == {call.idempotency_key for call in calls}
    # Each endpoint's 10 alerts rang its own contact's phone, and nobody else's.
    numbers = Counter(dial["to"] for dial in system.dials())
    assert numbers == Counter({phone: 10 for phone in tenant.phones.values()})

    # Both processes took a share: claims really were concurrent, not one worker doing it all.
    share = Counter(pid_of(call.worker_id) for call in calls)
    assert set(share) == {worker.pid for worker in workers}, share


def test_sigkilled_worker_loses_nothing_and_dials_nothing_twice(system: System) -> None:
    short_lease = {
        "lease_seconds": 2,
        "simulator_record_audio": "false",
        "voice_throttle": "",
        "voice_throttle_news": "",
        "bundle_calls": "false",
    }
    server = system.start_serve(worker=False)
    # Worker A takes six calls at a time, and each callee lets the phone ring for 30 s.
    worker_a = system.worker(
        "worker-a", simulator_ring_seconds=30, worker_concurrency=6, **short_lease
    )
    tenant = provision(system, server, endpoints=5)
    worker_a.wait_started()
    alert_ids = send_alerts(server.base_url, tenant, per_endpoint=2)

    def ringing() -> bool:
        return system.count(CallAttempt, CallAttempt.status == AttemptStatus.IN_PROGRESS) == 6

    wait_for(ringing, timeout=15.0, what="worker A has six calls ringing", interval=0.05)
    assert system.simulated_calls() == 6

    # Worker C takes the other four, but its dial requests never reach the provider.
    with system.provider_unreachable():
        worker_c = system.worker(
            "worker-c", worker_concurrency=4, send_deadline_seconds=2, **short_lease
        )

        def stuck() -> bool:
            return system.count(CallAttempt, CallAttempt.status == AttemptStatus.SENDING) == 4

        wait_for(stuck, timeout=15.0, what="worker C has written four attempts", interval=0.05)
        worker_a.kill()
        worker_c.kill()

    # The dead held all ten jobs: A's calls are ringing, C's attempts were never placed.
    assert system.count(CallJob, CallJob.status == JobStatus.LEASED) == 10
    assert system.simulated_calls() == 6
    assert sum(system.dials_by_key().values()) == 6

    worker_b = system.worker(
        "worker-b", send_deadline_seconds=2, retry_after_seconds=0.5, **short_lease
    )
    wait_for(
        lambda: worker_b.running() and all_settled(system, 10),
        timeout=20.0,
        what="worker B settles every alert",
        interval=0.1,
    )

    assert system.count(Alert, Alert.status == "acknowledged") == 10
    attempts = attempts_by_alert(system)
    assert set(attempts) == set(alert_ids)
    dialled = system.dials_by_key()
    dialled_by = {dial["idempotency_key"]: dial["pid"] for dial in system.dials()}
    assert dialled.most_common(1)[0][1] == 1
    # Every alert rang its phone exactly once in all: ten dial requests for ten alerts.
    assert sum(dialled.values()) == 10
    assert all(
        sum(dialled[attempt.idempotency_key] for attempt in tries) == 1
        for tries in attempts.values()
    )
    # A's calls were settled by B asking the provider, not by dialling them again.
    by_a = [tries for tries in attempts.values() if pid_of(tries[0].worker_id) == worker_a.pid]
    assert len(by_a) == 6
    for [call] in by_a:
        assert (call.status, call.digits) == ("answered", "1")
        assert dialled_by[call.idempotency_key] == worker_a.pid
    # C's attempts were closed as never placed once their deadline passed, and B placed each
    # call again under a new idempotency key.
    by_c = [tries for tries in attempts.values() if pid_of(tries[0].worker_id) == worker_c.pid]
    assert len(by_c) == 4
    for orphan, retry in by_c:
        assert (orphan.status, orphan.error_code) == ("not_placed", "not_placed")
        assert dialled[orphan.idempotency_key] == 0
        assert (retry.status, retry.digits) == ("answered", "1")
        assert retry.idempotency_key != orphan.idempotency_key
        assert dialled_by[retry.idempotency_key] == worker_b.pid
    assert_survived(worker_b)


def assert_survived(process: TocsinProcess) -> None:
    assert process.running()
    assert "Traceback" not in process.log()
