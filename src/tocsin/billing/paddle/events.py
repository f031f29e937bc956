"""Receiving one Paddle notification: verified, recorded once by event id, then applied.

The event row and everything the event changes are written in one transaction, so a delivery
is either wholly applied or not at all, and Paddle's redelivery of the same event id finds the
row and changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.billing.models import BillingEvent
from tocsin.billing.paddle.adjustments import apply_adjustment
from tocsin.billing.paddle.customers import apply_customer
from tocsin.billing.paddle.entities import org_for, required_text, timestamp
from tocsin.billing.paddle.subscriptions import PADDLE, PaddleContext, apply_subscription
from tocsin.billing.paddle.transactions import apply_transaction
from tocsin.core.errors import InvalidInput
from tocsin.db.base import table_of
from tocsin.db.upsert import insert_ignoring_conflicts

_EVENTS = table_of(BillingEvent)

SUBSCRIPTION_EVENTS = frozenset(
    f"subscription.{name}"
    for name in (
        "created",
        "activated",
        "updated",
        "past_due",
        "paused",
        "resumed",
        "canceled",
        "trialing",
        "imported",
    )
)
TRANSACTION_EVENTS = frozenset(
    {"transaction.paid", "transaction.completed", "transaction.payment_failed"}
)
ADJUSTMENT_EVENTS = frozenset({"adjustment.created", "adjustment.updated"})
# A customer belongs to no one organization: it is kept by its id, whoever it pays for.
CUSTOMER_EVENTS = frozenset({"customer.created", "customer.updated"})


@dataclass(frozen=True)
class Received:
    event_id: str
    result: str
    event_type: str = ""
    # The organization the event was about, if it was matched to one.
    org_id: str | None = None


def parse_event(body: bytes) -> dict[str, Any]:
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput("the notification is not JSON", code="invalid_event") from exc
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        raise InvalidInput("the notification has no data object", code="invalid_event")
    return event


def receive_event(session: Session, event: dict[str, Any], *, context: PaddleContext) -> Received:
    event_id = required_text(event, "event_id", "event")
    event_type = required_text(event, "event_type", "event")
    occurred_at = timestamp(event, "occurred_at") or context.now
    data: dict[str, Any] = event["data"]
    inserted = session.execute(
        insert_ignoring_conflicts(session, _EVENTS, on=["id"])
        .values(
            id=event_id,
            event_type=event_type,
            occurred_at=occurred_at,
            received_at=context.now,
            org_id=None,
            result="received",
            payload=event,
        )
        .returning(_EVENTS.c.id)
    ).first()
    if inserted is None:
        return Received(event_id, "duplicate", event_type)
    org_id = org_for(session, data)
    result = _apply(session, event_type, data, org_id=org_id, context=context)
    row = session.get(BillingEvent, event_id)
    if row is None:
        raise RuntimeError(f"billing event {event_id}, inserted in this transaction, is not there")
    row.org_id, row.result = org_id, result
    if result == "unmatched":
        audit.record(
            session,
            actor=PADDLE,
            action=AuditAction.BILLING_EVENT_UNMATCHED,
            at=context.now,
            target_type="billing_event",
            target_id=event_id,
            details={"event_type": event_type, "entity": data.get("id")},
        )
    return Received(event_id, result, event_type, org_id)


def _apply(
    session: Session,
    event_type: str,
    data: dict[str, Any],
    *,
    org_id: str | None,
    context: PaddleContext,
) -> str:
    if event_type in CUSTOMER_EVENTS:
        return apply_customer(session, data, context=context)
    handled = event_type in SUBSCRIPTION_EVENTS | TRANSACTION_EVENTS | ADJUSTMENT_EVENTS
    if not handled:
        return "ignored"
    if org_id is None:
        return "unmatched"
    if event_type in SUBSCRIPTION_EVENTS:
        return apply_subscription(session, data, org_id=org_id, context=context)
    if event_type in TRANSACTION_EVENTS:
        return apply_transaction(
            session, data, org_id=org_id, event_type=event_type, context=context
        )
    return apply_adjustment(session, data, org_id=org_id, context=context)
