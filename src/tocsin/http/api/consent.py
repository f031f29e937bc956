"""Verifying a contact's number, and the consent records that verification leaves."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Query, Request

from tocsin.accounts.models import Role, Scope
from tocsin.contacts.verify import Pending, confirm_for_contact, deliver, issue_for_contact
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import CODE_NOT_SENT, Limit, PageOut, errors, page_of
from tocsin.http.api.schemas.trust import CodeIn, ConsentOut, VerificationIn, VerificationOut
from tocsin.numbers import consent
from tocsin.numbers.do_not_call import e164_of
from tocsin.numbers.verification import Requester

router = APIRouter(prefix="/v1/orgs/{org_id}", tags=["consent"], route_class=ApiRoute)


_CONTACT_NOT_FOUND = (404, "contact_not_found", "contact not found")
_CODE_REFUSED = (
    (404, "verification_not_found", "no such verification"),
    (409, "verification_used", "this code has already been used"),
    (422, "verification_code_wrong", "the code is wrong"),
    (422, "verification_expired", "the code has expired; ask for a new one"),
    (422, "verification_locked", "too many wrong codes; ask for a new one"),
)
_SENT_TOO_OFTEN = (429, "verification_too_soon", "a code was sent a moment ago; wait a minute")


@router.post(
    "/contacts/{contact_id}/verification",
    status_code=202,
    response_model=VerificationOut,
    summary="Send a contact a verification code",
    responses=errors(403, _CONTACT_NOT_FOUND, _SENT_TOO_OFTEN, CODE_NOT_SENT),
)
async def send_verification(
    org_id: str,
    contact_id: str,
    request: Request,
    body: VerificationIn | None = None,
    caller: Caller = Depends(get_caller),
) -> VerificationOut:
    """Send a 6-digit code to the contact's number by call or SMS; whoever types it back into
    `.../verification/confirm` within 15 minutes gives consent to this organization's calls.
    Admins and owners, or a key with `write`; limited per person and per organization."""
    runtime = caller.runtime
    channel = (body or VerificationIn()).channel
    user_agent = request.headers.get("user-agent")

    def issue() -> Pending:
        with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, acc):
            return issue_for_contact(
                s,
                runtime,
                org_id=org_id,
                contact_id=contact_id,
                channel=channel,
                requester=Requester(acc.actor, user_agent),
                now=runtime.clock.now(),
            )

    pending = await asyncio.to_thread(issue)
    await deliver(runtime, pending)
    return VerificationOut.of(pending.issued.verification)


@router.post(
    "/contacts/{contact_id}/verification/confirm",
    response_model=ConsentOut,
    summary="Confirm a contact's verification code",
    responses=errors(_CONTACT_NOT_FOUND, *_CODE_REFUSED),
)
def confirm_verification(
    org_id: str,
    contact_id: str,
    body: CodeIn,
    request: Request,
    caller: Caller = Depends(get_caller),
) -> ConsentOut:
    """Check the code; when it is right, record consent and lift this organization's
    do-not-call entry for the number, if it had one. Admins and owners, or a key with
    `write`."""
    runtime = caller.runtime
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        result, record = confirm_for_contact(
            s,
            runtime,
            org_id=org_id,
            contact_id=contact_id,
            code=body.code,
            verification_id=body.verification_id,
            actor=access.actor,
            user_agent=request.headers.get("user-agent"),
            now=runtime.clock.now(),
        )
        if record is not None:
            return ConsentOut.model_validate(record)
    # Outside the transaction, so the wrong guess it counted is kept.
    refusal = result.error()
    if refusal is None:
        raise RuntimeError("a confirmed code recorded no consent")
    raise refusal


@router.get("/consents", response_model=PageOut[ConsentOut], summary="List consent records")
def list_consents(
    org_id: str,
    number: str | None = Query(None, description="Only this number (E.164)"),
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[ConsentOut]:
    """The evidence behind each number this organization may call, newest first. Any member, or
    a key with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        wanted = e164_of(number, None) if number else None
        page = consent.records_for(s, org_id=org_id, number=wanted, limit=limit, cursor=cursor)
        return page_of(page, ConsentOut)
