"""Maintenance windows and silences: periods in which an organization's matching alerts are
recorded but call nobody."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base, JSONText, UTCDateTime


class MaintenanceWindow(Base):
    """One window: one period, or periods that recur by an RFC 5545 rule (maintenance/windows.py),
    over the organization, a project, an endpoint or a heartbeat monitor, optionally narrowed by
    label matchers (maintenance/matchers.py).

    Deleting one keeps its row (`deleted_at`): the alerts it muted still say who muted them,
    why and until when.
    """

    __tablename__ = "maintenance_windows"
    __table_args__ = (
        # The windows that may be in force: an organization's not deleted, not over for good.
        Index("ix_maintenance_windows_org_live", "org_id", "deleted_at", "last_ends_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    # organization, project, endpoint or monitor; the id of the project, endpoint or monitor.
    scope: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str | None] = mapped_column(String(40), default=None)
    # [{"name", "op", "value"}]: every one must match (Alertmanager's silence matchers).
    matchers: Mapped[list[dict[str, str]]] = mapped_column(JSONText(), default=list)
    # The first occurrence's start (DTSTART, read in `timezone`), and how long each lasts.
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_seconds: Mapped[int] = mapped_column(Integer)
    # An RFC 5545 RRULE (without DTSTART) that repeats the start; NULL for one period.
    rrule: Mapped[str | None] = mapped_column(Text, default=None)
    timezone: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    # Whether alerts it muted and that are still open page when it ends.
    page_after: Mapped[bool] = mapped_column(Boolean, server_default=true(), default=True)
    # Who made it: the actor and the name shown on every alert it mutes.
    created_by_type: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[str | None] = mapped_column(String(40), default=None)
    created_by_name: Mapped[str] = mapped_column(String(200))
    # Set when someone ended it early: the occurrence in force then ends there.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    ended_by: Mapped[str | None] = mapped_column(String(200), default=None)
    # When the last occurrence ends (cut by an early end); NULL while the rule has no end.
    last_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    deleted_by: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def describe(self) -> dict[str, Any]:
        """What the audit log keeps of it."""
        return {
            "window_id": self.id,
            "scope": self.scope,
            "target_id": self.target_id,
            "matchers": self.matchers,
            "starts_at": self.starts_at.isoformat(),
            "duration_seconds": self.duration_seconds,
            "rrule": self.rrule,
            "timezone": self.timezone,
            "reason": self.reason,
            "page_after": self.page_after,
        }
