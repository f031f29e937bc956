"""The subscriptions a termination ends: asked for in the termination's transaction, carried
out afterwards through Paddle's API by the worker (engine/subscription_endings.py), and asked
again, later each time, until Paddle confirms. Recording each outcome (audit, staff note) is
`trust.terminations`; this module keeps the rows."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.billing.models import Subscription, SubscriptionCancellation
from tocsin.core.ids import new_id

PENDING = "pending"
DONE = "done"
# Paddle's statuses of a subscription that still bills, or could bill again.
LIVE_STATUSES = frozenset({"active", "trialing", "past_due", "paused"})

FIRST_RETRY = timedelta(minutes=5)
LONGEST_WAIT = timedelta(hours=6)
BATCH = 20


def request_cancellations(
    session: Session, *, org_id: str, action_id: str, now: datetime
) -> list[SubscriptionCancellation]:
    """A pending cancellation for each of the organization's live subscriptions, due now."""
    subscriptions = session.scalars(
        select(Subscription.id).where(
            Subscription.org_id == org_id, Subscription.status.in_(LIVE_STATUSES)
        )
    ).all()
    asked = [
        SubscriptionCancellation(
            id=new_id("scx"),
            subscription_id=subscription_id,
            org_id=org_id,
            action_id=action_id,
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        for subscription_id in subscriptions
    ]
    session.add_all(asked)
    session.flush()
    return asked


def due_cancellations(session: Session, *, now: datetime) -> list[tuple[str, str]]:
    """(cancellation id, subscription id) of those due to be asked of Paddle now."""
    rows = session.execute(
        select(SubscriptionCancellation.id, SubscriptionCancellation.subscription_id)
        .where(
            SubscriptionCancellation.status == PENDING,
            SubscriptionCancellation.next_attempt_at <= now,
        )
        .order_by(SubscriptionCancellation.next_attempt_at, SubscriptionCancellation.id)
        .limit(BATCH)
    ).all()
    return [(row.id, row.subscription_id) for row in rows]


def pending_of(session: Session, org_id: str) -> list[SubscriptionCancellation]:
    """The organization's cancellations Paddle has not confirmed yet (for staff)."""
    return list(
        session.scalars(
            select(SubscriptionCancellation)
            .where(
                SubscriptionCancellation.org_id == org_id,
                SubscriptionCancellation.status == PENDING,
            )
            .order_by(SubscriptionCancellation.created_at)
        )
    )


def retry_wait(attempts: int) -> timedelta:
    """Five minutes after the first failure, doubling, at most six hours: never giving up."""
    doublings = min(max(attempts - 1, 0), 10)
    return min(FIRST_RETRY * (1 << doublings), LONGEST_WAIT)


def settle(
    session: Session, *, cancellation_id: str, error: str | None, now: datetime
) -> SubscriptionCancellation | None:
    """Record one try: done, or failed and due again later. None if it was settled already
    (two workers, or a retry that crossed a success)."""
    row = session.get(SubscriptionCancellation, cancellation_id, with_for_update=True)
    if row is None or row.status != PENDING:
        return None
    row.attempts += 1
    row.updated_at = now
    if error is None:
        row.status, row.done_at, row.last_error = DONE, now, None
    else:
        row.last_error = error[:2000]
        row.next_attempt_at = now + retry_wait(row.attempts)
    return row
