"""What the public forms do, shared by the JSON API and the web pages: stop all calls to your
number (after proving it is yours), and report a call you did not want.

Both are limited per client address (the `public_form` rate limit), and the opt-out also by
the send limits of verification codes. Whichever door a request comes through, it counts
against the same limit.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from tocsin.contacts.verify import Pending, deliver
from tocsin.core.actors import Actor
from tocsin.core.ratelimit import Limits
from tocsin.numbers import verification
from tocsin.numbers.do_not_call import e164_of
from tocsin.numbers.models import NumberVerification
from tocsin.numbers.verification import Channel, Purpose, Requester
from tocsin.policy.numbers import NumberBlocked
from tocsin.runtime import Runtime
from tocsin.safety import ScreeningContext, screen
from tocsin.trust import abuse
from tocsin.trust.models import TrustCase
from tocsin.trust.opt_outs import record_opt_out


def public_actor(runtime: Runtime, ip_address: str | None, what: str) -> Actor:
    """Count one use of a public form from this address (RateLimited past the limit)."""
    runtime.rate_limiter.hit(Limits.PUBLIC_FORM, ip_address or "unknown", what=what)
    return Actor("public", ip_address, ip_address)


async def send_opt_out_code(
    runtime: Runtime,
    *,
    number: str,
    region: str | None,
    channel: Channel,
    actor: Actor,
    user_agent: str | None,
) -> NumberVerification:
    """Screen the number, write a code for it and send it; the row names the code to confirm."""
    # Anyone can type any number here, so it must be one the platform would call at all:
    # a code sent to a premium-rate number would be toll fraud paid for by the platform.
    verdict = screen(
        number,
        region or runtime.settings.default_region,
        ScreeningContext(sanctioned_regions=runtime.settings.sanctioned_region_set()),
    )
    if not verdict.allowed or verdict.e164 is None:
        raise NumberBlocked(verdict)
    e164 = verdict.e164

    def issue() -> verification.Issued:
        with runtime.database.write() as session:
            return verification.issue(
                session,
                purpose=Purpose.OPT_OUT,
                number=e164,
                channel=channel,
                requester=Requester(actor, user_agent),
                digest_key=runtime.verification_digest_key,
                now=runtime.clock.now(),
            )

    issued = await asyncio.to_thread(issue)
    # Sent once the code is committed and outside any transaction: a call takes seconds.
    await deliver(runtime, Pending(issued, None))
    return issued.verification


@dataclass(frozen=True)
class OptedOut:
    phone_e164: str
    opted_out_at: datetime
    calls_cancelled: int


def confirm_opt_out(
    runtime: Runtime,
    *,
    verification_id: str,
    code: str,
    actor: Actor,
    user_agent: str | None,
) -> OptedOut:
    """Check the code and opt the number out; a wrong code is counted, then refused."""
    now = runtime.clock.now()
    with runtime.database.write() as session:
        row = verification.find(session, verification_id, purpose=Purpose.OPT_OUT, org_id=None)
        result = verification.confirm(
            row, code=code, digest_key=runtime.verification_digest_key, now=now
        )
        if result.error() is None:
            entry, cancelled = record_opt_out(
                session, verification=row, actor=actor, user_agent=user_agent, now=now
            )
            return OptedOut(entry.phone_e164, entry.created_at, cancelled)
    # Raised only after the commit, so the wrong guess stays counted.
    error = result.error()
    assert error is not None
    raise error


@dataclass(frozen=True)
class AbuseReportForm:
    """What the reporter typed, before it is understood."""

    caller_id: str
    seen_at: str
    timezone: str | None
    description: str
    contact: str | None
    your_number: str | None
    region: str | None


def report_abuse(
    runtime: Runtime, *, form: AbuseReportForm, actor: Actor, user_agent: str | None
) -> TrustCase:
    """File the report as a case; its id is the only thing the reporter may be told."""
    now = runtime.clock.now()
    region = form.region or runtime.settings.default_region
    report = abuse.Report(
        caller_id=e164_of(form.caller_id, region),
        seen_at=abuse.seen_at_of(form.seen_at, form.timezone, now=now),
        reported_time=form.seen_at,
        timezone=form.timezone,
        description=form.description,
        reporter_contact=form.contact,
        called_number=e164_of(form.your_number, region) if form.your_number else None,
    )
    with runtime.database.write() as session:
        return abuse.file_report(
            session, report=report, actor=actor, user_agent=user_agent, now=now
        )
