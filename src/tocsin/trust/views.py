"""The do-not-call list API: numbers the organization will not call again."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from tocsin.accounts.models import Organization, Role, Scope
from tocsin.api.deps import Caller, get_caller
from tocsin.api.schemas import ERROR_RESPONSES, PageOut, page_of
from tocsin.delivery.opt_out import stop_calling
from tocsin.pagination import DEFAULT_LIMIT
from tocsin.trust import do_not_call
from tocsin.trust.schemas import DoNotCallAdded, DoNotCallIn, DoNotCallOut

router = APIRouter(
    prefix="/v1/orgs/{org_id}/do-not-call", tags=["do-not-call"], responses=ERROR_RESPONSES
)


@router.post("", status_code=201, response_model=DoNotCallAdded)
def add_number(
    org_id: str, body: DoNotCallIn, caller: Caller = Depends(get_caller)
) -> DoNotCallAdded:
    """Stop calling a number for this organization, at once; queued calls to it are cancelled
    and their escalations move on. Any member may do this."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True) as (s, access):
        org = s.get(Organization, org_id)
        region = body.region or (org.home_region if org else None)
        entry, cancelled = stop_calling(
            s,
            org_id=org_id,
            number=do_not_call.e164_of(body.number, region),
            source="api",
            actor=access.actor,
            now=now,
        )
        return DoNotCallAdded(
            **DoNotCallOut.model_validate(entry).model_dump(), calls_cancelled=cancelled
        )


@router.get("", response_model=PageOut[DoNotCallOut])
def list_numbers(
    org_id: str,
    limit: int = Query(DEFAULT_LIMIT),
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[DoNotCallOut]:
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        page = do_not_call.list_entries(s, org_id=org_id, limit=limit, cursor=cursor)
        return page_of(page, DoNotCallOut)
