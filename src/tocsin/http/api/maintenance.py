"""Maintenance windows and silences API, scoped to one organization: alerts they cover are
recorded and call nobody until they end (docs/maintenance.md)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Query

from tocsin.accounts.models import Role, Scope
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import Limit, PageOut, errors
from tocsin.http.api.schemas.maintenance import MatcherIn, WindowIn, WindowOut, WindowPatch
from tocsin.maintenance import commands, matchers, queries
from tocsin.maintenance.queries import WindowState

router = APIRouter(
    prefix="/v1/orgs/{org_id}/maintenance-windows",
    tags=["maintenance"],
    route_class=ApiRoute,
)


def _matchers(items: list[MatcherIn]) -> tuple[matchers.Matcher, ...]:
    return tuple(matchers.matcher(item.name, item.op.value, item.value) for item in items)


def _minutes(value: int | None) -> timedelta | None:
    return timedelta(minutes=value) if value is not None else None


@router.post(
    "",
    status_code=201,
    response_model=WindowOut,
    summary="Create a maintenance window",
    responses=errors(
        (422, "invalid_rrule", "rrule: FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY"),
        (422, "window_in_past", "the window is over before it starts"),
    ),
)
def create_window(org_id: str, body: WindowIn, caller: Caller = Depends(get_caller)) -> WindowOut:
    """A window; left without starts_at it starts now (a silence "for an hour": give
    duration_minutes). Admins and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        window = commands.create_window(
            s,
            org_id=org_id,
            spec=commands.WindowSpec(
                reason=body.reason,
                scope=body.scope.value,
                target_id=body.target_id,
                matchers=_matchers(body.matchers),
                starts_at=body.starts_at,
                ends_at=body.ends_at,
                duration=_minutes(body.duration_minutes),
                rrule=body.rrule,
                timezone=body.timezone,
                page_after=body.page_after,
            ),
            actor=access.actor,
            now=now,
        )
        return WindowOut.of(queries.view(window, now))


@router.get("", response_model=PageOut[WindowOut], summary="List maintenance windows")
def list_windows(
    org_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    # Checked by the query, which names its refusal (`invalid_state`).
    state: str | None = Query(
        None,
        description="active or upcoming (one page, soonest first), or past (newest first)",
        json_schema_extra={"enum": [item.value for item in WindowState]},
    ),
    caller: Caller = Depends(get_caller),
) -> PageOut[WindowOut]:
    """Any member, or a key with `read`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        page = queries.list_windows(
            s, org_id=org_id, now=now, state=state, limit=limit, cursor=cursor
        )
        return PageOut[WindowOut](
            items=[WindowOut.of(found) for found in page.items], next_cursor=page.next_cursor
        )


@router.get(
    "/{window_id}",
    response_model=WindowOut,
    summary="Get a maintenance window",
    responses=errors((404, "window_not_found", "maintenance window not found")),
)
def get_window(org_id: str, window_id: str, caller: Caller = Depends(get_caller)) -> WindowOut:
    """Any member, or a key with `read`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        window = queries.get_window(s, org_id=org_id, window_id=window_id)
        return WindowOut.of(queries.view(window, now))


@router.patch(
    "/{window_id}",
    response_model=WindowOut,
    summary="Update a maintenance window",
    responses=errors(
        (404, "window_not_found", "maintenance window not found"),
        (422, "invalid_rrule", "rrule: FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY"),
        (422, "window_in_past", "the window is over before it starts"),
    ),
)
def update_window(
    org_id: str, window_id: str, body: WindowPatch, caller: Caller = Depends(get_caller)
) -> WindowOut:
    """Change a window; alerts it muted are looked at again: those it still covers wait for its new
    end, the others page now (unless it does not page when it ends). Admins and owners, or a key
    with `write`."""
    now = caller.runtime.clock.now()
    given = body.model_fields_set
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        window = commands.update_window(
            s,
            org_id=org_id,
            window_id=window_id,
            change=commands.WindowChange(
                reason=body.reason,
                scope=body.scope.value if body.scope is not None else None,
                target_id=body.target_id,
                matchers=_matchers(body.matchers) if body.matchers is not None else None,
                starts_at=body.starts_at,
                ends_at=body.ends_at,
                duration=_minutes(body.duration_minutes),
                rrule=body.rrule,
                clear_rrule="rrule" in given and body.rrule is None,
                timezone=body.timezone,
                page_after=body.page_after,
            ),
            actor=access.actor,
            now=now,
        )
        answer = WindowOut.of(queries.view(window, now))
    caller.runtime.notify_new_jobs()
    return answer


@router.post(
    "/{window_id}/end",
    response_model=WindowOut,
    summary="End a maintenance window now",
    responses=errors(
        (404, "window_not_found", "maintenance window not found"),
        (409, "window_not_active", "the window is not in force now"),
    ),
)
def end_window(org_id: str, window_id: str, caller: Caller = Depends(get_caller)) -> WindowOut:
    """End the occurrence in force now (409 `window_not_active` when none is); a recurring
    window comes back at its next occurrence. Admins and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        window = commands.end_window(
            s, org_id=org_id, window_id=window_id, actor=access.actor, now=now
        )
        answer = WindowOut.of(queries.view(window, now))
    caller.runtime.notify_new_jobs()
    return answer


@router.delete(
    "/{window_id}",
    status_code=204,
    summary="Delete a maintenance window",
    responses=errors((404, "window_not_found", "maintenance window not found")),
)
def delete_window(org_id: str, window_id: str, caller: Caller = Depends(get_caller)) -> None:
    """Delete a window: alerts it muted that are still open page now. Admins and owners, or a key
    with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        commands.delete_window(s, org_id=org_id, window_id=window_id, actor=access.actor, now=now)
    caller.runtime.notify_new_jobs()
