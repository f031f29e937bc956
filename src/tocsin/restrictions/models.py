"""The enforcement table: warnings, suspensions and terminations, and what each applies to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base, UTCDateTime


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
