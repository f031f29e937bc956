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
from tocsin.http.api.schemas.common import CODE_NOT_SENT, CreatedAt, OwnId, errors, listed, shown
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
    model_config = shown({"number": "+442079460000"})

    number: str = Field(max_length=40, description="The number, E.164 or national")
    region: str | None = Field(
        default=None, max_length=2, description="Country of a national number (ISO 3166)"
    )


class CallerIdCodeIn(BaseModel):
    model_config = shown({"code": "482913"})

    code: str = Field(min_length=1, max_length=20, description="The 6-digit code")


class OwnershipIn(BaseModel):
    model_config = shown({"account_id": "prv_01m8ycrxap78197genycv3nvhg"})

    account_id: str = Field(
        max_length=40, description="The provider account whose own records prove the number"
    )


class CallerIdOut(BaseModel):
    model_config = shown(
        {
            "id": "cid_01m8ycrxap78197genycv3nvhg",
            "number": "+442079460000",
            "proven": True,
            "proof": "code",
            "proven_account_id": None,
            "proven_how": "call",
            "proven_at": "2025-01-01T12:05:00Z",
            "created_at": "2025-01-01T12:00:00Z",
        },
        from_attributes=True,
    )

    id: OwnId
    number: str = Field(description="The number, E.164")
    proven: bool = Field(description="Whether calls may present it")
    proof: str | None = Field(
        description="`code` (usable through every provider account) or `provider` (only "
        "through `proven_account_id`); null until proven"
    )
    proven_account_id: str | None = Field(
        description="The provider account whose records proved it"
    )
    proven_how: str | None = Field(description="How: call or sms for a code; the provider's record")
    proven_at: datetime | None = Field(description="When it was proven")
    created_at: CreatedAt

    @classmethod
    def of(cls, caller_id: CallerId) -> CallerIdOut:
        return cls.model_validate(caller_id)


class CallerIdListOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=listed)

    items: list[CallerIdOut] = Field(description="Every caller ID of the organization")


@router.post(
    "",
    status_code=201,
    response_model=CallerIdOut,
    summary="Add a caller ID",
    responses=errors(
        (409, "caller_id_exists", "this number is a caller ID already"),
        (422, "caller_id_refused", "this number cannot be a caller ID: premium_rate"),
    ),
)
def add(org_id: str, body: CallerIdIn, caller: Caller = Depends(get_caller)) -> CallerIdOut:
    """Add a number; it is not usable until proven. Admins and owners, signed in."""
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


@router.get("", response_model=CallerIdListOut, summary="List caller IDs")
def list_all(org_id: str, caller: Caller = Depends(get_caller)) -> CallerIdListOut:
    """The numbers the organization may show on its calls and texts. Admins and owners, signed
    in."""
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=False) as (session, _):
        rows = list_caller_ids(session, org_id=org_id)
        return CallerIdListOut(items=[CallerIdOut.of(row) for row in rows])


@router.delete(
    "/{caller_id_id}",
    status_code=204,
    summary="Remove a caller ID",
    responses=errors(
        (404, "caller_id_not_found", "no such caller ID in this organization"),
        (409, "caller_id_in_use", "an endpoint presents this caller ID; change it first"),
    ),
)
def remove(org_id: str, caller_id_id: str, caller: Caller = Depends(get_caller)) -> None:
    """Admins and owners, signed in."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        commands.remove_caller_id(
            session, org_id=org_id, caller_id_id=caller_id_id, actor=access.actor, now=now
        )


@router.post(
    "/{caller_id_id}/code",
    status_code=202,
    response_model=VerificationOut,
    responses=errors(
        (404, "caller_id_not_found", "no such caller ID in this organization"),
        (409, "caller_id_proven", "this number is already proven"),
        (429, "verification_too_soon", "a code was sent a moment ago"),
        CODE_NOT_SENT,
    ),
    summary="Send a caller ID a code",
)
async def send_code(
    org_id: str,
    caller_id_id: str,
    request: Request,
    body: VerificationIn | None = None,
    caller: Caller = Depends(get_caller),
) -> VerificationOut:
    """Send a 6-digit code to the number, by call or SMS, in the platform's own words and from its
    own number; typing it back into `.../confirm` within 15 minutes proves the number. Admins and
    owners, signed in."""
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


@router.post(
    "/{caller_id_id}/confirm",
    response_model=CallerIdOut,
    summary="Confirm a caller ID's code",
    responses=errors(
        (404, "caller_id_not_found", "no such caller ID in this organization"),
        (404, "verification_not_found", "no such verification"),
        (422, "verification_code_wrong", "that code is not right"),
    ),
)
def confirm(
    org_id: str, caller_id_id: str, body: CallerIdCodeIn, caller: Caller = Depends(get_caller)
) -> CallerIdOut:
    """Check the code sent to the number; when right, the caller ID is proven. Admins and owners,
    signed in."""
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
    responses=errors(
        (404, "caller_id_not_found", "no such caller ID in this organization"),
        (404, "provider_not_found", "provider account not found"),
        (422, "caller_id_not_owned", "the account does not own this number"),
        (422, "caller_id_check_unsupported", "this kind of account cannot tell"),
        (502, "caller_id_check_failed", "the provider account could not be asked"),
    ),
    summary="Prove a caller ID by a provider account",
)
async def check(
    org_id: str, caller_id_id: str, body: OwnershipIn, caller: Caller = Depends(get_caller)
) -> CallerIdOut:
    """Ask the provider account whether it owns the number (or, Twilio, has it as a verified caller
    ID); when it does, the caller ID is proven, usable through that account only. Admins and owners,
    signed in."""

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
