"""Operations on an organization's outgoing webhooks: subscribe, change, rotate the secret,
delete, queue a test event, deliver one event again. Each checks, changes and audits in the
caller's transaction; the worker sends what they queue (outgoing/deliveries.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput
from tocsin.core.ids import new_id
from tocsin.core.names import clean_name
from tocsin.core.secretbox import SecretBox
from tocsin.endpoints.queries import get_endpoint
from tocsin.oncall.projects import get_project
from tocsin.outgoing import signing
from tocsin.outgoing.body import ping_body
from tocsin.outgoing.models import (
    TEST_EVENT,
    AlertEvent,
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from tocsin.outgoing.queries import get_delivery, get_subscription
from tocsin.outgoing.urls import VettedUrl
from tocsin.restrictions.blocks import require_writable

# Each event of an organization is written once per subscription in the transaction that
# changes the alert, so their number is bounded.
MAX_SUBSCRIPTIONS = 20
# After a rotation the old secret signs too, this long, so a receiver can switch over.
PREVIOUS_SECRET_KEPT = timedelta(hours=24)


class Keep(Enum):
    """A field `update_subscription` leaves as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class WithSecret:
    """A subscription and its signing secret, in the one answer that shows the secret."""

    subscription: WebhookSubscription
    secret: str


def events_of(values: Sequence[str]) -> list[str]:
    """The events chosen, in AlertEvent's order; InvalidInput (`invalid_events`) for none or
    one Tocsin does not send."""
    chosen = set(values)
    unknown = sorted(chosen - {event.value for event in AlertEvent})
    if unknown or not chosen:
        known = ", ".join(event.value for event in AlertEvent)
        raise InvalidInput(
            f"events: choose one or more of {known}"
            + (f"; not {', '.join(unknown)}" if unknown else ""),
            code="invalid_events",
        )
    return [event.value for event in AlertEvent if event.value in chosen]


def create_subscription(
    session: Session,
    *,
    org_id: str,
    name: str,
    url: VettedUrl,
    events: Sequence[str],
    endpoint_id: str | None,
    project_id: str | None,
    box: SecretBox,
    actor: Actor,
    now: datetime,
) -> WithSecret:
    """A subscription with a new secret, enabled, to a URL vetted before the transaction
    (`outgoing.urls.vet`: https, a host that resolves only to public addresses)."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    count = session.scalar(
        select(func.count())
        .select_from(WebhookSubscription)
        .where(WebhookSubscription.org_id == org_id)
    )
    if (count or 0) >= MAX_SUBSCRIPTIONS:
        raise Conflict(
            f"an organization has at most {MAX_SUBSCRIPTIONS} webhooks", code="too_many_webhooks"
        )
    secret = signing.new_secret()
    subscription = WebhookSubscription(
        id=new_id("whk"),
        org_id=org_id,
        name=clean_name(name),
        url=url.url,
        secret_sealed=box.seal({"secret": secret}),
        events=events_of(events),
        endpoint_id=_endpoint(session, org_id, endpoint_id),
        project_id=_project(session, org_id, project_id),
        enabled=True,
        created_by=f"{actor.type}:{actor.id}" if actor.id else actor.type,
        created_at=now,
        updated_at=now,
    )
    session.add(subscription)
    session.flush()
    _record(session, AuditAction.WEBHOOK_CREATED, subscription, actor, now)
    return WithSecret(subscription, secret)


def update_subscription(
    session: Session,
    *,
    org_id: str,
    webhook_id: str,
    actor: Actor,
    now: datetime,
    name: str | Keep = KEEP,
    url: VettedUrl | Keep = KEEP,
    events: Sequence[str] | Keep = KEEP,
    endpoint_id: str | Keep | None = KEEP,
    project_id: str | Keep | None = KEEP,
    enabled: bool | Keep = KEEP,
) -> WebhookSubscription:
    """Change what is given. Disabling gives up the deliveries still waiting; enabling again
    starts afresh (the server's reason for disabling it, if any, is cleared)."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    subscription = get_subscription(session, org_id=org_id, webhook_id=webhook_id, lock=True)
    changed: list[str] = []
    if not isinstance(name, Keep):
        subscription.name = clean_name(name)
        changed.append("name")
    if not isinstance(url, Keep):
        subscription.url = url.url
        changed.append("url")
    if not isinstance(events, Keep):
        subscription.events = events_of(events)
        changed.append("events")
    if not isinstance(endpoint_id, Keep):
        subscription.endpoint_id = _endpoint(session, org_id, endpoint_id)
        changed.append("endpoint_id")
    if not isinstance(project_id, Keep):
        subscription.project_id = _project(session, org_id, project_id)
        changed.append("project_id")
    if not isinstance(enabled, Keep) and enabled != subscription.enabled:
        subscription.enabled = enabled
        changed.append("enabled")
        if enabled:
            subscription.disabled_reason = None
            subscription.failing_since = None
        else:
            give_up_waiting(session, subscription.id, "the webhook was disabled", now)
    subscription.updated_at = now
    session.flush()
    _record(session, AuditAction.WEBHOOK_UPDATED, subscription, actor, now, changed=changed)
    return subscription


def rotate_secret(
    session: Session,
    *,
    org_id: str,
    webhook_id: str,
    box: SecretBox,
    actor: Actor,
    now: datetime,
) -> WithSecret:
    """A new secret, shown this once; the old one signs too for `PREVIOUS_SECRET_KEPT`, each
    delivery then carrying both signatures (Standard Webhooks' zero-downtime rotation)."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    subscription = get_subscription(session, org_id=org_id, webhook_id=webhook_id, lock=True)
    secret = signing.new_secret()
    subscription.previous_secret_sealed = subscription.secret_sealed
    subscription.previous_secret_until = now + PREVIOUS_SECRET_KEPT
    subscription.secret_sealed = box.seal({"secret": secret})
    subscription.updated_at = now
    _record(
        session,
        AuditAction.WEBHOOK_SECRET_ROTATED,
        subscription,
        actor,
        now,
        previous_until=subscription.previous_secret_until.isoformat(),
    )
    return WithSecret(subscription, secret)


def delete_subscription(
    session: Session, *, org_id: str, webhook_id: str, actor: Actor, now: datetime
) -> None:
    """Gone, with its delivery log."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    subscription = get_subscription(session, org_id=org_id, webhook_id=webhook_id, lock=True)
    _record(session, AuditAction.WEBHOOK_DELETED, subscription, actor, now)
    session.delete(subscription)


def send_test(
    session: Session, *, org_id: str, webhook_id: str, actor: Actor, now: datetime
) -> WebhookDelivery:
    """Queue a `webhook.test` event for the subscription, sent as any other (within seconds)
    and logged with them."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    subscription = _enabled(session, org_id, webhook_id)
    delivery = _queue(
        session,
        subscription,
        event_id=new_id("evt"),
        event_type=TEST_EVENT,
        alert_id=None,
        body=ping_body(subscription_id=subscription.id, name=subscription.name, now=now),
        now=now,
    )
    _record(
        session, AuditAction.WEBHOOK_TEST_QUEUED, subscription, actor, now, delivery_id=delivery.id
    )
    return delivery


def redeliver(
    session: Session,
    *,
    org_id: str,
    webhook_id: str,
    delivery_id: str,
    actor: Actor,
    now: datetime,
) -> WebhookDelivery:
    """Send a finished delivery's event again, as a new delivery with the same body and
    `webhook-id` (so a receiver that has it already can tell). Conflict while it is still
    being tried (`delivery_in_progress`)."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    subscription = _enabled(session, org_id, webhook_id)
    original = get_delivery(session, org_id=org_id, webhook_id=webhook_id, delivery_id=delivery_id)
    if not DeliveryStatus(original.status).is_final:
        raise Conflict(
            "this delivery is still being tried; it can be sent again once it has finished",
            code="delivery_in_progress",
        )
    delivery = _queue(
        session,
        subscription,
        event_id=original.event_id,
        event_type=original.event_type,
        alert_id=original.alert_id,
        body=original.body,
        now=now,
    )
    _record(
        session,
        AuditAction.WEBHOOK_REDELIVERY_QUEUED,
        subscription,
        actor,
        now,
        delivery_id=delivery.id,
        of=original.id,
    )
    return delivery


def give_up_waiting(session: Session, subscription_id: str, reason: str, now: datetime) -> None:
    """The subscription stopped: its deliveries waiting or in flight end as given up (a
    worker in the middle of one still records what the receiver answered)."""
    session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == subscription_id,
            WebhookDelivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
        )
        .values(
            status=DeliveryStatus.GAVE_UP.value,
            next_attempt_at=None,
            last_error=reason,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )


def _enabled(session: Session, org_id: str, webhook_id: str) -> WebhookSubscription:
    subscription = get_subscription(session, org_id=org_id, webhook_id=webhook_id, lock=True)
    if not subscription.enabled:
        raise Conflict("the webhook is disabled; enable it first", code="webhook_disabled")
    return subscription


def _queue(
    session: Session,
    subscription: WebhookSubscription,
    *,
    event_id: str,
    event_type: str,
    alert_id: str | None,
    body: dict[str, Any],
    now: datetime,
) -> WebhookDelivery:
    delivery = WebhookDelivery(
        id=new_id("whd"),
        org_id=subscription.org_id,
        subscription_id=subscription.id,
        event_id=event_id,
        event_type=event_type,
        alert_id=alert_id,
        body=body,
        status=DeliveryStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        attempt_log=[],
        created_at=now,
        updated_at=now,
    )
    session.add(delivery)
    session.flush()
    return delivery


def _endpoint(session: Session, org_id: str, endpoint_id: str | None) -> str | None:
    if endpoint_id is None:
        return None
    return get_endpoint(session, org_id=org_id, endpoint_id=endpoint_id).id


def _project(session: Session, org_id: str, project_id: str | None) -> str | None:
    if project_id is None:
        return None
    return get_project(session, org_id=org_id, project_id=project_id).id


def host_of(url: str) -> str:
    """The host alone: the rest of a webhook's URL is often a secret of its own (a chat
    service's incoming-webhook URL is its credential)."""
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


def _record(
    session: Session,
    action: AuditAction,
    subscription: WebhookSubscription,
    actor: Actor,
    now: datetime,
    **extra: Any,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        at=now,
        org_id=subscription.org_id,
        target_type="webhook",
        target_id=subscription.id,
        details={
            "name": subscription.name,
            "host": host_of(subscription.url),
            "events": subscription.events,
            "enabled": subscription.enabled,
            **extra,
        },
    )
