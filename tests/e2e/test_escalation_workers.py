"""Escalations across worker processes: four workers on PostgreSQL under load, a worker killed in
the middle of escalations, and workers woken by LISTEN/NOTIFY rather than by their poll.

Every alert here follows the same policy: call its first contact, who never answers (so the call
is retried once), wait, then call its second contact, who presses 1. So every alert must end
acknowledged after exactly three dials, two to the first number and one to the second, each
under its own idempotency key and each key dialled once: the simulator's dials.log, which
records every dial request, duplicates included, shows any deviation.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from tests.e2e.helpers import System, TocsinProcess, verify_over_http, wait_for
from tocsin.paging.models import AttemptStatus
from tocsin.tables import Alert, CallAttempt, Escalation

pytestmark = pytest.mark.e2e

POSTGRES = os.environ.get("TOCSIN_TEST_DATABASE_URL")
SETTLED = [status.value for status in AttemptStatus if status.is_final]
# The policy's wait, in minutes (1.2 s), and the retry delay after an unanswered call.
WAIT_MINUTES = 0.02
FAST = {
    "unanswered_retry_seconds": 0.3,
    "simulator_record_audio": "false",
    # Each number is rung many times a second here; throttles would rightly spread that out.
    "voice_throttle": "",
    "voice_throttle_news": "",
    # Every alert's calls are counted one by one; bundling would read several in one call.
    "bundle_calls": "false",
    "lease_seconds": 2,
}


def first_number(index: int) -> str:
    return f"+4474005000{index:02d}"


def second_number(index: int) -> str:
    return f"+4474006000{index:02d}"


def callees(endpoints: int) -> str:
    """TOCSIN_SIMULATOR_NUMBERS: every first contact lets it ring out; the rest press 1."""
    return json.dumps({first_number(i): "no_answer" for i in range(endpoints)})


@dataclass(frozen=True)
class Escalating:
    key: str
    endpoint_ids: list[str]
    numbers: dict[str, tuple[str, str]]  # endpoint id -> (first contact, second contact)


def provision(system: System, server: TocsinProcess, endpoints: int) -> Escalating:
    org = system.cli("org", "create", "Acme Ops", "--country", "GB")
    key = system.cli(
        "key", "create", "--org", org["slug"], "--scope", "ingest", "--scope", "read",
        "--scope", "write",
    )["key"]  # fmt: skip
    endpoint_ids, numbers = [], {}
    base = f"/v1/orgs/{org['id']}"
    with httpx.Client(
        base_url=server.wait_serving(), headers={"Authorization": f"Bearer {key}"}, timeout=10
    ) as api:

        def created(path: str, body: dict[str, object]) -> str:
            response = api.post(f"{base}/{path}", json=body)
            assert response.status_code == 201, response.text
            value: str = response.json()["id"]
            return value

        for index in range(endpoints):
            first = created("contacts", {"name": f"First {index}", "phone": first_number(index)})
            second = created("contacts", {"name": f"Second {index}", "phone": second_number(index)})
            for contact_id in (first, second):
                verify_over_http(api, system, org["id"], contact_id)
            steps = [
                {"type": "call", "contact_ids": [first]},
                {"type": "wait", "minutes": WAIT_MINUTES},
                {"type": "call", "contact_ids": [second]},
            ]
            policy = created("escalations", {"name": f"Chain {index}", "steps": steps})
            rule = {"action": {"type": "call_escalation", "escalation_id": policy}}
            endpoint = created("endpoints", {"name": f"Service {index}", "rules": [rule]})
            endpoint_ids.append(endpoint)
            numbers[endpoint] = (first_number(index), second_number(index))
    return Escalating(key, endpoint_ids, numbers)


async def _send(base_url: str, setup: Escalating, per_endpoint: int) -> dict[str, str]:
    """Fire `per_endpoint` distinct alerts at every endpoint; alert id -> endpoint id."""
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
    async with httpx.AsyncClient(
        base_url=base_url, headers={"X-Alert-Key": setup.key}, limits=limits, timeout=30
    ) as client:

        async def send(endpoint_id: str, number: int) -> tuple[str, str]:
            body = {"title": f"Disk full on db{number}"}
            for attempt in range(3):
                try:
                    response = await client.post(f"/v1/hooks/{endpoint_id}", json=body)
                    break
                except httpx.TransportError:
                    # On a machine this loaded, a keep-alive connection can close just as a
                    # request goes out. A monitoring system would send again, and the title
                    # makes the second one a repeat of the first if it did arrive.
                    if attempt == 2:
                        raise
            assert response.status_code == 202, response.text
            assert (response.json()["outcome"], response.json()["calls_queued"]) in (
                ("created", 1),
                ("deduplicated", 0),
            )
            return response.json()["alert_id"], endpoint_id

        sent = await asyncio.gather(
            *(send(e, n) for e in setup.endpoint_ids for n in range(per_endpoint))
        )
    return dict(sent)


def send_alerts(base_url: str, setup: Escalating, per_endpoint: int) -> dict[str, str]:
    return asyncio.run(_send(base_url, setup, per_endpoint))


def all_acknowledged(system: System, alerts: int) -> bool:
    return (
        system.count(Alert, Alert.status == "acknowledged") == alerts
        and system.count(CallAttempt, CallAttempt.status.not_in(SETTLED)) == 0
    )


def attempts_by_alert(system: System) -> dict[str, list[CallAttempt]]:
    found: dict[str, list[CallAttempt]] = {}
    query = select(CallAttempt).order_by(CallAttempt.created_at, CallAttempt.attempt_no)
    for attempt in system.read(lambda s: list(s.scalars(query))):
        found.setdefault(attempt.alert_id, []).append(attempt)
    return found


def assert_every_alert_escalated_exactly(
    system: System, setup: Escalating, sent: dict[str, str]
) -> dict[str, list[CallAttempt]]:
    """Each alert: first number twice, second once, acknowledged by the second; every dial
    request a distinct key, and nothing dialled that no attempt row accounts for.

    A worker killed between asking the simulator and the simulator creating the call leaves a
    dial request that rang no phone; the next worker finds no call under that key, marks the
    attempt not placed and places it again. Such requests are not calls, so they are counted
    apart: what must be exact is the calls that rang a phone (the simulator's records).
    """
    dials = system.dials_by_key()
    assert dials.most_common(1)[0][1] == 1, "an attempt was dialled twice"
    by_alert = attempts_by_alert(system)
    assert set(by_alert) == set(sent)
    attempts = [a for tries in by_alert.values() for a in tries]
    assert set(dials) <= {a.idempotency_key for a in attempts}
    rang = [a for a in attempts if dials[a.idempotency_key] and a.status != "not_placed"]
    assert len(rang) == 3 * len(sent) == system.simulated_calls()
    for alert_id, endpoint_id in sent.items():
        first, second = setup.numbers[endpoint_id]
        calls = [
            (a.to_number, a.status)
            for a in by_alert[alert_id]
            if dials[a.idempotency_key] and a.status != "not_placed"
        ]
        assert calls == [(first, "no_answer"), (first, "no_answer"), (second, "answered")], alert_id
    acknowledged_by = system.read(
        lambda s: {a.id: a.acknowledged_by for a in s.scalars(select(Alert))}
    )
    assert acknowledged_by == {
        alert_id: f"simulator:{setup.numbers[endpoint_id][1]}"
        for alert_id, endpoint_id in sent.items()
    }
    statuses = system.read(lambda s: Counter(s.scalars(select(Escalation.status))))
    assert statuses == {"acknowledged": len(sent)}
    return by_alert


def pid_of(worker_id: str) -> int:
    return int(worker_id.split(":")[1])


@pytest.mark.skipif(POSTGRES is None, reason="several workers scale out on PostgreSQL")
def test_four_workers_on_postgresql_place_each_attempt_exactly_once_under_load(
    system: System,
) -> None:
    if not system.database_url.startswith("postgresql"):
        pytest.skip("this one is about PostgreSQL")
    endpoints = 10
    server = system.start_serve(worker=False)
    workers = [
        system.worker(
            f"worker-{n}", worker_concurrency=16, simulator_numbers=callees(endpoints), **FAST
        )
        for n in range(4)
    ]
    setup = provision(system, server, endpoints)
    for worker in workers:
        worker.wait_started()

    sent = send_alerts(server.base_url, setup, per_endpoint=10)
    assert len(sent) == 100
    wait_for(
        lambda: all_acknowledged(system, 100),
        timeout=90.0,
        what="every alert escalated to its second contact and acknowledged",
        interval=0.2,
    )
    by_alert = assert_every_alert_escalated_exactly(system, setup, sent)
    # The work really was shared: every worker placed calls.
    share = Counter(pid_of(a.worker_id) for tries in by_alert.values() for a in tries)
    assert set(share) == {worker.pid for worker in workers}, share
    for worker in workers:
        assert worker.running()
        assert "Traceback" not in worker.log()


def test_a_worker_killed_mid_escalation_loses_nothing(system: System) -> None:
    endpoints = 4
    server = system.start_serve(worker=False)
    # Every call rings for a second, so when A dies some calls are ringing, some escalations
    # are waiting between steps and some retries are due.
    worker_a = system.worker(
        "worker-a",
        worker_concurrency=4,
        simulator_ring_seconds=1,
        simulator_numbers=callees(endpoints),
        # An attempt A wrote but had not handed to the provider is settled once this passes.
        send_deadline_seconds=2,
        **FAST,
    )
    setup = provision(system, server, endpoints)
    worker_a.wait_started()
    sent = send_alerts(server.base_url, setup, per_endpoint=2)

    def mid_escalation() -> bool:
        ringing = system.count(CallAttempt, CallAttempt.status == AttemptStatus.IN_PROGRESS)
        on_later_steps = system.count(Escalation, Escalation.step_index >= 1)
        return ringing >= 1 and on_later_steps >= 1

    wait_for(mid_escalation, timeout=30.0, what="calls ringing while others wait", interval=0.02)
    worker_a.kill()
    assert system.count(Alert, Alert.status == "acknowledged") < len(sent)
    # What A left in the middle: attempts written, or accepted and ringing, that no one will
    # report on any more.
    in_flight = system.read(
        lambda s: {
            a.idempotency_key: a.status
            for a in s.scalars(select(CallAttempt).where(CallAttempt.status.not_in(SETTLED)))
        }
    )
    assert AttemptStatus.IN_PROGRESS in in_flight.values()

    worker_b = system.worker(
        "worker-b",
        send_deadline_seconds=2,
        retry_after_seconds=0.5,
        simulator_numbers=callees(endpoints),
        **FAST,
    )
    wait_for(
        lambda: worker_b.running() and all_acknowledged(system, len(sent)),
        timeout=45.0,
        what="worker B finishes every escalation",
        interval=0.1,
    )
    assert_every_alert_escalated_exactly(system, setup, sent)
    # B settled A's ringing calls by asking the simulator, not by dialling them again, and
    # placed the rest of every escalation itself.
    dialled = system.dials_by_key()
    dialled_by = {dial["idempotency_key"]: dial["pid"] for dial in system.dials()}
    for key, status in in_flight.items():
        if status == AttemptStatus.IN_PROGRESS:
            assert (dialled[key], dialled_by[key]) == (1, worker_a.pid), key
        else:
            assert dialled[key] <= 1, key
    assert any(dial["pid"] == worker_b.pid for dial in system.dials())
    assert "Traceback" not in worker_b.log()


@pytest.mark.skipif(POSTGRES is None, reason="LISTEN/NOTIFY is PostgreSQL's")
def test_a_worker_on_postgresql_is_woken_by_notify_not_by_its_poll(system: System) -> None:
    if not system.database_url.startswith("postgresql"):
        pytest.skip("this one is about PostgreSQL")
    server = system.start_serve(worker=False)
    # A poll a minute apart: a call within seconds can only come from a notification, and the
    # retry and the wait step are met on time because an idle worker sleeps until the next due
    # moment rather than for its whole poll.
    worker = system.worker("sleepy", worker_poll_seconds=60, simulator_numbers=callees(1), **FAST)
    setup = provision(system, server, endpoints=1)
    worker.wait_started()
    # No race with LISTEN: once listening, the worker looks for work it may have missed.
    sent = send_alerts(server.base_url, setup, per_endpoint=1)
    wait_for(
        lambda: all_acknowledged(system, 1),
        timeout=15.0,
        what="the whole escalation, well inside one poll interval",
        interval=0.05,
    )
    assert_every_alert_escalated_exactly(system, setup, sent)
