"""Outgoing webhooks written straight to the database, for tests whose subject is not the API:
a subscription made by the command the API calls, alerts accepted by the intake command the
webhook route calls, and the delivery log read back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from tocsin.cli.common import CLI_ACTOR
from tocsin.core.actors import Actor
from tocsin.endpoints.queries import find_route
from tocsin.formats.parse import parse_alert
from tocsin.intake.accept import IngestResult, accept_alert
from tocsin.outgoing import commands
from tocsin.outgoing.commands import WithSecret
from tocsin.outgoing.models import (
    AlertEvent,
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from tocsin.outgoing.urls import vet
from tocsin.runtime import Runtime
from tocsin.telephony.hosts import HostPolicy

EVERY_EVENT = tuple(event.value for event in AlertEvent)
PUBLIC_ADDRESS = "93.184.216.34"


def public_hosts() -> HostPolicy:
    """Every name resolves to one public address: subscriptions are accepted, and nothing is
    ever sent (these tests run no delivery round)."""
    return HostPolicy(resolver=lambda host, port: [PUBLIC_ADDRESS])


def subscribe(
    runtime: Runtime,
    org_id: str,
    *,
    url: str = "https://hooks.example.com/tocsin",
    events: Sequence[str] = EVERY_EVENT,
    endpoint_id: str | None = None,
    project_id: str | None = None,
    policy: HostPolicy | None = None,
    name: str = "Chat relay",
) -> WithSecret:
    vetted = vet(policy or public_hosts(), url)
    with runtime.database.write() as session:
        return commands.create_subscription(
            session,
            org_id=org_id,
            name=name,
            url=vetted,
            events=events,
            endpoint_id=endpoint_id,
            project_id=project_id,
            box=runtime.webhook_box,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )


def fire(runtime: Runtime, endpoint_id: str, payload: dict[str, Any]) -> IngestResult:
    """An alert sent to the endpoint, accepted as the webhook route accepts it."""
    with runtime.database.write() as session:
        route = find_route(session, endpoint_id)
        assert route is not None
        parsed = parse_alert(
            body=json.dumps(payload).encode(),
            content_type="application/json",
            query=[],
            form=None,
        )
        return accept_alert(
            session,
            endpoint=route,
            parsed=parsed,
            actor=Actor("endpoint", endpoint_id),
            now=runtime.clock.now(),
        )


def deliveries(runtime: Runtime, *, org_id: str | None = None) -> list[WebhookDelivery]:
    """The delivery log, oldest first."""
    with runtime.database.read() as session:
        query = select(WebhookDelivery).order_by(WebhookDelivery.id)
        if org_id is not None:
            query = query.where(WebhookDelivery.org_id == org_id)
        found = list(session.scalars(query))
        session.expunge_all()
        return found


def events(runtime: Runtime, *, org_id: str | None = None) -> list[tuple[str, str | None]]:
    """(event type, alert id) of every delivery, oldest first."""
    return [(d.event_type, d.alert_id) for d in deliveries(runtime, org_id=org_id)]


def subscription(runtime: Runtime, webhook_id: str) -> WebhookSubscription:
    with runtime.database.read() as session:
        found = session.get(WebhookSubscription, webhook_id)
        assert found is not None
        session.expunge(found)
        return found


def finished_delivery(runtime: Runtime, org_id: str, webhook_id: str) -> str:
    """A test delivery of the webhook that has finished (failed, as a receiver answering 400
    leaves it), so it may be sent again; its id."""
    with runtime.database.write() as session:
        delivery = commands.send_test(
            session, org_id=org_id, webhook_id=webhook_id, actor=CLI_ACTOR, now=runtime.clock.now()
        )
        delivery.status = DeliveryStatus.FAILED.value
        delivery.attempts = 1
        delivery.next_attempt_at = None
        delivery.last_status_code = 400
        delivery.last_error = "the receiver refused it with 400"
        delivery_id: str = delivery.id
        return delivery_id
