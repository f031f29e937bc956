"""Issue 19's acceptance: outgoing webhooks are received by a real HTTPS server with a valid
signature, and retried after a 500; with what else a receiver may answer (a redirect, 410 Gone,
429 and Retry-After, any other 4xx, silence), and the retry schedule to its end.

The receiver (tests/outgoing/receiver.py) checks each signature with its own implementation of
Standard Webhooks (https://www.standardwebhooks.com, spec 1.0.0: `webhook-id`,
`webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import ok
from tests.outgoing.conftest import send
from tests.outgoing.receiver import Answer, Receiver
from tests.outgoing.rows import deliveries, fire, subscribe, subscription
from tests.rows import RowTenant, tenant_rows
from tocsin.audit.models import AuditEvent, Notice
from tocsin.core.clock import ManualClock
from tocsin.engine.webhooks import deliver_webhooks
from tocsin.engine.worker import Worker
from tocsin.outgoing import retries
from tocsin.outgoing.sender import SenderSettings
from tocsin.runtime import Runtime

DISK_FULL = {"title": "Disk full on db1", "severity": "critical"}


def subscribed(runtime: Runtime, receiver: Receiver) -> tuple[RowTenant, str]:
    """A tenant whose webhook points at the receiver, which knows its secret; the webhook's id."""
    tenant = tenant_rows(runtime)
    made = subscribe(runtime, tenant.org_id, url=receiver.url(), policy=receiver.policy)
    receiver.secrets = [made.secret]
    return tenant, made.subscription.id


def test_a_real_https_receiver_gets_a_signed_event_and_it_is_retried_after_a_500(
    runtime: Runtime,
    receiver: Receiver,
    worker: Worker,
    clock: ManualClock,
    client: TestClient,
) -> None:
    tenant, webhook_id = subscribed(runtime, receiver)
    receiver.answer(500, 200)
    alert_id = fire(runtime, tenant.endpoint_id, DISK_FULL).alert_id
    started = clock.now()

    assert send(worker) == 1
    [delivery] = deliveries(runtime)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at is not None
    wait = delivery.next_attempt_at - started
    assert timedelta(seconds=30) <= wait <= timedelta(seconds=37.5)  # the first retry's wait

    clock.advance(29)
    assert send(worker) == 0  # not due yet
    clock.advance(wait.total_seconds() - 29)
    assert send(worker) == 1
    [delivery] = deliveries(runtime)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)

    first, second = receiver.received
    for got in (first, second):
        assert got.signed_with == receiver.secrets[0]  # checked by the receiver's own HMAC
        assert got.timestamp_fresh
        assert got.path == "/tocsin"
        assert got.headers["content-type"] == "application/json"
        assert got.headers["host"] == f"{receiver.host}:{receiver.port}"
        assert got.headers["user-agent"].startswith("Tocsin-Webhooks/")
    # One event: the same id and body on each attempt, each attempt's own time signed.
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.event_id
    assert first.body == second.body
    stamps = [int(got.headers["webhook-timestamp"]) for got in (first, second)]
    assert stamps == [int(started.timestamp()), int(clock.now().timestamp())]
    sent = json.loads(first.body)
    assert sent["type"] == "alert.created"
    assert sent["timestamp"] == "2026-01-01T00:00:00Z"
    alert = sent["data"]["alert"]
    assert (alert["id"], alert["title"], alert["severity"], alert["status"]) == (
        alert_id,
        "Disk full on db1",
        "critical",
        "open",
    )
    assert alert["endpoint_id"] == tenant.endpoint_id
    assert alert["url"] == f"http://tocsin.test/o/{tenant.org_id}/alerts/{alert_id}"

    # The delivery log shows both attempts, with the receiver's status codes.
    log = ok(
        client.get(
            f"/v1/orgs/{tenant.org_id}/webhooks/{webhook_id}/deliveries", headers=tenant.auth
        )
    )
    [entry] = log["items"]
    assert entry["status"] == "delivered"
    assert [attempt["status_code"] for attempt in entry["attempt_log"]] == [500, 200]
    assert entry["attempt_log"][0]["error"] == "the receiver answered 500"
    assert entry["attempt_log"][1]["error"] is None
    health = subscription(runtime, webhook_id)
    assert (health.failing_since, health.last_delivered_at) == (None, clock.now())


def test_a_redirect_is_never_followed_and_fails_the_delivery(
    runtime: Runtime, receiver: Receiver, worker: Worker, clock: ManualClock
) -> None:
    tenant, _ = subscribed(runtime, receiver)
    receiver.answer(Answer(307, {"Location": receiver.url("/elsewhere")}))
    fire(runtime, tenant.endpoint_id, DISK_FULL)
    send(worker)
    clock.advance(3600)
    send(worker)
    assert [got.path for got in receiver.received] == ["/tocsin"]
    [delivery] = deliveries(runtime)
    assert delivery.status == "failed"
    assert delivery.last_error is not None
    assert "redirect" in delivery.last_error


def test_410_gone_disables_the_webhook_and_tells_the_owners(
    runtime: Runtime, receiver: Receiver, worker: Worker
) -> None:
    tenant, webhook_id = subscribed(runtime, receiver)
    receiver.answer(410)
    fire(runtime, tenant.endpoint_id, DISK_FULL)
    send(worker)
    gone = subscription(runtime, webhook_id)
    assert not gone.enabled
    assert gone.disabled_reason is not None
    assert "410" in gone.disabled_reason
    with runtime.database.read() as session:
        kinds = list(session.scalars(select(Notice.kind).where(Notice.org_id == tenant.org_id)))
        disabled = session.scalars(
            select(AuditEvent.actor_type).where(AuditEvent.action == "webhook.disabled")
        ).all()
    assert "webhook_disabled" in kinds
    assert disabled == ["engine"]
    fire(runtime, tenant.endpoint_id, {"title": "Another"})
    assert len(deliveries(runtime)) == 1  # a disabled webhook is written nothing


@pytest.mark.parametrize(
    ("retry_after", "waited"),
    [
        ("600", timedelta(minutes=10)),
        ("86400", retries.MAX_RETRY_AFTER),  # honoured only up to an hour
        ("Thu, 01 Jan 2026 00:20:00 GMT", timedelta(minutes=20)),  # an HTTP date
    ],
)
def test_429_waits_as_long_as_retry_after_asks_within_bounds(
    runtime: Runtime,
    receiver: Receiver,
    worker: Worker,
    clock: ManualClock,
    retry_after: str,
    waited: timedelta,
) -> None:
    tenant, _ = subscribed(runtime, receiver)
    receiver.answer(Answer(429, {"Retry-After": retry_after}))
    fire(runtime, tenant.endpoint_id, DISK_FULL)
    send(worker)
    [delivery] = deliveries(runtime)
    assert delivery.status == "pending"
    assert delivery.next_attempt_at == clock.now() + waited


def test_a_4xx_fails_at_once_and_the_owners_are_told(
    runtime: Runtime, receiver: Receiver, worker: Worker, clock: ManualClock
) -> None:
    tenant, webhook_id = subscribed(runtime, receiver)
    receiver.answer(400, 404)
    fire(runtime, tenant.endpoint_id, DISK_FULL)
    fire(runtime, tenant.endpoint_id, {"title": "CPU hot"})
    send(worker)
    clock.advance(86400)
    assert send(worker) == 0
    assert len(receiver.received) == 2
    assert [d.status for d in deliveries(runtime)] == ["failed", "failed"]
    with runtime.database.read() as session:
        notices = session.scalars(select(Notice).where(Notice.kind == "webhook_failing")).all()
    assert len(notices) == 1  # once for the run of failures, not once per delivery
    assert "Chat relay" in notices[0].message
    assert subscription(runtime, webhook_id).enabled


def test_a_receiver_that_does_not_answer_in_time_is_tried_again(
    runtime: Runtime, receiver: Receiver, clock: ManualClock
) -> None:
    tenant, _ = subscribed(runtime, receiver)
    receiver.answer(Answer(200, hold=threading.Event()))
    fire(runtime, tenant.endpoint_id, DISK_FULL)
    settings = SenderSettings(
        box=runtime.webhook_box,
        base_url="http://tocsin.test",
        hosts=receiver.policy,
        tls=receiver.tls,
        seconds=0.5,
    )
    asyncio.run(deliver_webhooks(runtime.database, settings=settings, clock=clock))
    [delivery] = deliveries(runtime)
    assert delivery.status == "pending"
    assert delivery.last_status_code is None
    assert delivery.last_error == "no answer within 0.5 seconds"


def test_nothing_listening_is_a_connection_error_tried_again(
    runtime: Runtime, receiver: Receiver, worker: Worker
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free, and nothing listens there once closed
    tenant = tenant_rows(runtime)
    url = f"https://{receiver.host}:{port}/tocsin"
    subscribe(runtime, tenant.org_id, url=url, policy=receiver.policy)
    fire(runtime, tenant.endpoint_id, DISK_FULL)
    send(worker)
    [delivery] = deliveries(runtime)
    assert delivery.status == "pending"
    assert delivery.last_error is not None
    assert delivery.last_error.startswith("could not connect")


def test_a_receiver_failing_every_time_is_tried_on_the_schedule_then_given_up(
    runtime: Runtime, receiver: Receiver, worker: Worker, clock: ManualClock
) -> None:
    tenant, webhook_id = subscribed(runtime, receiver)
    receiver.answer(*[503] * retries.MAX_ATTEMPTS)
    fire(runtime, tenant.endpoint_id, DISK_FULL)
    waits = []
    send(worker)
    for _ in retries.SCHEDULE:
        [delivery] = deliveries(runtime)
        assert delivery.status == "pending"
        assert delivery.next_attempt_at is not None
        wait = delivery.next_attempt_at - clock.now()
        waits.append(wait)
        clock.advance(wait.total_seconds())
        assert send(worker) == 1
    [delivery] = deliveries(runtime)
    assert (delivery.status, delivery.attempts) == ("gave_up", retries.MAX_ATTEMPTS)
    assert delivery.next_attempt_at is None
    assert len(receiver.received) == retries.MAX_ATTEMPTS == 9
    # 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, each up to a quarter longer.
    for wait, scheduled in zip(waits, retries.SCHEDULE, strict=True):
        assert scheduled <= wait <= scheduled * 1.25
    jitters = {wait / scheduled for wait, scheduled in zip(waits, retries.SCHEDULE, strict=True)}
    assert len(jitters) > 1
    assert [entry["status_code"] for entry in delivery.attempt_log] == [503] * 9
    with runtime.database.read() as session:
        told = session.scalars(select(Notice.kind).where(Notice.org_id == tenant.org_id)).all()
    assert told == ["webhook_failing"]
    assert subscription(runtime, webhook_id).enabled  # 15 hours of failures: not yet disabled


def test_a_webhook_failing_for_five_days_is_disabled_and_its_waiting_deliveries_given_up(
    runtime: Runtime, receiver: Receiver, worker: Worker, clock: ManualClock
) -> None:
    tenant, webhook_id = subscribed(runtime, receiver)
    receiver.answer(*[500] * 5)
    fire(runtime, tenant.endpoint_id, DISK_FULL)
    send(worker)
    assert subscription(runtime, webhook_id).failing_since == clock.now()
    clock.advance(timedelta(days=5).total_seconds())
    fire(runtime, tenant.endpoint_id, {"title": "Still broken"})
    fire(runtime, tenant.endpoint_id, {"title": "And this"})
    # One round claims the three due; the first failure to be recorded disables the webhook.
    send(worker)
    stopped = subscription(runtime, webhook_id)
    assert not stopped.enabled
    assert stopped.disabled_reason is not None
    assert "5 days" in stopped.disabled_reason
    statuses = {d.status for d in deliveries(runtime)}
    assert statuses == {"gave_up"}
    with runtime.database.read() as session:
        told = set(session.scalars(select(Notice.kind).where(Notice.org_id == tenant.org_id)))
        stops = session.scalars(
            select(AuditEvent.id).where(AuditEvent.action == "webhook.disabled")
        ).all()
    assert "webhook_disabled" in told
    assert len(stops) == 1  # the attempts recorded after it find the webhook stopped already
    clock.advance(86400)
    assert send(worker) == 0
