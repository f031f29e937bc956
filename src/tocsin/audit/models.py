"""The audit log's table, and the notices told to organizations' owners."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base, JSONText, UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_org_id_id", "org_id", "id"),
        # The anomaly scan reads recent events of one action (trial refusals).
        Index("ix_audit_events_action_created_at", "action", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # No foreign key: the audit trail must outlive what it describes.
    org_id: Mapped[str | None] = mapped_column(String(40), default=None)
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(100), default=None)
    action: Mapped[str] = mapped_column(String(80))
    target_type: Mapped[str | None] = mapped_column(String(40), default=None)
    target_id: Mapped[str | None] = mapped_column(String(40), default=None)
    details: Mapped[Any] = mapped_column(JSONText(), nullable=True, default=None)
    ip_address: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Notice(Base):
    """Something the organization's owners must hear about (quota nearly used or used up,
    payment failed, trial ending). One per kind and period, so a storm says it once. Shown in
    the dashboard and mailed to the owners (mail/outbox.py keeps `mail_status` and
    `mail_detail`: how the mail went, in words)."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("org_id", "kind", "period", name="uq_notices_org_kind_period"),
        # The mail module looks for notices not yet mailed.
        Index("ix_notices_mail_status", "mail_status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(120))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[Any] = mapped_column(JSONText(), nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    mail_status: Mapped[str] = mapped_column(String(20), server_default="pending")
    mail_detail: Mapped[str | None] = mapped_column(Text, default=None)
    # A notice for one member (a handoff) rather than the owners: mailed to that member only.
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
