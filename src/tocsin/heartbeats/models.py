"""Tables of heartbeat monitors and the last pings each received."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base, UTCDateTime


class MonitorState(StrEnum):
    """Where a monitor stands. `late` is not stored: it is `up` or `running` past its due time
    and still within its grace (`queries.status_of`)."""

    # Never pinged: nothing is expected of it yet, so it cannot alert.
    NEW = "new"
    UP = "up"
    # A job said it started (`/start`) and has not said it finished.
    RUNNING = "running"
    DOWN = "down"


class PingKind(StrEnum):
    SUCCESS = "success"
    START = "start"
    FAIL = "fail"


class DownReason(StrEnum):
    MISSED = "missed"
    FAILED = "failed"
    RUN_TOO_LONG = "run_too_long"


class HeartbeatMonitor(Base):
    """A monitor that expects a ping every `interval_seconds`, or at each instant of `cron` in
    `timezone`, within `grace_seconds`.

    `alert_at` is the instant the monitor goes down if no good ping comes first; NULL while
    nothing is expected of it (new, down, paused). The worker looks only at rows whose
    `alert_at` has passed, through its index.
    """

    __tablename__ = "heartbeats"
    __table_args__ = (Index("ix_heartbeats_alert_at", "alert_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    # Its alerts are this endpoint's: its rules and contacts route them. Deleting the endpoint
    # deletes its monitors, as it deletes its alerts.
    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("endpoints.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    # Exactly one of these two says when pings are due.
    interval_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    cron: Mapped[str | None] = mapped_column(String(100), default=None)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    grace_seconds: Mapped[int] = mapped_column(Integer)
    # How long a run may take from `/start` to its success; NULL: until the next due time.
    max_runtime_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    severity: Mapped[str] = mapped_column(String(20), default="critical")
    # The ping key: its first characters, to tell keys apart, and the HMAC digest of the whole.
    key_prefix: Mapped[str] = mapped_column(String(16))
    key_digest: Mapped[str] = mapped_column(String(64))
    paused: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    state: Mapped[str] = mapped_column(String(20), default=MonitorState.NEW.value)
    down_reason: Mapped[str | None] = mapped_column(String(20), default=None)
    last_ping_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_ping_kind: Mapped[str | None] = mapped_column(String(10), default=None)
    run_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The alert it opened and has not yet seen resolved by a good ping.
    alert_id: Mapped[str | None] = mapped_column(
        ForeignKey("alerts.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HeartbeatPing(Base):
    """One ping a monitor took (its key was right), the last PING_LOG of each kept."""

    __tablename__ = "heartbeat_pings"
    __table_args__ = (Index("ix_heartbeat_pings_heartbeat_id", "heartbeat_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    heartbeat_id: Mapped[str] = mapped_column(ForeignKey("heartbeats.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # GET, HEAD or POST; `shell` for `tocsin heartbeat ping`.
    method: Mapped[str] = mapped_column(String(10))
    client_address: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    # The first KiB of the body, as text.
    body: Mapped[str] = mapped_column(Text, default="")
