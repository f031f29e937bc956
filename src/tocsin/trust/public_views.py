"""Forms for people without an account: stop all calls to your number, report an abusive call.

Both are limited per client address (the `public_form` rate limit), and the opt-out also by
the send limits of verification codes.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request

from tocsin.api.deps import client_ip, get_runtime
from tocsin.api.schemas import ERROR_RESPONSES
from tocsin.policy.numbers import NumberBlocked
from tocsin.ratelimit import Limits
from tocsin.runtime import Runtime
from tocsin.safety import ScreeningContext, screen
from tocsin.trust import abuse, verification
from tocsin.trust.audit import Actor
from tocsin.trust.contact_verification import Pending, deliver
from tocsin.trust.do_not_call import e164_of
from tocsin.trust.opt_outs import record_opt_out
from tocsin.trust.schemas import (
    AbuseReportIn,
    AbuseReportReceived,
    PublicCodeIn,
    PublicOptOutIn,
    PublicOptOutOut,
    VerificationOut,
)
from tocsin.trust.verification import Channel, Purpose, Requester

router = APIRouter(prefix="/v1/public", tags=["public"], responses=ERROR_RESPONSES)


def _public(request: Request, runtime: Runtime, what: str) -> Actor:
    ip = client_ip(request)
    runtime.rate_limiter.hit(Limits.PUBLIC_FORM, ip or "unknown", what=what)
    return Actor("public", ip, ip)


@router.post("/opt-out", status_code=202, response_model=VerificationOut)
async def request_opt_out(
    body: PublicOptOutIn, request: Request, runtime: Runtime = Depends(get_runtime)
) -> VerificationOut:
    """Send a code to your number; typing it into `/v1/public/opt-out/confirm` stops every
    organization on this platform calling it."""
    actor = _public(request, runtime, "requests from this address")
    # Anyone can type any number here, so it must be one the platform would call at all:
    # a code sent to a premium-rate number would be toll fraud paid for by the platform.
    verdict = screen(
        body.number,
        body.region or runtime.settings.default_region,
        ScreeningContext(sanctioned_regions=runtime.settings.sanctioned_region_set()),
    )
    if not verdict.allowed or verdict.e164 is None:
        raise NumberBlocked(verdict)
    number = verdict.e164
    user_agent = request.headers.get("user-agent")

    def issue() -> verification.Issued:
        with runtime.database.write() as session:
            return verification.issue(
                session,
                purpose=Purpose.OPT_OUT,
                number=number,
                channel=body.channel,
                requester=Requester(actor, user_agent),
                digest_key=runtime.verification_digest_key,
                now=runtime.clock.now(),
            )

    issued = await asyncio.to_thread(issue)
    await deliver(runtime, Pending(issued, None))
    row = issued.verification
    return VerificationOut(
        verification_id=row.id,
        phone_e164=row.phone_e164,
        channel=Channel(row.channel),
        expires_at=row.expires_at,
    )


@router.post("/opt-out/confirm", response_model=PublicOptOutOut)
def confirm_opt_out(
    body: PublicCodeIn, request: Request, runtime: Runtime = Depends(get_runtime)
) -> PublicOptOutOut:
    actor = _public(request, runtime, "requests from this address")
    now = runtime.clock.now()
    with runtime.database.write() as session:
        row = verification.find(session, body.verification_id, purpose=Purpose.OPT_OUT, org_id=None)
        result = verification.confirm(
            row, code=body.code, digest_key=runtime.verification_digest_key, now=now
        )
        if result.error() is None:
            entry, cancelled = record_opt_out(
                session,
                verification=row,
                actor=actor,
                user_agent=request.headers.get("user-agent"),
                now=now,
            )
            return PublicOptOutOut(
                phone_e164=entry.phone_e164,
                opted_out_at=entry.created_at,
                calls_cancelled=cancelled,
            )
    error = result.error()
    assert error is not None
    raise error


@router.post("/abuse-reports", status_code=201, response_model=AbuseReportReceived)
def report_abuse(
    body: AbuseReportIn, request: Request, runtime: Runtime = Depends(get_runtime)
) -> AbuseReportReceived:
    """Tell the platform's trust and safety team about a call you did not want."""
    actor = _public(request, runtime, "reports from this address")
    now = runtime.clock.now()
    region = body.region or runtime.settings.default_region
    report = abuse.Report(
        caller_id=e164_of(body.caller_id, region),
        seen_at=abuse.seen_at_of(body.seen_at, body.timezone, now=now),
        reported_time=body.seen_at,
        timezone=body.timezone,
        description=body.description,
        reporter_contact=body.contact,
        called_number=e164_of(body.your_number, region) if body.your_number else None,
    )
    with runtime.database.write() as session:
        case = abuse.file_report(
            session,
            report=report,
            actor=actor,
            user_agent=request.headers.get("user-agent"),
            now=now,
        )
        return AbuseReportReceived(reference=case.id, received_at=case.created_at)
