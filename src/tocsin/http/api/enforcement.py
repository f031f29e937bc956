"""The trust and safety console's API: enforcement actions, for platform administrators, and
what an organization can see of the actions about it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from tocsin.accounts.models import Role, Scope
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import Limit, PageOut, errors, page_of
from tocsin.http.api.schemas.trust import EnforcementIn, EnforcementOut, EnforcementTaken
from tocsin.trust import enforcement, queries

router = APIRouter(route_class=ApiRoute, tags=["trust and safety"])


@router.post(
    "/v1/admin/enforcement",
    status_code=201,
    response_model=EnforcementTaken,
    summary="Take an enforcement action",
    responses=errors(
        (404, "org_not_found", "organization not found"),
        (422, "invalid_end", "ends_at must be in the future"),
    ),
)
def take_action(body: EnforcementIn, caller: Caller = Depends(get_caller)) -> EnforcementTaken:
    """Warn, suspend or terminate a user, organization, endpoint or number, at once. Platform
    administrators only."""
    now = caller.runtime.clock.now()
    with caller.platform_admin(write=True) as (session, actor):
        action, cancelled = enforcement.take_action(
            session,
            kind=body.kind,
            scope=body.scope,
            target=body.target,
            reason=body.reason,
            actor=actor,
            now=now,
            ends_at=body.ends_at,
            digest_key=caller.runtime.billing_digest_key,
        )
        return EnforcementTaken(
            **EnforcementOut.model_validate(action).model_dump(), calls_cancelled=cancelled
        )


@router.get(
    "/v1/admin/enforcement",
    response_model=PageOut[EnforcementOut],
    summary="List enforcement actions",
)
def list_actions(
    org_id: str | None = Query(None),
    target: str | None = Query(None, description="A user, organization or endpoint id"),
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[EnforcementOut]:
    """Platform administrators only."""
    with caller.platform_admin(write=False) as (session, _):
        page = queries.actions_about(
            session, org_id=org_id, target_id=target, limit=limit, cursor=cursor
        )
        return page_of(page, EnforcementOut)


@router.post(
    "/v1/admin/enforcement/{action_id}/lift",
    response_model=EnforcementOut,
    summary="Lift an enforcement action",
    responses=errors(
        (404, "action_not_found", "enforcement action not found"),
        (409, "action_lifted", "this action is lifted already"),
    ),
)
def lift_action(action_id: str, caller: Caller = Depends(get_caller)) -> EnforcementOut:
    """Platform administrators only."""
    now = caller.runtime.clock.now()
    with caller.platform_admin(write=True) as (session, actor):
        return EnforcementOut.model_validate(
            enforcement.lift(session, action_id=action_id, actor=actor, now=now)
        )


@router.get(
    "/v1/orgs/{org_id}/enforcement",
    response_model=PageOut[EnforcementOut],
    summary="List the actions about this organization",
)
def org_actions(
    org_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[EnforcementOut]:
    """Every action taken about this organization or its endpoints, newest first. Any member, or a
    key with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        page = queries.actions_about(s, org_id=org_id, limit=limit, cursor=cursor)
        return page_of(page, EnforcementOut)
