"""Reading an organization's webhook subscriptions and their delivery log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.core.errors import InvalidInput, NotFound
from tocsin.core.pagination import Page, paginate
from tocsin.outgoing.models import DeliveryStatus, WebhookDelivery, WebhookSubscription


def list_subscriptions(session: Session, *, org_id: str) -> list[WebhookSubscription]:
    return list(
        session.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.org_id == org_id)
            .order_by(WebhookSubscription.name, WebhookSubscription.id)
        )
    )


def get_subscription(
    session: Session, *, org_id: str, webhook_id: str, lock: bool = False
) -> WebhookSubscription:
    """`lock`: under the row lock an UPDATE takes, for a change (the worker recording a
    delivery takes it too, so the two take turns)."""
    subscription = session.get(
        WebhookSubscription, webhook_id, with_for_update={"key_share": True} if lock else None
    )
    if subscription is None or subscription.org_id != org_id:
        raise NotFound("no webhook with this id", code="webhook_not_found")
    return subscription


def deliveries_page(
    session: Session,
    *,
    org_id: str,
    webhook_id: str,
    limit: int,
    cursor: str | None,
    status: str | None = None,
) -> Page[WebhookDelivery]:
    """A subscription's deliveries, newest first; `status` keeps those in one state."""
    get_subscription(session, org_id=org_id, webhook_id=webhook_id)
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == webhook_id)
    if status is not None:
        if status not in {member.value for member in DeliveryStatus}:
            raise InvalidInput(f"no delivery status {status!r}", code="invalid_status")
        query = query.where(WebhookDelivery.status == status)
    return paginate(
        session, query, WebhookDelivery.id, limit=limit, cursor=cursor, newest_first=True
    )


def get_delivery(
    session: Session, *, org_id: str, webhook_id: str, delivery_id: str
) -> WebhookDelivery:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.org_id != org_id or delivery.subscription_id != webhook_id:
        raise NotFound("no delivery with this id", code="delivery_not_found")
    return delivery
