"""Reading Paddle's JSON entities, and finding the organization an entity belongs to.

Checkout passes `customData: {"tocsin_org_id": "org_..."}`; Paddle copies custom data onto the
subscription and its transactions. Entities without it (an adjustment, a transaction made in
Paddle's dashboard) are matched through the subscription, transaction or customer we already
know.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.billing.models import PaymentTransaction, Subscription
from tocsin.core.errors import InvalidInput

ORG_KEYS = ("tocsin_org_id", "org_id")


def text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def required_text(data: dict[str, Any], key: str, where: str) -> str:
    value = text(data, key)
    if value is None:
        raise InvalidInput(f"{where}.{key} is missing", code="invalid_event")
    return value


def timestamp(data: dict[str, Any] | None, key: str) -> datetime | None:
    """An RFC 3339 time as Paddle writes it (`2024-04-12T10:18:49.621022Z`)."""
    if not isinstance(data, dict):
        return None
    value = data.get(key)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            f"{key} is not an RFC 3339 time: {value!r}", code="invalid_event"
        ) from exc
    if parsed.tzinfo is None:
        raise InvalidInput(f"{key} has no time zone: {value!r}", code="invalid_event")
    return parsed


def mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def org_for(session: Session, data: dict[str, Any]) -> str | None:
    custom = mapping(data, "custom_data")
    for key in ORG_KEYS:
        org_id = text(custom, key)
        if org_id is not None and session.get(Organization, org_id) is not None:
            return org_id
    subscription_id = text(data, "subscription_id") or (
        text(data, "id") if str(data.get("id", "")).startswith("sub_") else None
    )
    if subscription_id is not None:
        known = session.get(Subscription, subscription_id)
        if known is not None:
            return known.org_id
    transaction_id = text(data, "transaction_id")
    if transaction_id is not None:
        transaction = session.get(PaymentTransaction, transaction_id)
        if transaction is not None:
            return transaction.org_id
    customer_id = text(data, "customer_id")
    if customer_id is not None:
        return session.scalar(
            select(Subscription.org_id)
            .where(Subscription.customer_id == customer_id)
            .order_by(Subscription.updated_at.desc())
            .limit(1)
        )
    return None
