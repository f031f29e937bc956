"""Caller IDs API: the numbers an organization may show on its calls and texts, each usable once
proven by a code to the number or by a provider account's own records."""

from __future__ import annotations

import asyncio
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from tocsin.accounts.models import Role
from tocsin.callerids import commands
from tocsin.callerids.ownership import check_with_provider
from tocsin.contacts.verify import Pending, deliver
from tocsin.core.actors import Actor
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import CODE_NOT_SENT, CreatedAt, OwnId, errors
from tocsin.http.api.schemas.trust import VerificationIn, VerificationOut
from tocsin.numbers.verification import Requester
from tocsin.providers.caller_ids import get_caller_id, list_caller_ids
from tocsin.providers.models import CallerId

router = APIRouter(
    prefix="/v1/orgs/{org_id}/caller-ids",
    tags=["caller IDs"],
    route_class=ApiRoute,
)


class CallerIdIn(BaseModel):
    number: str = Field(max_length=40, description="The number, E.164 or national")
    region: str | None = Field(
        default=None, max_length=2, description="Country of a national number (ISO 3166)"
    )


class CallerIdCodeIn(BaseModel):
    code: str = Field(min_length=1, max_length=20, description="The 6-digit code")


class OwnershipIn(BaseModel):
    account_id: str = Field(
        max_length=40, description="The provider account whose own records prove the number"
    )


class CallerIdOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    number: str
    proven: bool
    # `code` (usable through every provider account) or `provider` (only through
    # `proven_account_id`); null until proven.
    proof: str | None
    proven_account_id: str | None
    proven_how: str | None
    proven_at: datetime | None
    created_at: CreatedAt

    @classmethod
    def of(cls, caller_id: CallerId) -> CallerIdOut:
        return cls.model_validate(caller_id)


class CallerIdListOut(BaseModel):
    items: list[CallerIdOut]


@router.post("", status_code=201, response_model=CallerIdOut)
def add(org_id: str, body: CallerIdIn, caller: Caller = Depends(get_caller)) -> CallerIdOut:
    """Add a number; it is not usable until proven."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        caller_id = commands.add_caller_id(
            session,
            org_id=org_id,
            number=body.number,
            region=body.region,
            actor=access.actor,
            now=now,
        )
        session.flush()
        return CallerIdOut.of(caller_id)


@router.get("", response_model=CallerIdListOut)
def list_all(org_id: str, caller: Caller = Depends(get_caller)) -> CallerIdListOut:
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=False) as (session, _):
        rows = list_caller_ids(session, org_id=org_id)
        return CallerIdListOut(items=[CallerIdOut.of(row) for row in rows])


@router.delete("/{caller_id_id}", status_code=204)
def remove(org_id: str, caller_id_id: str, caller: Caller = Depends(get_caller)) -> None:
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        commands.remove_caller_id(
            session, org_id=org_id, caller_id_id=caller_id_id, actor=access.actor, now=now
        )


@router.post(
    "/{caller_id_id}/code",
    status_code=202,
    response_model=VerificationOut,
    responses=errors(CODE_NOT_SENT),
)
async def send_code(
    org_id: str,
    caller_id_id: str,
    request: Request,
    body: VerificationIn | None = None,
    caller: Caller = Depends(get_caller),
) -> VerificationOut:
    """Send a 6-digit code to the number, by call or SMS, in the platform's own words and from
    its own number; typing it back into `.../confirm` within 15 minutes proves the number."""
    runtime = caller.runtime
    channel = (body or VerificationIn()).channel
    user_agent = request.headers.get("user-agent")

    def issue() -> Pending:
        with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (s, access):
            return commands.issue_code(
                s,
                runtime,
                org_id=org_id,
                caller_id_id=caller_id_id,
                channel=channel,
                requester=Requester(access.actor, user_agent),
                now=runtime.clock.now(),
            )

    pending = await asyncio.to_thread(issue)
    await deliver(runtime, pending)
    return VerificationOut.of(pending.issued.verification)


@router.post("/{caller_id_id}/confirm", response_model=CallerIdOut)
def confirm(
    org_id: str, caller_id_id: str, body: CallerIdCodeIn, caller: Caller = Depends(get_caller)
) -> CallerIdOut:
    """Check the code sent to the number; when right, the caller ID is proven."""
    runtime = caller.runtime
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        result = commands.confirm_code(
            session,
            runtime,
            org_id=org_id,
            caller_id_id=caller_id_id,
            code=body.code,
            actor=access.actor,
            now=runtime.clock.now(),
        )
        if result.error() is None:
            return CallerIdOut.of(get_caller_id(session, org_id=org_id, caller_id_id=caller_id_id))
    # Outside the transaction, so the wrong guess it counted is kept.
    refusal = result.error()
    if refusal is None:
        raise RuntimeError("a confirmed code proved nothing")
    raise refusal


@router.post(
    "/{caller_id_id}/check",
    response_model=CallerIdOut,
    responses=errors((502, "caller_id_check_failed", "the provider account could not be asked")),
)
async def check(
    org_id: str, caller_id_id: str, body: OwnershipIn, caller: Caller = Depends(get_caller)
) -> CallerIdOut:
    """Ask the provider account whether it owns the number (or, Twilio, has it as a verified
    caller ID); when it does, the caller ID is proven, usable through that account only."""

    def who() -> Actor:
        with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=False) as (_, access):
            return access.actor

    actor = await asyncio.to_thread(who)
    result = await check_with_provider(
        caller.runtime,
        org_id=org_id,
        caller_id_id=caller_id_id,
        account_id=body.account_id,
        actor=actor,
    )
    refusal = result.error()
    if refusal is not None:
        raise refusal
    return CallerIdOut.of(result.caller_id)
