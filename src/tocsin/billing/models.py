"""Tables of billing: usage counters, owner notices, trials, and what Paddle told us."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base, JSONText, UTCDateTime


class UsageCounter(Base):
    """Calls an organization placed in one period, a day or a month, keyed by the UTC instant
    it started: fixed when its first call was counted, so a later time-zone change cannot
    reopen it (policy/quota.py). `label` is its local date or month, for people. A call is
    counted by a conditional UPDATE of these rows in the transaction that writes its attempt,
    which is what keeps concurrent workers under a cap."""

    __tablename__ = "usage_counters"

    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    label: Mapped[str] = mapped_column(String(10))
    calls: Mapped[int] = mapped_column(Integer, default=0)
    spend_cents: Mapped[int] = mapped_column(Integer, default=0)


class Trial(Base):
    __tablename__ = "trials"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    started_by: Mapped[str | None] = mapped_column(String(40), default=None)
    source: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when the trial was ended early: a claim found after it started (a number verified,
    # a card or a Paddle customer paying) belonged to another trial.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    end_reason: Mapped[str | None] = mapped_column(String(80), default=None)


class TrialClaim(Base):
    """One fact that identifies who had a trial: a normalised email, an owner, a payment
    instrument, a Paddle customer or a verified number, kept as an HMAC digest. Unique per kind
    and digest, so a second trial for the same billing entity cannot be granted even by two
    requests at once."""

    __tablename__ = "trial_claims"
    __table_args__ = (UniqueConstraint("kind", "digest", name="uq_trial_claims_kind_digest"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # No cascade: the claim must outlive an organization deleted to get a fresh trial.
    trial_org_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Subscription(Base):
    """A Paddle subscription, as of the newest event about it that we applied."""

    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    status: Mapped[str] = mapped_column(String(20))
    plan: Mapped[str | None] = mapped_column(String(40), default=None)
    price_id: Mapped[str | None] = mapped_column(String(64), default=None)
    period_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    period_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Set when the customer cancelled: the subscription runs to the end of the period paid for.
    cancel_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Paddle's customer portal links: where the customer cancels or changes the card.
    cancel_url: Mapped[str | None] = mapped_column(Text, default=None)
    update_payment_url: Mapped[str | None] = mapped_column(Text, default=None)
    # Paddle does not deliver events in order; an event older than this one is not applied.
    source_updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PaymentTransaction(Base):
    __tablename__ = "payment_transactions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    subscription_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # Paddle's customer (ctm_...): who paid, a trial claim of its own.
    customer_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    status: Mapped[str] = mapped_column(String(20))
    # A digest of the card's brand, last four digits, expiry and holder: enough to see the same
    # instrument again for trial eligibility, and nothing a card number can be read from.
    payment_fingerprint: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    source_updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Adjustment(Base):
    """A refund, credit or chargeback on one of an organization's transactions."""

    __tablename__ = "adjustments"
    __table_args__ = (Index("ix_adjustments_org_id_action", "org_id", "action"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    transaction_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[str | None] = mapped_column(String(40), default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When a refund request was approved or rejected: NULL while nobody has answered it.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # For chargebacks: the chargeback rule's verdict (billing/chargeback_rule.py), and why.
    verdict: Mapped[str | None] = mapped_column(String(20), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    source_updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PaddleCustomer(Base):
    """A Paddle customer as its newest `customer.*` event gave it. Its id and its e-mail are
    trial claims of every organization it pays for (linked by the subscriptions and
    transactions that name it), however many those are."""

    __tablename__ = "paddle_customers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str | None] = mapped_column(Text, default=None)
    source_updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RefundRequest(Base):
    """A customer asking for a refund of one payment outside Paddle (to support, by e-mail),
    recorded by staff, and when it was answered. A chargeback filed after such a request went
    unanswered for 14 days is excused (billing/chargeback_rule.py)."""

    __tablename__ = "refund_requests"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    transaction_id: Mapped[str] = mapped_column(String(64), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str | None] = mapped_column(String(100), default=None)
    # refunded or refused; NULL while nobody has answered.
    answer: Mapped[str | None] = mapped_column(String(20), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    answered_by: Mapped[str | None] = mapped_column(String(100), default=None)
    answer_note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BillingEvent(Base):
    """Every Paddle event received, by its id: a redelivery of one already here changes
    nothing."""

    __tablename__ = "billing_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    org_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    # applied, stale (older than what we hold), unmatched (no organization), ignored.
    result: Mapped[str] = mapped_column(String(20))
    payload: Mapped[Any] = mapped_column(JSONText())


class TerminationMark(Base):
    """One fact that identifies a person a termination was about: an owner, their normalised
    email, a card or a verified number, as the same HMAC digest a trial claim keeps (and every
    trial claim of a terminated organization). While the termination stands, a new organization
    that shares any of them is refused. Kept per action, so lifting one termination (by granting
    its appeal) leaves another's marks in force."""

    __tablename__ = "termination_marks"
    __table_args__ = (Index("ix_termination_marks_kind_digest", "kind", "digest"),)

    action_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SubscriptionCancellation(Base):
    """A Paddle subscription that a termination ends, from the request until Paddle confirms
    it. Written with the termination, carried out by the worker through Paddle's API (never
    inside a transaction), and tried again with a growing wait after every failure, each of
    which is audited and noted for staff. No foreign key: it outlives its organization."""

    __tablename__ = "subscription_cancellations"
    __table_args__ = (Index("ix_subscription_cancellations_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(String(64), index=True)
    org_id: Mapped[str] = mapped_column(String(40), index=True)
    action_id: Mapped[str] = mapped_column(String(40))
    # pending until Paddle says the subscription is canceled, then done.
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
