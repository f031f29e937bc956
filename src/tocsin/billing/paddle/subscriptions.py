"""Subscription events: what the subscription is now, and the plan that gives its organization.

Every subscription event carries the whole subscription, so one function applies them all; an
event older than the state we hold (Paddle does not promise order) changes nothing.

- active, past_due: the paid plan. A cancellation the customer asked for is a scheduled change;
  the plan runs to its effective time (the end of the period paid for) and then falls back,
  even if the `canceled` event is late.
- trialing: the trial plan, if the billing entity has not had a trial before.
- paused, canceled: back to the default plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.billing.commands import check_claims_during_trial, record_plan_change, start_trial
from tocsin.billing.models import Subscription
from tocsin.billing.paddle.entities import mapping, required_text, text, timestamp
from tocsin.billing.standing import BillingConfig
from tocsin.billing.trials import ClaimKind, claim, trial_of
from tocsin.core.actors import Actor

PADDLE = Actor("paddle")
PAID_STATUSES = frozenset({"active", "past_due"})
ENDED_STATUSES = frozenset({"paused", "canceled"})


@dataclass(frozen=True)
class PaddleContext:
    billing: BillingConfig
    price_plans: dict[str, str]
    digest_key: bytes
    now: datetime


def _first_price(data: dict[str, Any]) -> dict[str, Any]:
    items = data.get("items")
    if isinstance(items, list) and items and isinstance(items[0], dict):
        return mapping(items[0], "price")
    return {}


def _trial_end(data: dict[str, Any]) -> datetime | None:
    items = data.get("items")
    if isinstance(items, list) and items and isinstance(items[0], dict):
        ends = timestamp(mapping(items[0], "trial_dates"), "ends_at")
        if ends is not None:
            return ends
    return timestamp(data, "next_billed_at")


def plan_for_price(price: dict[str, Any], context: PaddleContext) -> str | None:
    code = text(mapping(price, "custom_data"), "tocsin_plan")
    price_id = text(price, "id")
    if code is None and price_id is not None:
        code = context.price_plans.get(price_id)
    if code is None or code not in context.billing.catalog:
        return None
    return code


def apply_subscription(
    session: Session, data: dict[str, Any], *, org_id: str, context: PaddleContext
) -> str:
    subscription_id = required_text(data, "id", "data")
    status = required_text(data, "status", "data")
    updated_at = timestamp(data, "updated_at") or context.now
    subscription = session.get(Subscription, subscription_id, with_for_update=True)
    if subscription is not None and updated_at < subscription.source_updated_at:
        return "stale"
    price = _first_price(data)
    plan = plan_for_price(price, context)
    period = mapping(data, "current_billing_period")
    scheduled = mapping(data, "scheduled_change")
    if subscription is None:
        subscription = Subscription(id=subscription_id, org_id=org_id, created_at=context.now)
        session.add(subscription)
    subscription.customer_id = text(data, "customer_id")
    subscription.status = status
    subscription.plan = plan
    subscription.price_id = text(price, "id")
    subscription.period_starts_at = timestamp(period, "starts_at")
    subscription.period_ends_at = timestamp(period, "ends_at")
    subscription.cancel_at = (
        timestamp(scheduled, "effective_at") if scheduled.get("action") == "cancel" else None
    )
    subscription.canceled_at = timestamp(data, "canceled_at")
    links = mapping(data, "management_urls")
    subscription.cancel_url = text(links, "cancel")
    subscription.update_payment_url = text(links, "update_payment_method")
    subscription.source_updated_at = updated_at
    subscription.updated_at = context.now
    session.flush()

    org = session.get(Organization, subscription.org_id, with_for_update=True)
    if org is None:
        return "unmatched"
    if subscription.customer_id is not None:
        check_claims_during_trial(
            session,
            org_id=org.id,
            claims=[
                claim(ClaimKind.CUSTOMER, subscription.customer_id, digest_key=context.digest_key)
            ],
            billing=context.billing,
            actor=PADDLE,
            now=context.now,
        )
    if plan is None and status not in ENDED_STATUSES:
        audit.record(
            session,
            actor=PADDLE,
            action=AuditAction.BILLING_UNKNOWN_PRICE,
            at=context.now,
            org_id=org.id,
            target_type="subscription",
            target_id=subscription.id,
            details={"price_id": subscription.price_id},
        )
        return "ignored"
    _give_plan(session, org, subscription, data, context)
    return "applied"


def _give_plan(
    session: Session,
    org: Organization,
    subscription: Subscription,
    data: dict[str, Any],
    context: PaddleContext,
) -> None:
    before = (org.plan, org.plan_ends_at)
    status = subscription.status
    if status in PAID_STATUSES and subscription.plan is not None:
        org.plan = subscription.plan
        org.plan_ends_at = subscription.cancel_at
        if status == "past_due":
            _tell(
                session,
                org,
                "payment_past_due",
                subscription,
                "The last payment failed; Paddle will try again. Calls go on meanwhile.",
                context,
            )
    elif status == "trialing":
        _trial(session, org, subscription, data, context)
    elif status in ENDED_STATUSES:
        org.plan = context.billing.default_plan
        org.plan_ends_at = None
        _tell(
            session,
            org,
            f"subscription_{status}",
            subscription,
            f"The subscription is {status}; the organization is on the "
            f"{context.billing.catalog.get_plan(org.plan).name} plan now.",
            context,
        )
    record_plan_change(
        session, org=org, before=before, actor=PADDLE, now=context.now, subscription=subscription
    )


def _trial(
    session: Session,
    org: Organization,
    subscription: Subscription,
    data: dict[str, Any],
    context: PaddleContext,
) -> None:
    ends_at = _trial_end(data)
    existing = trial_of(session, org.id)
    if existing is not None:
        # A trial ended early (its claims were another trial's) does not come back.
        if existing.source == "paddle" and existing.ended_at is None and ends_at is not None:
            existing.ends_at = ends_at
            org.plan_ends_at = ends_at
        return
    answer = start_trial(
        session,
        org_id=org.id,
        billing=context.billing,
        digest_key=context.digest_key,
        actor=PADDLE,
        now=context.now,
        source="paddle",
        ends_at=ends_at,
        subscription_id=subscription.id,
    )
    if answer.refusal is not None:
        _tell(
            session,
            org,
            "trial_refused",
            subscription,
            f"No free trial: {answer.refusal.message}. The plan starts when the first payment "
            "is made.",
            context,
        )


def _tell(
    session: Session,
    org: Organization,
    kind: str,
    subscription: Subscription,
    message: str,
    context: PaddleContext,
) -> None:
    period = subscription.period_starts_at.isoformat() if subscription.period_starts_at else ""
    tell_owners(
        session,
        org_id=org.id,
        kind=kind,
        period=f"{subscription.id}:{period}",
        message=message,
        now=context.now,
        actor=PADDLE,
        details={"subscription_id": subscription.id},
    )
