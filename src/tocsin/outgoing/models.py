"""Outgoing webhooks: an organization's subscriptions (where to POST which alert events, and
the secret that signs them) and the delivery log (one row per event and subscription, written
with the change it reports and sent by the worker)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base, JSONText, UTCDateTime


class AlertEvent(StrEnum):
    """What happened to an alert, as a subscription chooses it; the body's `type` is
    `alert.<event>`."""

    CREATED = "created"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    # A later step of the escalation started paging, or a repeat (or restart) began a round.
    ESCALATED = "escalated"
    # Every step ran and nobody acknowledged.
    EXHAUSTED = "exhausted"

    @property
    def type(self) -> str:
        return f"alert.{self.value}"


# The body of a test delivery (`commands.send_test`): about the subscription, not an alert.
TEST_EVENT = "webhook.test"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    # A worker holds it until `next_attempt_at` (its lease); past that another may take it.
    SENDING = "sending"
    DELIVERED = "delivered"
    # Refused for good by the receiver (a 4xx other than 408 and 429, a redirect).
    FAILED = "failed"
    # Every retry of the schedule failed, or the subscription was disabled meanwhile.
    GAVE_UP = "gave_up"

    @property
    def is_final(self) -> bool:
        return self not in (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


class WebhookSubscription(Base):
    """Where an organization wants its alert events POSTed: a public https URL, the events it
    chose and, optionally, one endpoint's or one project's alerts only."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    # The signing secret (`whsec_...`), sealed with the server's secret box: it must be read
    # back to sign, so only a digest would not do.
    secret_sealed: Mapped[str] = mapped_column(Text)
    # The secret before the last rotation, which also signs until `previous_secret_until`, so
    # a receiver can move to the new one without missing a delivery.
    previous_secret_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # AlertEvent values.
    events: Mapped[list[str]] = mapped_column(JSONText())
    # Only this endpoint's (or this project's endpoints') alerts; a subscription goes with
    # the endpoint or project it is for.
    endpoint_id: Mapped[str | None] = mapped_column(
        ForeignKey("endpoints.id", ondelete="CASCADE"), default=None
    )
    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), default=None
    )
    enabled: Mapped[bool] = mapped_column(default=True)
    # Why the server disabled it (a 410 Gone, days of failures); None when a person did.
    disabled_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # When the current run of failed deliveries began; None while deliveries get through.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_by: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """One event for one subscription, and every attempt to POST it. The body is fixed when
    the event happens, so a retry sends what the first attempt sent."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The delivery log of a subscription, newest first.
        Index("ix_webhook_deliveries_subscription", "subscription_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    subscription_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    # The `webhook-id` header: one event's id, the same on every attempt and redelivery, so a
    # receiver can tell a repeat from a new event.
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    # None for a test delivery.
    alert_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSONText())
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When it is due (pending) or its lease ends (sending); None once final.
    next_attempt_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), default=None, index=True
    )
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # The start of the receiver's last answer, for the log.
    response_snippet: Mapped[str | None] = mapped_column(Text, default=None)
    # [{"at", "status_code", "error", "ms"}]: each attempt, oldest first.
    attempt_log: Mapped[list[dict[str, Any]]] = mapped_column(JSONText(), server_default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
