"""Request and response bodies of maintenance windows, and what an alert shows of the window
that muted it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from tocsin.http.api.schemas.common import CreatedAt, OwnId, UpdatedAt
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

    name: str = Field(pattern=f"^{LABEL_NAME.pattern}$", max_length=100)
    op: Op = Field(description="= != =~ !~ (a regular expression is fully anchored)")
    value: str = Field(max_length=MAX_VALUE)


class WindowIn(BaseModel):
    reason: Reason
    scope: ScopeKind = ScopeKind.ORGANIZATION
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
    duration_minutes: Minutes | None = None
    rrule: Rule | None = None
    timezone: TimeZone = Field(default="UTC", description="Where starts_at's rule is read")
    page_after: Flag = Field(
        default=True, description="Whether alerts it muted that are still open page when it ends"
    )


class WindowPatch(BaseModel):
    """A field left out stays as it is; `rrule: null` makes the window one period. A change of
    its times forgets an early end."""

    reason: Reason | None = None
    scope: ScopeKind | None = None
    target_id: Id | None = None
    matchers: list[MatcherIn] | None = Field(default=None, max_length=MAX_MATCHERS)
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    duration_minutes: Minutes | None = None
    rrule: Rule | None = None
    timezone: TimeZone | None = None
    page_after: Flag | None = None


class MatcherOut(BaseModel):
    name: str
    op: str
    value: str


class OccurrenceOut(BaseModel):
    starts_at: datetime
    ends_at: datetime


class WindowOut(BaseModel):
    id: OwnId
    scope: str
    target_id: str | None
    matchers: list[MatcherOut]
    starts_at: datetime
    duration_minutes: float
    rrule: str | None
    timezone: str
    reason: str
    page_after: bool
    created_by: str = Field(description="Who made it, as the alerts it mutes show it")
    created_by_type: str = Field(description="user, api_key or cli")
    created_by_id: str | None = Field(description="The user's or API key's id")
    state: str = Field(description="active, upcoming or past, now")
    occurrence: OccurrenceOut | None = Field(
        description="The occurrence in force now, else the next one; null once none is left"
    )
    ended_at: datetime | None = Field(description="When someone ended it early")
    ended_by: str | None
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
