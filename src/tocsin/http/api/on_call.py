"""Who is on call, scoped to one organization: now (per schedule and per project), a schedule's
shifts and timeline, and a member's shifts (yours at /me/shifts)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from tocsin.accounts.models import Role, Scope
from tocsin.core.errors import Forbidden, InvalidInput
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import errors
from tocsin.http.api.schemas.oncall import (
    Instant,
    OnCallOut,
    ProjectOnCallOut,
    SegmentOut,
    ShiftOut,
    ShiftsOut,
    TimelineOut,
    holders_out,
    on_call_out,
)
from tocsin.oncall import who
from tocsin.oncall.who import MAX_NEXT, Shifts, Window

router = APIRouter(prefix="/v1/orgs/{org_id}", tags=["on-call"], route_class=ApiRoute)

At = Annotated[
    Instant | None, Query(description="The instant asked about (RFC 3339); now when left out")
]
From = Annotated[Instant | None, Query(alias="from", description="Window start (RFC 3339)")]
Until = Annotated[
    Instant | None,
    Query(description=f"Window end (RFC 3339), at most {who.MAX_WINDOW.days} days after from"),
]
Next = Annotated[
    int,
    Query(
        alias="next",
        description="Without a window: the shift in progress and the next ones, this many",
        json_schema_extra={"minimum": 1, "maximum": MAX_NEXT},
    ),
]


def _window(starts_at: datetime | None, ends_at: datetime | None) -> Window | None:
    """A window when both ends are given; none when neither is."""
    if starts_at is None and ends_at is None:
        return None
    if starts_at is None or ends_at is None:
        raise InvalidInput("give both from and until, or neither", code="invalid_window")
    return who.checked_window(starts_at, ends_at)


def _shifts_out(found: Shifts) -> ShiftsOut:
    return ShiftsOut(
        items=[
            ShiftOut(
                schedule_id=schedule_id,
                user_id=shift.user_id,
                name=found.names.get(shift.user_id, shift.user_id),
                starts_at=shift.starts_at,
                ends_at=shift.ends_at,
            )
            for schedule_id, shift in found.items
        ]
    )


@router.get(
    "/schedules/{schedule_id}/on-call",
    response_model=OnCallOut,
    summary="Who is on call on a schedule",
    responses=errors((404, "schedule_not_found", "schedule not found")),
)
def schedule_on_call(
    org_id: str, schedule_id: str, at: At = None, caller: Caller = Depends(get_caller)
) -> OnCallOut:
    """Who is on call at `at` (now by default) and why. Any member, or a key with `read`."""
    instant = at or caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        now = who.on_call_now(s, org_id=org_id, schedule_id=schedule_id, at=instant)
        return on_call_out(now, instant)


@router.get(
    "/schedules/{schedule_id}/shifts",
    response_model=ShiftsOut,
    summary="A schedule's shifts",
    responses=errors(
        (404, "schedule_not_found", "schedule not found"),
        (422, "invalid_window", "give both from and until, or neither"),
    ),
)
def schedule_shifts(
    org_id: str,
    schedule_id: str,
    starts_at: From = None,
    until: Until = None,
    count: Next = 10,
    caller: Caller = Depends(get_caller),
) -> ShiftsOut:
    """The shifts in the window, or the shift in progress and the next ones. Any member, or a key
    with `read`."""
    window = _window(starts_at, until)
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        found = who.schedule_shifts(
            s,
            org_id=org_id,
            schedule_id=schedule_id,
            window=window,
            now=now,
            count=count,
        )
        return _shifts_out(found)


@router.get(
    "/schedules/{schedule_id}/timeline",
    response_model=TimelineOut,
    summary="A schedule's timeline",
    responses=errors(
        (404, "schedule_not_found", "schedule not found"),
        (422, "invalid_window", "give both from and until, or neither"),
    ),
)
def schedule_timeline(
    org_id: str,
    schedule_id: str,
    starts_at: From = None,
    until: Until = None,
    caller: Caller = Depends(get_caller),
) -> TimelineOut:
    """Segments tiling the window (two weeks from now by default), each with who is on call
    and why; a segment with nobody is a gap. Any member, or a key with `read`."""
    now = caller.runtime.clock.now()
    window = _window(starts_at, until) or who.checked_window(now, now + who.TWO_WEEKS)
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        found = who.timeline(s, org_id=org_id, schedule_id=schedule_id, window=window)
        return TimelineOut(
            schedule_id=schedule_id,
            segments=[
                SegmentOut(
                    starts_at=segment.starts_at,
                    ends_at=segment.ends_at,
                    holders=holders_out(segment.on_call.holders, found.names),
                )
                for segment in found.segments
            ],
        )


@router.get(
    "/projects/{project_id}/on-call",
    response_model=ProjectOnCallOut,
    summary="Who is on call in a project",
    responses=errors((404, "project_not_found", "project not found")),
)
def project_on_call(
    org_id: str, project_id: str, at: At = None, caller: Caller = Depends(get_caller)
) -> ProjectOnCallOut:
    """Who is on call at `at` (now by default) in each of the project's schedules. Any member, or a
    key with `read`."""
    instant = at or caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        found = who.project_on_call(s, org_id=org_id, project_id=project_id, at=instant)
        return ProjectOnCallOut(
            project_id=project_id,
            at=instant,
            schedules=[on_call_out(now, instant) for now in found],
        )


@router.get(
    "/projects/{project_id}/shifts",
    response_model=ShiftsOut,
    summary="A project's shifts",
    responses=errors(
        (404, "project_not_found", "project not found"),
        (422, "invalid_window", "give both from and until, or neither"),
    ),
)
def project_shifts(
    org_id: str,
    project_id: str,
    starts_at: From = None,
    until: Until = None,
    count: Next = 10,
    caller: Caller = Depends(get_caller),
) -> ShiftsOut:
    """The shifts of every schedule of the project, by start. Any member, or a key with `read`."""
    window = _window(starts_at, until)
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        found = who.project_shifts(
            s,
            org_id=org_id,
            project_id=project_id,
            window=window,
            now=now,
            count=count,
        )
        return _shifts_out(found)


@router.get(
    "/people/{user_id}/shifts",
    response_model=ShiftsOut,
    summary="A member's shifts",
    responses=errors(
        (404, "member_not_found", "member not found"),
        (422, "invalid_window", "give both from and until, or neither"),
    ),
)
def member_shifts(
    org_id: str,
    user_id: str,
    starts_at: From = None,
    until: Until = None,
    count: Next = 10,
    caller: Caller = Depends(get_caller),
) -> ShiftsOut:
    """The member's shifts on every schedule, by start. Any member, or a key with `read`."""
    window = _window(starts_at, until)
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        found = who.member_shifts(
            s,
            org_id=org_id,
            user_id=user_id,
            window=window,
            now=now,
            count=count,
        )
        return _shifts_out(found)


@router.get(
    "/me/shifts",
    response_model=ShiftsOut,
    summary="My shifts",
    responses=errors(
        (422, "invalid_window", "give both from and until, or neither"),
        (403, "user_required", "this action needs a signed-in user"),
    ),
)
def my_shifts(
    org_id: str,
    starts_at: From = None,
    until: Until = None,
    count: Next = 10,
    caller: Caller = Depends(get_caller),
) -> ShiftsOut:
    """The signed-in member's own shifts; an API key is nobody's. A signed-in member."""
    window = _window(starts_at, until)
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, access):
        if access.principal.kind != "user":
            raise Forbidden("this needs a signed-in user", code="user_required")
        found = who.member_shifts(
            s,
            org_id=org_id,
            user_id=access.principal.id,
            window=window,
            now=now,
            count=count,
        )
        return _shifts_out(found)
