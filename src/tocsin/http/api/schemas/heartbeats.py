"""Request and response bodies of heartbeat monitors and their pings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from tocsin.heartbeats.models import HeartbeatMonitor, HeartbeatPing
from tocsin.heartbeats.queries import ping_url, status_of
from tocsin.heartbeats.schedule import MAX_CRON_CHARACTERS, MAX_PERIOD, MIN_INTERVAL
from tocsin.http.api.schemas.common import CreatedAt, OwnId, UpdatedAt, listed, shown
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
    model_config = shown(
        {
            "name": "Nightly backup",
            "endpoint_id": "ep_01m8ycrxap78197genycv3nvhg",
            "cron": "30 2 * * *",
            "timezone": "Europe/London",
            "grace_seconds": 1800,
            "max_runtime_seconds": 3600,
        }
    )

    name: Name = Field(description="What job it watches")
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
    timezone: TimeZone = Field(default="UTC", description="The IANA time zone `cron` is read in")
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
    severity: HeartbeatSeverity = Field(
        default=HeartbeatSeverity.CRITICAL,
        description=("The alert's severity when it goes down"),
    )


class HeartbeatPatch(BaseModel):
    model_config = shown({"grace_seconds": 600})

    name: Name | None = Field(default=None, description="A new name; absent: unchanged")
    endpoint_id: Id | None = Field(
        default=None,
        description=("Route its alerts through another endpoint"),
    )
    interval_seconds: Count | None = Field(
        default=None, json_schema_extra=_INTERVAL, description="Replaces a cron expression"
    )
    cron: str | None = Field(
        default=None,
        max_length=MAX_CRON_CHARACTERS,
        pattern=SOMETHING,
        description=f"{_CRON}; replaces an interval",
    )
    timezone: TimeZone | None = Field(default=None, description="The time zone `cron` is read in")
    grace_seconds: Count | None = Field(
        default=None,
        json_schema_extra=_GRACE,
        description=("How long after its due time a ping may still come"),
    )
    max_runtime_seconds: Count | None = Field(
        default=None, json_schema_extra=_INTERVAL, description="null clears it"
    )
    severity: HeartbeatSeverity | None = Field(
        default=None,
        description=("The alert's severity when it goes down"),
    )


class HeartbeatOut(BaseModel):
    model_config = shown(
        {
            "id": "hb_01m8ycrxap78197genycv3nvhg",
            "name": "Nightly backup",
            "endpoint_id": "ep_01m8ycrxap78197genycv3nvhg",
            "interval_seconds": None,
            "cron": "30 2 * * *",
            "timezone": "Europe/London",
            "grace_seconds": 1800,
            "max_runtime_seconds": 3600,
            "severity": "critical",
            "key_prefix": "hbk_3fa9",
            "paused": False,
            "state": "up",
            "status": "up",
            "down_reason": None,
            "last_ping_at": "2025-01-02T02:41:00Z",
            "last_ping_kind": "success",
            "run_started_at": None,
            "next_due_at": "2025-01-03T02:30:00Z",
            "alert_at": "2025-01-03T03:00:00Z",
            "alert_id": None,
            "ping_url": "https://tocsin.example.com/v1/heartbeats/hb_01m8ycrxap78197genycv3nvhg",
            "created_at": "2025-01-01T12:00:00Z",
            "updated_at": "2025-01-01T12:00:00Z",
        }
    )

    id: OwnId
    name: str = Field(description="What job it watches")
    endpoint_id: str = Field(description="The endpoint its alerts go through")
    interval_seconds: int | None = Field(description="Seconds between pings, when not `cron`")
    cron: str | None = Field(description="Its cron expression, when not an interval")
    timezone: str = Field(description="The time zone `cron` is read in")
    grace_seconds: int = Field(description="How late a ping may be before the alert")
    max_runtime_seconds: int | None = Field(description="How long a run may take from /start")
    severity: str = Field(description="The alert's severity when it goes down")
    key_prefix: str = Field(description="The first characters of the ping key")
    paused: bool = Field(description="Whether it is paused: it never alerts")
    state: str = Field(description="new, up, running or down")
    status: str = Field(description="What to show: paused, late (up and past due), or the state")
    down_reason: str | None = Field(description="missed, failed or run_too_long, while down")
    last_ping_at: datetime | None = Field(description="When the last ping came")
    last_ping_kind: str | None = Field(description="success, start or fail")
    run_started_at: datetime | None = Field(
        description=("When the run in progress started (a /start ping)"),
    )
    next_due_at: datetime | None = Field(description="When the next ping is due")
    alert_at: datetime | None = Field(
        description="When it goes down if no good ping comes first; null while not expected"
    )
    alert_id: str | None = Field(description="The alert it opened, until a good ping")
    ping_url: str = Field(description="Where the job pings: GET or POST, with the key")
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
    model_config = shown(
        {
            "id": "hb_01m8ycrxap78197genycv3nvhg",
            "name": "Nightly backup",
            "endpoint_id": "ep_01m8ycrxap78197genycv3nvhg",
            "interval_seconds": None,
            "cron": "30 2 * * *",
            "timezone": "Europe/London",
            "grace_seconds": 1800,
            "max_runtime_seconds": 3600,
            "severity": "critical",
            "key_prefix": "hbk_3fa9",
            "paused": False,
            "state": "up",
            "status": "up",
            "down_reason": None,
            "last_ping_at": "2025-01-02T02:41:00Z",
            "last_ping_kind": "success",
            "run_started_at": None,
            "next_due_at": "2025-01-03T02:30:00Z",
            "alert_at": "2025-01-03T03:00:00Z",
            "alert_id": None,
            "ping_url": "https://tocsin.example.com/v1/heartbeats/hb_01m8ycrxap78197genycv3nvhg",
            "created_at": "2025-01-01T12:00:00Z",
            "updated_at": "2025-01-01T12:00:00Z",
            "key": "hbk_3fa9c2e1d0b8a7f6e5d4c3b2a1",
        }
    )

    key: str = Field(description="The ping key, shown this once: only its digest is kept")


class PingOut(BaseModel):
    model_config = shown(
        {
            "id": "hbp_01m8ycrxap78197genycv3nvhg",
            "kind": "success",
            "at": "2025-01-02T02:41:00Z",
            "method": "GET",
            "client_address": "203.0.113.7",
            "user_agent": "curl/8.5.0",
            "body": "",
        },
        from_attributes=True,
    )

    id: OwnId
    kind: str = Field(description="success, start or fail")
    at: datetime = Field(description="When it came")
    method: str = Field(description="GET, HEAD, POST or shell")
    client_address: str | None = Field(description="Where it came from")
    user_agent: str = Field(description="What sent it")
    body: str = Field(description="The first KiB of the body")

    @classmethod
    def of(cls, ping: HeartbeatPing) -> PingOut:
        return cls.model_validate(ping)


class PingListOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=listed)

    items: list[PingOut] = Field(description="The last pings, newest first")


class PingReceivedOut(BaseModel):
    model_config = shown(
        {
            "heartbeat_id": "hb_01m8ycrxap78197genycv3nvhg",
            "kind": "success",
            "state": "up",
            "next_due_at": "2025-01-03T02:30:00Z",
        }
    )

    heartbeat_id: str = Field(description="The heartbeat pinged")
    kind: str = Field(description="success, start or fail")
    state: str = Field(description="Its state now: new, up, running or down")
    next_due_at: datetime | None = Field(description="When the next ping is due")
