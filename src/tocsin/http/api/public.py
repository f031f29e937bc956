"""Forms for people without an account: stop all calls to your number, report an abusive call.

What they do lives in `tocsin.trust.public_forms`, shared with the web pages.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request

from tocsin.http.api.deps import client_ip, get_runtime
from tocsin.http.api.route import PUBLIC, ApiRoute
from tocsin.http.api.schemas.common import CODE_NOT_SENT, errors
from tocsin.http.api.schemas.trust import (
    AbuseReportIn,
    AbuseReportReceived,
    PublicCodeIn,
    PublicOptOutIn,
    PublicOptOutOut,
    VerificationOut,
)
from tocsin.numbers.verification import Requester
from tocsin.runtime import Runtime
from tocsin.trust import public_forms
from tocsin.trust.public_forms import AbuseReportForm, OptOutRequest, public_actor

router = APIRouter(prefix="/v1/public", tags=["public"], route_class=ApiRoute)


@router.post(
    "/opt-out",
    status_code=202,
    response_model=VerificationOut,
    summary="Ask to stop all calls to your number",
    openapi_extra=PUBLIC,
    responses=errors(
        (422, "number_blocked", "this number cannot be called: premium_rate"),
        (429, "verification_too_soon", "a code was sent a moment ago; wait a minute"),
        CODE_NOT_SENT,
    ),
)
async def request_opt_out(
    body: PublicOptOutIn, request: Request, runtime: Runtime = Depends(get_runtime)
) -> VerificationOut:
    """Send a code to your number; typing it into `/v1/public/opt-out/confirm` stops every
    organization on this platform calling it. A code goes only to a number this platform has
    called; any other request is kept for review, and answered the same way. Anyone may call
    it; limited per address."""
    actor = public_actor(runtime, client_ip(request), "requests from this address")
    requester = Requester(actor, request.headers.get("user-agent"))

    def issue() -> OptOutRequest:
        with runtime.database.write() as session:
            return public_forms.issue_opt_out_code(
                session,
                runtime,
                number=body.number,
                region=body.region,
                channel=body.channel,
                requester=requester,
                now=runtime.clock.now(),
            )

    asked = await asyncio.to_thread(issue)
    # Sent once the code is committed and outside any transaction: a call takes seconds.
    await public_forms.send_opt_out_code(runtime, asked)
    return VerificationOut(
        verification_id=asked.verification_id,
        phone_e164=asked.phone_e164,
        channel=asked.channel,
        expires_at=asked.expires_at,
    )


@router.post(
    "/opt-out/confirm",
    response_model=PublicOptOutOut,
    summary="Confirm an opt-out with its code",
    openapi_extra=PUBLIC,
    responses=errors(
        (404, "verification_not_found", "no such verification"),
        (409, "verification_used", "this code has already been used"),
        (422, "verification_code_wrong", "that code is not right; 4 more tries"),
        (422, "verification_expired", "the code has expired; ask for a new one"),
        429,
    ),
)
def confirm_opt_out(
    body: PublicCodeIn, request: Request, runtime: Runtime = Depends(get_runtime)
) -> PublicOptOutOut:
    """With the right code, no organization on this platform calls the number again; its
    pending calls are cancelled. Anyone may call it: the code is the proof."""
    actor = public_actor(runtime, client_ip(request), "requests from this address")
    with runtime.database.write() as session:
        answer = public_forms.confirm_opt_out(
            session,
            runtime,
            verification_id=body.verification_id,
            code=body.code,
            actor=actor,
            user_agent=request.headers.get("user-agent"),
            now=runtime.clock.now(),
        )
    # Raised only after the commit, so a wrong guess stays counted.
    done = answer.opted_out()
    return PublicOptOutOut(
        phone_e164=done.phone_e164,
        opted_out_at=done.opted_out_at,
        calls_cancelled=done.calls_cancelled,
    )


@router.post(
    "/abuse-reports",
    status_code=201,
    response_model=AbuseReportReceived,
    summary="Report an unwanted call",
    openapi_extra=PUBLIC,
    responses=errors(
        (422, "seen_at_in_future", "seen_at is in the future"),
        429,
    ),
)
def report_abuse(
    body: AbuseReportIn, request: Request, runtime: Runtime = Depends(get_runtime)
) -> AbuseReportReceived:
    """Tell the platform's trust and safety team about a call you did not want: it opens a case
    they answer. Anyone may call it; limited per address."""
    actor = public_actor(runtime, client_ip(request), "reports from this address")
    with runtime.database.write() as session:
        case = public_forms.report_abuse(
            session,
            runtime,
            form=AbuseReportForm(
                caller_id=body.caller_id,
                seen_at=body.seen_at,
                timezone=body.timezone,
                description=body.description,
                contact=body.contact,
                your_number=body.your_number,
                region=body.region,
            ),
            actor=actor,
            user_agent=request.headers.get("user-agent"),
            now=runtime.clock.now(),
        )
    return AbuseReportReceived(reference=case.id, received_at=case.created_at)
