"""Request and response bodies of heartbeat monitors and their pings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from tocsin.heartbeats.models import HeartbeatMonitor, HeartbeatPing
from tocsin.heartbeats.queries import ping_url, status_of
from tocsin.heartbeats.schedule import MAX_CRON_CHARACTERS, MAX_PERIOD, MIN_INTERVAL
from tocsin.http.api.schemas.common import CreatedAt, OwnId, UpdatedAt
from tocsin.http.api.schemas.fields import SOMETHING, Count, Id, Name, TimeZone

_LONGEST = int(MAX_PERIOD.total_seconds())
_SHORTEST = int(MIN_INTERVAL.total_seconds())


class HeartbeatSeverity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    INFO = "info"


# Each bound is checked by the command, which names its refusal (`invalid_interval`,
# `invalid_grace`, `invalid_max_runtime`, `invalid_cron`, `invalid_schedule`); here it is said.
_INTERVAL: JsonDict = {"minimum": _SHORTEST, "maximum": _LONGEST}
_GRACE: JsonDict = {"minimum": 0, "maximum": _LONGEST}
_CRON = "Five cron fields (minute hour day month weekday) or @hourly, @daily, @weekly, @monthly"


class HeartbeatIn(BaseModel):
    name: Name
    endpoint_id: Id = Field(description="The endpoint whose rules and contacts route its alerts")
    interval_seconds: Count | None = Field(
        default=None,
        json_schema_extra=_INTERVAL,
        description="A ping is due this long after the last; give this or `cron`",
    )
    cron: str | None = Field(
        default=None,
        max_length=MAX_CRON_CHARACTERS,
        pattern=SOMETHING,
        description=f"{_CRON}, read in `timezone`; give this or `interval_seconds`",
    )
    timezone: TimeZone = "UTC"
    grace_seconds: Count = Field(
        default=300,
        json_schema_extra=_GRACE,
        description="How long after its due time a ping may still come before the alert",
    )
    max_runtime_seconds: Count | None = Field(
        default=None,
        json_schema_extra=_INTERVAL,
        description="How long a run may take from /start to its success; null: until the "
        "next due time and grace",
    )
    severity: HeartbeatSeverity = HeartbeatSeverity.CRITICAL


class HeartbeatPatch(BaseModel):
    name: Name | None = None
    endpoint_id: Id | None = None
    interval_seconds: Count | None = Field(
        default=None, json_schema_extra=_INTERVAL, description="Replaces a cron expression"
    )
    cron: str | None = Field(
        default=None,
        max_length=MAX_CRON_CHARACTERS,
        pattern=SOMETHING,
        description=f"{_CRON}; replaces an interval",
    )
    timezone: TimeZone | None = None
    grace_seconds: Count | None = Field(default=None, json_schema_extra=_GRACE)
    max_runtime_seconds: Count | None = Field(
        default=None, json_schema_extra=_INTERVAL, description="null clears it"
    )
    severity: HeartbeatSeverity | None = None


class HeartbeatOut(BaseModel):
    id: OwnId
    name: str
    endpoint_id: str
    interval_seconds: int | None
    cron: str | None
    timezone: str
    grace_seconds: int
    max_runtime_seconds: int | None
    severity: str
    key_prefix: str = Field(description="The first characters of the ping key")
    paused: bool
    state: str = Field(description="new, up, running or down")
    status: str = Field(description="What to show: paused, late (up and past due), or the state")
    down_reason: str | None = Field(description="missed, failed or run_too_long, while down")
    last_ping_at: datetime | None
    last_ping_kind: str | None
    run_started_at: datetime | None
    next_due_at: datetime | None
    alert_at: datetime | None = Field(
        description="When it goes down if no good ping comes first; null while not expected"
    )
    alert_id: str | None = Field(description="The alert it opened, until a good ping")
    ping_url: str
    created_at: CreatedAt
    updated_at: UpdatedAt

    @classmethod
    def of(cls, monitor: HeartbeatMonitor, *, base_url: str, now: datetime) -> HeartbeatOut:
        return cls(
            id=monitor.id,
            name=monitor.name,
            endpoint_id=monitor.endpoint_id,
            interval_seconds=monitor.interval_seconds,
            cron=monitor.cron,
            timezone=monitor.timezone,
            grace_seconds=monitor.grace_seconds,
            max_runtime_seconds=monitor.max_runtime_seconds,
            severity=monitor.severity,
            key_prefix=monitor.key_prefix,
            paused=monitor.paused,
            state=monitor.state,
            status=status_of(monitor, now),
            down_reason=monitor.down_reason,
            last_ping_at=monitor.last_ping_at,
            last_ping_kind=monitor.last_ping_kind,
            run_started_at=monitor.run_started_at,
            next_due_at=monitor.next_due_at,
            alert_at=monitor.alert_at,
            alert_id=monitor.alert_id,
            ping_url=ping_url(base_url, monitor.id),
            created_at=monitor.created_at,
            updated_at=monitor.updated_at,
        )


class NewHeartbeatOut(HeartbeatOut):
    key: str = Field(description="The ping key, shown this once: only its digest is kept")


class PingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    kind: str = Field(description="success, start or fail")
    at: datetime
    method: str
    client_address: str | None
    user_agent: str
    body: str = Field(description="The first KiB of the body")

    @classmethod
    def of(cls, ping: HeartbeatPing) -> PingOut:
        return cls.model_validate(ping)


class PingListOut(BaseModel):
    items: list[PingOut]


class PingReceivedOut(BaseModel):
    heartbeat_id: str
    kind: str
    state: str
    next_due_at: datetime | None
