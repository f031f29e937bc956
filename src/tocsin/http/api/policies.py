"""Escalation policies API, scoped to one organization."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tocsin.accounts.models import Role, Scope
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.endpoints import commands, queries
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import Limit, PageOut, errors, page_of
from tocsin.http.api.schemas.policies import EscalationIn, EscalationOut, EscalationPatch

router = APIRouter(
    prefix="/v1/orgs/{org_id}/escalations",
    tags=["escalations"],
    route_class=ApiRoute,
)


_NOT_FOUND = (404, "escalation_not_found", "escalation policy not found")
_STEPS_REFUSED = (
    (404, "contact_not_found", "contact not found"),
    (409, "number_unverified", "Ada (+447400123456) cannot be called: verify it"),
    (422, "invalid_steps", "repeat can only be the last step"),
)


@router.post(
    "",
    status_code=201,
    response_model=EscalationOut,
    summary="Create an escalation policy",
    responses=errors(*_STEPS_REFUSED),
)
def create_escalation(
    org_id: str, body: EscalationIn, caller: Caller = Depends(get_caller)
) -> EscalationOut:
    """Who to call in turn until someone answers: calls, waits and a repeat, which an endpoint's
    rules name (`call_escalation`). Admins and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        policy = commands.create_policy(
            s, org_id=org_id, name=body.name, steps=body.steps, actor=access.actor, now=now
        )
        return EscalationOut.model_validate(policy)


@router.get("", response_model=PageOut[EscalationOut], summary="List escalation policies")
def list_escalations(
    org_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[EscalationOut]:
    """The organization's escalation policies. Any member, or a key with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        page = queries.list_policies(s, org_id=org_id, limit=limit, cursor=cursor)
        return page_of(page, EscalationOut)


@router.get(
    "/{escalation_id}",
    response_model=EscalationOut,
    summary="Get an escalation policy",
    responses=errors(_NOT_FOUND),
)
def get_escalation(
    org_id: str, escalation_id: str, caller: Caller = Depends(get_caller)
) -> EscalationOut:
    """One escalation policy and its steps. Any member, or a key with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        policy = queries.get_policy(s, org_id=org_id, policy_id=escalation_id)
        return EscalationOut.model_validate(policy)


@router.patch(
    "/{escalation_id}",
    response_model=EscalationOut,
    summary="Update an escalation policy",
    responses=errors(_NOT_FOUND, *_STEPS_REFUSED),
)
def update_escalation(
    org_id: str, escalation_id: str, body: EscalationPatch, caller: Caller = Depends(get_caller)
) -> EscalationOut:
    """Rename it or replace its steps; escalations already running keep the steps they began
    with. Admins and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        policy = commands.update_policy(
            s,
            org_id=org_id,
            policy_id=escalation_id,
            actor=access.actor,
            now=now,
            name=body.name,
            steps=body.steps,
        )
        return EscalationOut.model_validate(policy)


@router.delete(
    "/{escalation_id}",
    status_code=204,
    summary="Delete an escalation policy",
    responses=errors(
        _NOT_FOUND,
        (409, "escalation_in_use", "escalation policy is used by the rules of endpoint ep_..."),
    ),
)
def delete_escalation(
    org_id: str, escalation_id: str, caller: Caller = Depends(get_caller)
) -> None:
    """Delete a policy no endpoint's rules name. Admins and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        commands.delete_policy(
            s, org_id=org_id, policy_id=escalation_id, actor=access.actor, now=now
        )
