"""Rotations API, scoped to one organization."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tocsin.accounts.models import Role, Scope
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import Limit, PageOut, errors, page_of
from tocsin.http.api.schemas.oncall import RotationIn, RotationOut, RotationPatch
from tocsin.oncall import rotations
from tocsin.oncall.rotations import Shape

router = APIRouter(
    prefix="/v1/orgs/{org_id}/rotations",
    tags=["rotations"],
    route_class=ApiRoute,
)


@router.post(
    "",
    status_code=201,
    response_model=RotationOut,
    summary="Create a rotation",
    responses=errors(
        (422, "invalid_participants", "a rotation has 1 to 50 participants"),
        (404, "project_not_found", "project not found"),
    ),
)
def create_rotation(
    org_id: str, body: RotationIn, caller: Caller = Depends(get_caller)
) -> RotationOut:
    """Members taking turns on call, shift after shift, which schedule layers name. Admins and
    owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        row = rotations.create_rotation(
            s,
            org_id=org_id,
            name=body.name,
            shape=Shape(
                unit=body.unit.value,
                count=body.count,
                handoff_time=body.handoff_time,
                timezone=body.timezone,
                start_at=body.start_at,
            ),
            participants=body.participants,
            project_id=body.project_id,
            actor=access.actor,
            now=now,
        )
        return RotationOut.model_validate(row)


@router.get("", response_model=PageOut[RotationOut], summary="List rotations")
def list_rotations(
    org_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[RotationOut]:
    """Any member, or a key with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        page = rotations.list_rotations(s, org_id=org_id, limit=limit, cursor=cursor)
        return page_of(page, RotationOut)


@router.get(
    "/{rotation_id}",
    response_model=RotationOut,
    summary="Get a rotation",
    responses=errors((404, "rotation_not_found", "rotation not found")),
)
def get_rotation(
    org_id: str, rotation_id: str, caller: Caller = Depends(get_caller)
) -> RotationOut:
    """Any member, or a key with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        row = rotations.get_rotation(s, org_id=org_id, rotation_id=rotation_id)
        return RotationOut.model_validate(row)


@router.patch(
    "/{rotation_id}",
    response_model=RotationOut,
    summary="Update a rotation",
    responses=errors(
        (404, "rotation_not_found", "rotation not found"),
        (422, "invalid_participants", "a rotation has 1 to 50 participants"),
    ),
)
def update_rotation(
    org_id: str, rotation_id: str, body: RotationPatch, caller: Caller = Depends(get_caller)
) -> RotationOut:
    """Admins and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        row = rotations.update_rotation(
            s,
            org_id=org_id,
            rotation_id=rotation_id,
            actor=access.actor,
            now=now,
            name=body.name,
            unit=body.unit.value if body.unit is not None else None,
            count=body.count,
            handoff_time=body.handoff_time,
            timezone=body.timezone,
            start_at=body.start_at,
            participants=body.participants,
            project_id=body.project_id,
            clear_project="project_id" in body.model_fields_set and body.project_id is None,
        )
        return RotationOut.model_validate(row)


@router.delete(
    "/{rotation_id}",
    status_code=204,
    summary="Delete a rotation",
    responses=errors(
        (404, "rotation_not_found", "rotation not found"),
        (409, "rotation_in_use", "a schedule layer names this rotation"),
    ),
)
def delete_rotation(org_id: str, rotation_id: str, caller: Caller = Depends(get_caller)) -> None:
    """Delete a rotation no schedule layer names. Admins and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        rotations.delete_rotation(
            s, org_id=org_id, rotation_id=rotation_id, actor=access.actor, now=now
        )
