"""Escalation policies API, scoped to one organization."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tocsin.accounts.models import Role, Scope
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.endpoints import commands, queries
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import Limit, PageOut, page_of
from tocsin.http.api.schemas.policies import EscalationIn, EscalationOut, EscalationPatch

router = APIRouter(
    prefix="/v1/orgs/{org_id}/escalations",
    tags=["escalations"],
    route_class=ApiRoute,
)


@router.post("", status_code=201, response_model=EscalationOut)
def create_escalation(
    org_id: str, body: EscalationIn, caller: Caller = Depends(get_caller)
) -> EscalationOut:
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        policy = commands.create_policy(
            s, org_id=org_id, name=body.name, steps=body.steps, actor=access.actor, now=now
        )
        return EscalationOut.model_validate(policy)


@router.get("", response_model=PageOut[EscalationOut])
def list_escalations(
    org_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[EscalationOut]:
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        page = queries.list_policies(s, org_id=org_id, limit=limit, cursor=cursor)
        return page_of(page, EscalationOut)


@router.get("/{escalation_id}", response_model=EscalationOut)
def get_escalation(
    org_id: str, escalation_id: str, caller: Caller = Depends(get_caller)
) -> EscalationOut:
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        policy = queries.get_policy(s, org_id=org_id, policy_id=escalation_id)
        return EscalationOut.model_validate(policy)


@router.patch("/{escalation_id}", response_model=EscalationOut)
def update_escalation(
    org_id: str, escalation_id: str, body: EscalationPatch, caller: Caller = Depends(get_caller)
) -> EscalationOut:
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


@router.delete("/{escalation_id}", status_code=204)
def delete_escalation(
    org_id: str, escalation_id: str, caller: Caller = Depends(get_caller)
) -> None:
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        commands.delete_policy(
            s, org_id=org_id, policy_id=escalation_id, actor=access.actor, now=now
        )
