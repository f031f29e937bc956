"""Request and response bodies of maintenance windows, and what an alert shows of the window
that muted it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from tocsin.http.api.schemas.common import CreatedAt, OwnId, UpdatedAt, shown
from tocsin.http.api.schemas.fields import SOMETHING, Count, Flag, Id, TimeZone
from tocsin.http.api.schemas.oncall import Instant
from tocsin.maintenance.commands import MAX_REASON
from tocsin.maintenance.coverage import ScopeKind
from tocsin.maintenance.matchers import LABEL_NAME, MAX_MATCHERS, MAX_VALUE, Op
from tocsin.maintenance.queries import WindowView
from tocsin.maintenance.windows import MAX_DURATION, MAX_RULE_CHARACTERS

_MAX_MINUTES = int(MAX_DURATION.total_seconds() // 60)

Reason = Annotated[
    str,
    Field(
        max_length=MAX_REASON,
        pattern=SOMETHING,
        description="Why: shown on every alert the window mutes (runs of whitespace fold)",
    ),
]
Rule = Annotated[
    str,
    Field(
        max_length=MAX_RULE_CHARACTERS,
        description="An RFC 5545 RRULE repeating the start, e.g. FREQ=WEEKLY;BYDAY=SU "
        "(DAILY, WEEKLY, MONTHLY or YEARLY; UNTIL in UTC); each occurrence lasts the duration",
    ),
]
Minutes = Annotated[
    Count,
    Field(
        json_schema_extra={"minimum": 1, "maximum": _MAX_MINUTES},
        description="How long each occurrence lasts, instead of ends_at",
    ),
]


class MatcherIn(BaseModel):
    """A label matcher, as Alertmanager's silences have them."""

    name: str = Field(
        pattern=f"^{LABEL_NAME.pattern}$",
        max_length=100,
        description=("The label's name, e.g. `team`"),
    )
    op: Op = Field(description="= != =~ !~ (a regular expression is fully anchored)")
    value: str = Field(max_length=MAX_VALUE, description="The value, or the regular expression")


class WindowIn(BaseModel):
    model_config = shown(
        {
            "reason": "Weekly database upgrades",
            "matchers": [{"name": "team", "op": "=", "value": "db"}],
            "starts_at": "2025-01-05T02:00:00+00:00",
            "duration_minutes": 120,
            "rrule": "FREQ=WEEKLY;BYDAY=SU",
            "timezone": "Europe/London",
        }
    )

    reason: Reason
    scope: ScopeKind = Field(
        default=ScopeKind.ORGANIZATION,
        description=("What it covers: organization, project, endpoint or monitor"),
    )
    target_id: Id | None = Field(
        default=None, description="The project, endpoint or heartbeat monitor; none for an org"
    )
    matchers: list[MatcherIn] = Field(
        default_factory=list,
        max_length=MAX_MATCHERS,
        description="Every one must match each alert's labels; none: every alert in scope",
    )
    starts_at: Instant | None = Field(default=None, description="Now when left out")
    ends_at: Instant | None = Field(default=None, description="Or duration_minutes")
    duration_minutes: Minutes | None = Field(
        default=None, description="How long each occurrence lasts, instead of ends_at"
    )
    rrule: Rule | None = Field(
        default=None, description="An RFC 5545 RRULE repeating the start, e.g. FREQ=WEEKLY;BYDAY=SU"
    )
    timezone: TimeZone = Field(default="UTC", description="Where starts_at's rule is read")
    page_after: Flag = Field(
        default=True, description="Whether alerts it muted that are still open page when it ends"
    )


class WindowPatch(BaseModel):
    """A field left out stays as it is; `rrule: null` makes the window one period. A change of
    its times forgets an early end."""

    model_config = shown({"duration_minutes": 180})

    reason: Reason | None = Field(default=None, description="Why: shown on every alert it mutes")
    scope: ScopeKind | None = Field(
        default=None,
        description=("What it covers: organization, project, endpoint or monitor"),
    )
    target_id: Id | None = Field(default=None, description="The project, endpoint or monitor")
    matchers: list[MatcherIn] | None = Field(
        default=None,
        max_length=MAX_MATCHERS,
        description=("Every one must match each alert's labels"),
    )
    starts_at: Instant | None = Field(default=None, description="When it starts")
    ends_at: Instant | None = Field(default=None, description="When it ends, or duration_minutes")
    duration_minutes: Minutes | None = Field(
        default=None, description="How long each occurrence lasts, instead of ends_at"
    )
    rrule: Rule | None = Field(default=None, description="An RRULE repeating the start; null: once")
    timezone: TimeZone | None = Field(default=None, description="Where its rule is read")
    page_after: Flag | None = Field(
        default=None,
        description=("Whether alerts it muted that are still open page when it ends"),
    )


class MatcherOut(BaseModel):
    name: str = Field(description="The label's name")
    op: str = Field(description="= != =~ !~")
    value: str = Field(description="The value, or the regular expression")


class OccurrenceOut(BaseModel):
    starts_at: datetime = Field(description="When it starts")
    ends_at: datetime = Field(description="When it ends")


class WindowOut(BaseModel):
    model_config = shown(
        {
            "id": "mw_01m8ycrxap78197genycv3nvhg",
            "scope": "organization",
            "target_id": None,
            "matchers": [{"name": "team", "op": "=", "value": "db"}],
            "starts_at": "2025-01-05T02:00:00Z",
            "duration_minutes": 120.0,
            "rrule": "FREQ=WEEKLY;BYDAY=SU",
            "timezone": "Europe/London",
            "reason": "Weekly database upgrades",
            "page_after": True,
            "created_by": "Ada",
            "created_by_type": "user",
            "created_by_id": "usr_01m8ycrxap78197genycv3nvhg",
            "state": "upcoming",
            "occurrence": {"starts_at": "2025-01-05T02:00:00Z", "ends_at": "2025-01-05T04:00:00Z"},
            "ended_at": None,
            "ended_by": None,
            "last_ends_at": None,
            "created_at": "2025-01-01T12:00:00Z",
            "updated_at": "2025-01-01T12:00:00Z",
        }
    )

    id: OwnId
    scope: str = Field(description="organization, project, endpoint or monitor")
    target_id: str | None = Field(
        description=("The project, endpoint or monitor; null for the organization"),
    )
    matchers: list[MatcherOut] = Field(description="Every one must match each alert's labels")
    starts_at: datetime = Field(description="When its first occurrence starts")
    duration_minutes: float = Field(description="How long each occurrence lasts")
    rrule: str | None = Field(description="The RRULE repeating it; null: once")
    timezone: str = Field(description="Where its rule is read")
    reason: str = Field(description="Why: shown on every alert it mutes")
    page_after: bool = Field(
        description=("Whether alerts it muted that are still open page when it ends"),
    )
    created_by: str = Field(description="Who made it, as the alerts it mutes show it")
    created_by_type: str = Field(description="user, api_key or cli")
    created_by_id: str | None = Field(description="The user's or API key's id")
    state: str = Field(description="active, upcoming or past, now")
    occurrence: OccurrenceOut | None = Field(
        description="The occurrence in force now, else the next one; null once none is left"
    )
    ended_at: datetime | None = Field(description="When someone ended it early")
    ended_by: str | None = Field(description="Who ended it early")
    last_ends_at: datetime | None = Field(description="When it is over; null: it recurs on")
    created_at: CreatedAt
    updated_at: UpdatedAt

    @classmethod
    def of(cls, found: WindowView) -> WindowOut:
        window = found.window
        occurrence = found.occurrence
        return cls(
            id=window.id,
            scope=window.scope,
            target_id=window.target_id,
            matchers=[MatcherOut(**matcher) for matcher in window.matchers],
            starts_at=window.starts_at,
            duration_minutes=window.duration_seconds / 60,
            rrule=window.rrule,
            timezone=window.timezone,
            reason=window.reason,
            page_after=window.page_after,
            created_by=window.created_by_name,
            created_by_type=window.created_by_type,
            created_by_id=window.created_by_id,
            state=found.state.value,
            occurrence=(
                OccurrenceOut(starts_at=occurrence.starts_at, ends_at=occurrence.ends_at)
                if occurrence is not None
                else None
            ),
            ended_at=window.ended_at,
            ended_by=window.ended_by,
            last_ends_at=window.last_ends_at,
            created_at=window.created_at,
            updated_at=window.updated_at,
        )


class MutedByOut(BaseModel):
    """The maintenance window that muted the alert: who made it, why, and until when."""

    window_id: str = Field(description="The window")
    reason: str = Field(description="Why it was made")
    created_by: str = Field(description="Who made it")
    until: datetime | None = Field(description="The end of the occurrence that muted it")
    page_after: bool = Field(description="Whether the alert pages then if still open")
    muted_now: bool = Field(description="Whether paging still waits for a window")
    deleted: bool = Field(description="The window was deleted since")
