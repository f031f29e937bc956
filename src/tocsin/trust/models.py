"""The append-only audit log, and numbers that asked not to be called."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base, JSONText, UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_org_id_id", "org_id", "id"),)

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


class EnforcementAction(Base):
    """A warning, suspension or termination of a user, organization, endpoint or number.

    Suspensions and terminations take effect the moment the row is committed: ingest and dial
    time both look for an active one. Nothing is deleted; lifting sets `lifted_at`.
    """

    __tablename__ = "enforcement_actions"
    __table_args__ = (Index("ix_enforcement_actions_target", "scope", "target_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(20))
    # A user, organization or endpoint id, or an E.164 number.
    target_id: Mapped[str] = mapped_column(String(40))
    # The organization the target belongs to (NULL for users and numbers), so it sees why.
    org_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    reason: Mapped[str] = mapped_column(Text)
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(100), default=None)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    lifted_by: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DoNotCall(Base):
    """A number this organization must not call: its callee pressed 9, or someone with access
    to the organization said so. Checked at dial time, so it takes effect on the next call."""

    __tablename__ = "do_not_call"
    __table_args__ = (UniqueConstraint("org_id", "phone_e164", name="uq_do_not_call_org_phone"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    phone_e164: Mapped[str] = mapped_column(String(20))
    # keypad, api or cli
    source: Mapped[str] = mapped_column(String(20))
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(100), default=None)
    # The call in which the callee asked, for keypad requests.
    attempt_id: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
