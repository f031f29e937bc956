"""Calendars API: iCal feeds of shifts at secret, revocable addresses (calendar tokens), the
public feed itself, and external calendars a schedule layer reads."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from tocsin.accounts.models import Role, Scope
from tocsin.core.errors import NotFound
from tocsin.http.api.deps import Caller, get_caller, get_runtime
from tocsin.http.api.route import PUBLIC, ApiRoute
from tocsin.http.api.schemas.common import CreatedAt, OwnId, errors, listed, shown
from tocsin.oncall import calendar_feeds, calendar_tokens, feeds_out
from tocsin.oncall.models import CalendarFeed, CalendarToken, CalendarTokenKind
from tocsin.runtime import Runtime
from tocsin.telephony.hosts import HostPolicy, looked_up_first

tokens_router = APIRouter(
    prefix="/v1/orgs/{org_id}/calendar-tokens",
    tags=["calendars"],
    route_class=ApiRoute,
)
feeds_router = APIRouter(
    prefix="/v1/orgs/{org_id}/calendars",
    tags=["calendars"],
    route_class=ApiRoute,
)
public_router = APIRouter(tags=["calendars"], route_class=ApiRoute)


class TokenKind(StrEnum):
    PERSON = "person"
    SCHEDULE = "schedule"


class CalendarTokenIn(BaseModel):
    model_config = shown({"kind": "schedule", "schedule_id": "sch_01m8ycrxap78197genycv3nvhg"})

    kind: TokenKind = Field(description="`person`: my own shifts; `schedule`: a schedule's")
    schedule_id: str | None = Field(
        default=None, max_length=40, description="The schedule, for kind `schedule`"
    )


class CalendarTokenOut(BaseModel):
    model_config = shown(
        {
            "id": "calt_01m8ycrxap78197genycv3nvhg",
            "kind": "person",
            "subject_id": "usr_01m8ycrxap78197genycv3nvhg",
            "created_at": "2025-01-01T12:00:00Z",
            "revoked_at": None,
        },
        from_attributes=True,
    )

    id: OwnId
    kind: TokenKind = Field(description="`person` or `schedule`")
    subject_id: str = Field(description="The member (person) or the schedule")
    created_at: CreatedAt
    revoked_at: datetime | None = Field(description="When it was revoked: its address answers 404")


class NewCalendarTokenOut(CalendarTokenOut):
    model_config = shown(
        {
            "id": "calt_01m8ycrxap78197genycv3nvhg",
            "kind": "person",
            "subject_id": "usr_01m8ycrxap78197genycv3nvhg",
            "created_at": "2025-01-01T12:00:00Z",
            "revoked_at": None,
            "url": "https://tocsin.example.com/v1/calendars/ct_3fa9c2e1d0b8a7f6.ics",
        }
    )

    url: str = Field(description="The feed's secret address: shown this once, never again")


class CalendarTokenListOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=listed)

    items: list[CalendarTokenOut] = Field(
        description=("The organization's schedule feeds and my own"),
    )


class CalendarFeedIn(BaseModel):
    model_config = shown({"name": "Team rota", "url": "https://calendar.example.com/rota.ics"})

    name: str = Field(min_length=1, max_length=200, description="What the calendar is")
    url: str = Field(
        min_length=1,
        max_length=2048,
        description="A public https address of an iCal calendar (2 MiB at most)",
    )


class CalendarFeedOut(BaseModel):
    model_config = shown(
        {
            "id": "cal_01m8ycrxap78197genycv3nvhg",
            "name": "Team rota",
            "url": "https://calendar.example.com/rota.ics",
            "events": 12,
            "fetched_at": "2025-01-01T12:00:00Z",
            "last_good_at": "2025-01-01T12:00:00Z",
            "last_error": None,
            "next_fetch_at": "2025-01-01T12:15:00Z",
            "created_at": "2025-01-01T12:00:00Z",
        },
        from_attributes=True,
    )

    id: OwnId
    name: str = Field(description="What the calendar is")
    url: str = Field(description="Its address")
    events: int = Field(description="Events of the last good copy that name a member")
    fetched_at: datetime | None = Field(description="When it was last fetched")
    last_good_at: datetime | None = Field(description="When a fetch last worked")
    last_error: str | None = Field(description="Why the last fetch failed, if it did")
    next_fetch_at: datetime = Field(description="When it is fetched next")
    created_at: CreatedAt

    @classmethod
    def of(cls, feed: CalendarFeed) -> CalendarFeedOut:
        return cls(
            id=feed.id,
            name=feed.name,
            url=feed.url,
            events=len(feed.events or []),
            fetched_at=feed.fetched_at,
            last_good_at=feed.last_good_at,
            last_error=feed.last_error,
            next_fetch_at=feed.next_fetch_at,
            created_at=feed.created_at,
        )


class CalendarFeedListOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=listed)

    items: list[CalendarFeedOut] = Field(description="The organization's external calendars")


def _token_out(row: CalendarToken) -> CalendarTokenOut:
    return CalendarTokenOut.model_validate(row)


@tokens_router.post(
    "",
    status_code=201,
    response_model=NewCalendarTokenOut,
    summary="Make a calendar feed address",
    responses=errors(
        (404, "schedule_not_found", "schedule not found"),
        (422, "schedule_required", "a schedule feed names its schedule"),
    ),
)
def create_token(
    org_id: str, body: CalendarTokenIn, caller: Caller = Depends(get_caller)
) -> NewCalendarTokenOut:
    """A secret address of an iCal feed of my shifts or a schedule's; the address is in this answer
    only (only a digest of it is kept). Any member for their own shifts, or a key with `write` for a
    schedule's."""
    runtime = caller.runtime
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True) as (s, access):
        made = calendar_tokens.create_token(
            s,
            org_id=org_id,
            kind=CalendarTokenKind(body.kind.value),
            subject_id=body.schedule_id if body.kind == TokenKind.SCHEDULE else None,
            actor=access.actor,
            key=runtime.calendar_token_key,
            now=runtime.clock.now(),
        )
        return NewCalendarTokenOut(
            **_token_out(made.row).model_dump(), url=made.url(runtime.settings.public_base_url)
        )


@tokens_router.get("", response_model=CalendarTokenListOut, summary="List calendar feed addresses")
def list_tokens(org_id: str, caller: Caller = Depends(get_caller)) -> CalendarTokenListOut:
    """The organization's schedule feeds and my own, revoked ones too. Any member, or a key with
    `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, access):
        rows = calendar_tokens.visible_tokens(s, org_id=org_id, actor=access.actor)
        return CalendarTokenListOut(items=[_token_out(row) for row in rows])


@tokens_router.delete(
    "/{token_id}",
    status_code=204,
    summary="Revoke a calendar feed address",
    responses=errors((404, "calendar_token_not_found", "no calendar feed with this id")),
)
def revoke_token(org_id: str, token_id: str, caller: Caller = Depends(get_caller)) -> None:
    """The feed's address answers 404 from now on. Any member, for the feeds they may see, or a
    key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True) as (s, access):
        calendar_tokens.revoke_token(
            s, org_id=org_id, token_id=token_id, actor=access.actor, now=now
        )


@public_router.get(
    "/v1/calendars/{token}.ics",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/calendar": {
                    "schema": {"type": "string"},
                    "example": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Tocsin//EN\r\n"
                    "BEGIN:VEVENT\r\nSUMMARY:On call: Platform primary\r\n"
                    "DTSTART:20250101T090000Z\r\nDTEND:20250108T090000Z\r\nEND:VEVENT\r\n"
                    "END:VCALENDAR\r\n",
                }
            },
            "description": "The shifts of a week back and 60 days ahead (RFC 5545)",
        },
        **errors((404, "calendar_not_found", "no calendar at this address")),
    },
    summary="Read a calendar feed of shifts",
    openapi_extra=PUBLIC,
)
def calendar_feed(token: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    """An iCal feed of shifts. No credentials: the address is the secret; a revoked or unknown
    one answers 404. Anyone with the address."""
    with runtime.database.read() as session:
        data = feeds_out.token_feed(
            session, secret=token, key=runtime.calendar_token_key, now=runtime.clock.now()
        )
    if data is None:
        raise NotFound("no calendar at this address", code="calendar_not_found")
    return Response(
        data,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


@feeds_router.post(
    "",
    status_code=201,
    response_model=CalendarFeedOut,
    summary="Add an external calendar",
    responses=errors((422, "provider_host_not_allowed", "the calendar's host is not public")),
)
def add_feed(
    org_id: str, body: CalendarFeedIn, caller: Caller = Depends(get_caller)
) -> CalendarFeedOut:
    """An external calendar for schedule layers to read (`{"calendar_id": ...}`); fetched at once,
    then every 15 minutes. Public https addresses only. Admins and owners, or a key with `write`."""
    runtime = caller.runtime

    def add(hosts: HostPolicy) -> CalendarFeedOut:
        with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
            feed = calendar_feeds.add_feed(
                s,
                org_id=org_id,
                name=body.name,
                url=body.url,
                policy=hosts,
                actor=access.actor,
                now=runtime.clock.now(),
            )
            return CalendarFeedOut.of(feed)

    return looked_up_first(runtime.provider_hosts, add)


@feeds_router.get("", response_model=CalendarFeedListOut, summary="List external calendars")
def list_feeds(org_id: str, caller: Caller = Depends(get_caller)) -> CalendarFeedListOut:
    """The organization's external calendars and how their fetches go. Any member, or a key with
    `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        rows = calendar_feeds.list_feeds(s, org_id=org_id)
        return CalendarFeedListOut(items=[CalendarFeedOut.of(row) for row in rows])


@feeds_router.delete(
    "/{calendar_id}",
    status_code=204,
    summary="Remove an external calendar",
    responses=errors(
        (404, "calendar_not_found", "calendar not found"),
        (409, "calendar_in_use", "a schedule layer reads this calendar"),
    ),
)
def remove_feed(org_id: str, calendar_id: str, caller: Caller = Depends(get_caller)) -> None:
    """Gone, unless a schedule layer still reads it (409 `calendar_in_use`). Admins and owners, or a
    key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        calendar_feeds.remove_feed(
            s, org_id=org_id, feed_id=calendar_id, actor=access.actor, now=now
        )


@feeds_router.post(
    "/{calendar_id}/refresh",
    status_code=202,
    response_model=CalendarFeedOut,
    summary="Fetch an external calendar soon",
    responses=errors((404, "calendar_not_found", "calendar not found")),
)
def refresh_feed(
    org_id: str, calendar_id: str, caller: Caller = Depends(get_caller)
) -> CalendarFeedOut:
    """Fetch the calendar at the worker's next look (within a minute). Admins and owners, or a key
    with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, _):
        feed = calendar_feeds.refresh_soon(s, org_id=org_id, feed_id=calendar_id, now=now)
        return CalendarFeedOut.of(feed)
