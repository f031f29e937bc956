"""Schedules API, scoped to one organization: schedules and their layers, overrides and
temporary schedules."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tocsin.accounts.models import Role, Scope
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import Limit, PageOut, errors, page_of
from tocsin.http.api.schemas.oncall import (
    OverrideIn,
    OverrideOut,
    ScheduleIn,
    ScheduleOut,
    SchedulePatch,
    TemporaryIn,
    TemporaryOut,
)
from tocsin.oncall import overrides, schedules, temporaries
from tocsin.oncall.temporaries import TemporaryShift

router = APIRouter(
    prefix="/v1/orgs/{org_id}/schedules",
    tags=["schedules"],
    route_class=ApiRoute,
)


@router.post(
    "",
    status_code=201,
    response_model=ScheduleOut,
    summary="Create a schedule",
    responses=errors(
        (404, "rotation_not_found", "rotation not found"),
        (422, "invalid_layers", "layers[0]: name one of rotation_id, user_ids or calendar_id"),
    ),
)
def create_schedule(
    org_id: str, body: ScheduleIn, caller: Caller = Depends(get_caller)
) -> ScheduleOut:
    """Who is on call when: layers of rotations, members or an external calendar, stored lowest
    first. Admins and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        row = schedules.create_schedule(
            s,
            org_id=org_id,
            name=body.name,
            timezone=body.timezone,
            layers=body.layers,
            project_id=body.project_id,
            actor=access.actor,
            now=now,
        )
        return ScheduleOut.model_validate(row)


@router.get("", response_model=PageOut[ScheduleOut], summary="List schedules")
def list_schedules(
    org_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[ScheduleOut]:
    """Any member, or a key with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        page = schedules.list_schedules(s, org_id=org_id, limit=limit, cursor=cursor)
        return page_of(page, ScheduleOut)


@router.get(
    "/{schedule_id}",
    response_model=ScheduleOut,
    summary="Get a schedule",
    responses=errors((404, "schedule_not_found", "schedule not found")),
)
def get_schedule(
    org_id: str, schedule_id: str, caller: Caller = Depends(get_caller)
) -> ScheduleOut:
    """Any member, or a key with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        row = schedules.get_schedule(s, org_id=org_id, schedule_id=schedule_id)
        return ScheduleOut.model_validate(row)


@router.patch(
    "/{schedule_id}",
    response_model=ScheduleOut,
    summary="Update a schedule",
    responses=errors(
        (404, "schedule_not_found", "schedule not found"),
        (404, "rotation_not_found", "rotation not found"),
        (422, "invalid_layers", "layers[0]: name one of rotation_id, user_ids or calendar_id"),
    ),
)
def update_schedule(
    org_id: str, schedule_id: str, body: SchedulePatch, caller: Caller = Depends(get_caller)
) -> ScheduleOut:
    """Admins and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        row = schedules.update_schedule(
            s,
            org_id=org_id,
            schedule_id=schedule_id,
            actor=access.actor,
            now=now,
            name=body.name,
            timezone=body.timezone,
            layers=body.layers,
            project_id=body.project_id,
            clear_project="project_id" in body.model_fields_set and body.project_id is None,
        )
        return ScheduleOut.model_validate(row)


@router.delete(
    "/{schedule_id}",
    status_code=204,
    summary="Delete a schedule",
    responses=errors(
        (404, "schedule_not_found", "schedule not found"),
        (409, "schedule_in_use", "an endpoint's rules name this schedule"),
    ),
)
def delete_schedule(org_id: str, schedule_id: str, caller: Caller = Depends(get_caller)) -> None:
    """Delete a schedule nothing names. Admins and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        schedules.delete_schedule(
            s, org_id=org_id, schedule_id=schedule_id, actor=access.actor, now=now
        )


# Overrides --------------------------------------------------------------------------------------


@router.get(
    "/{schedule_id}/overrides",
    response_model=PageOut[OverrideOut],
    summary="List a schedule's overrides",
    responses=errors((404, "schedule_not_found", "schedule not found")),
)
def list_overrides(
    org_id: str, schedule_id: str, caller: Caller = Depends(get_caller)
) -> PageOut[OverrideOut]:
    """The overrides not over yet, by start. Any member, or a key with `read`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        rows = overrides.list_overrides(s, org_id=org_id, schedule_id=schedule_id, ending_after=now)
        return PageOut[OverrideOut](
            items=[OverrideOut.model_validate(row) for row in rows], next_cursor=None
        )


@router.post(
    "/{schedule_id}/overrides",
    status_code=201,
    response_model=OverrideOut,
    summary="Override a schedule",
    responses=errors(
        (404, "schedule_not_found", "schedule not found"),
        (404, "member_not_found", "member not found"),
        (409, "too_many_overrides", "this schedule has as many overrides as it may"),
        (422, "invalid_period", "ends_at must be after starts_at"),
    ),
)
def add_override(
    org_id: str, schedule_id: str, body: OverrideIn, caller: Caller = Depends(get_caller)
) -> OverrideOut:
    """Add someone on call, replace someone, or take someone off, for a while. Admins and owners, or
    a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        row = overrides.add_override(
            s,
            org_id=org_id,
            schedule_id=schedule_id,
            kind=body.kind.value,
            user_id=body.user_id,
            replaces_user_id=body.replaces_user_id,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            note=body.note,
            actor=access.actor,
            now=now,
        )
        return OverrideOut.model_validate(row)


@router.delete(
    "/{schedule_id}/overrides/{override_id}",
    status_code=204,
    summary="Remove an override",
    responses=errors(
        (404, "schedule_not_found", "schedule not found"),
        (404, "override_not_found", "override not found"),
    ),
)
def remove_override(
    org_id: str, schedule_id: str, override_id: str, caller: Caller = Depends(get_caller)
) -> None:
    """Admins and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        overrides.remove_override(
            s,
            org_id=org_id,
            schedule_id=schedule_id,
            override_id=override_id,
            actor=access.actor,
            now=now,
        )


# Temporary schedules ----------------------------------------------------------------------------


@router.get(
    "/{schedule_id}/temporaries",
    response_model=PageOut[TemporaryOut],
    summary="List a schedule's temporary schedules",
    responses=errors((404, "schedule_not_found", "schedule not found")),
)
def list_temporaries(
    org_id: str, schedule_id: str, caller: Caller = Depends(get_caller)
) -> PageOut[TemporaryOut]:
    """The temporary schedules not over yet, by start. Any member, or a key with `read`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        rows = temporaries.list_temporaries(
            s, org_id=org_id, schedule_id=schedule_id, ending_after=now
        )
        return PageOut[TemporaryOut](
            items=[TemporaryOut.model_validate(row) for row in rows], next_cursor=None
        )


@router.post(
    "/{schedule_id}/temporaries",
    status_code=201,
    response_model=TemporaryOut,
    summary="Add a temporary schedule",
    responses=errors(
        (404, "schedule_not_found", "schedule not found"),
        (404, "member_not_found", "member not found"),
        (409, "temporary_overlaps", "another temporary schedule covers part of this time"),
        (422, "invalid_shifts", "the shifts must lie within the period"),
    ),
)
def add_temporary(
    org_id: str, schedule_id: str, body: TemporaryIn, caller: Caller = Depends(get_caller)
) -> TemporaryOut:
    """For a while, these shifts replace the whole schedule (nobody outside them). Admins and
    owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        row = temporaries.add_temporary(
            s,
            org_id=org_id,
            schedule_id=schedule_id,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            shifts=[
                TemporaryShift(shift.user_id, shift.starts_at, shift.ends_at)
                for shift in body.shifts
            ],
            note=body.note,
            actor=access.actor,
            now=now,
        )
        return TemporaryOut.model_validate(row)


@router.delete(
    "/{schedule_id}/temporaries/{temporary_id}",
    status_code=204,
    summary="Remove a temporary schedule",
    responses=errors(
        (404, "schedule_not_found", "schedule not found"),
        (404, "temporary_not_found", "temporary schedule not found"),
    ),
)
def remove_temporary(
    org_id: str, schedule_id: str, temporary_id: str, caller: Caller = Depends(get_caller)
) -> None:
    """Admins and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        temporaries.remove_temporary(
            s,
            org_id=org_id,
            schedule_id=schedule_id,
            temporary_id=temporary_id,
            actor=access.actor,
            now=now,
        )
