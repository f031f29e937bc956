"""The one way an alert's change reaches outgoing webhooks: `alert_changed`, called in the
transaction that changes the alert (accepting it, closing it, moving its escalation on), so a
delivery is written exactly when the change commits, and never without it (an outbox).

It sits on the paging path, so it stays cheap: an organization with no subscription for the
event costs one indexed query, and nothing more is read (the alert is read only when some
subscription wants it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, true
from sqlalchemy.orm import Session

from tocsin.core.ids import new_id
from tocsin.db.base import table_of
from tocsin.db.statements import run
from tocsin.endpoints.models import Endpoint
from tocsin.outgoing.body import AlertFacts, alert_body
from tocsin.outgoing.models import AlertEvent, DeliveryStatus, WebhookDelivery, WebhookSubscription

_SUBSCRIPTIONS = table_of(WebhookSubscription)
# Built once: this runs for every new alert.
_ENABLED = select(
    _SUBSCRIPTIONS.c.id,
    _SUBSCRIPTIONS.c.events,
    _SUBSCRIPTIONS.c.endpoint_id,
    _SUBSCRIPTIONS.c.project_id,
).where(_SUBSCRIPTIONS.c.org_id == bindparam("org_id"), _SUBSCRIPTIONS.c.enabled == true())
_INSERT_DELIVERY = insert(table_of(WebhookDelivery))

AlertSource = AlertFacts | Callable[[], AlertFacts]


def alert_changed(
    session: Session,
    *,
    org_id: str,
    alert: AlertSource,
    event: AlertEvent,
    now: datetime,
    details: Mapping[str, Any] | None = None,
) -> int:
    """Write a delivery of `event` for each enabled subscription of the organization that
    chose it and whose filter (endpoint, project) the alert passes; returns how many.

    `alert` is the alert as it is after the change, or a function that reads it, called only
    when a subscription wants the event. `details` go into the body's `data` beside it."""
    wanted = [row for row in run(session, _ENABLED, {"org_id": org_id}) if event in row.events]
    if not wanted:
        return 0
    facts = alert() if callable(alert) else alert
    project_id = None
    if any(row.project_id is not None for row in wanted):
        project_id = session.scalar(
            select(Endpoint.project_id).where(Endpoint.id == facts.endpoint_id)
        )
    matching = [
        row.id
        for row in wanted
        if row.endpoint_id in (None, facts.endpoint_id) and row.project_id in (None, project_id)
    ]
    if not matching:
        return 0
    body = alert_body(session, facts, event, now=now, details=details)
    event_id = new_id("evt")
    session.execute(
        _INSERT_DELIVERY,
        [
            {
                "id": new_id("whd"),
                "org_id": org_id,
                "subscription_id": subscription_id,
                "event_id": event_id,
                "event_type": event.type,
                "alert_id": facts.id,
                "body": body,
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "attempt_log": [],
                "created_at": now,
                "updated_at": now,
            }
            for subscription_id in matching
        ],
    )
    return len(matching)
