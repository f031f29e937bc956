"""What the public forms do, shared by the JSON API and the web pages: stop all calls to your
number (after proving it is yours), and report a call you did not want.

Both are limited per client address (the `public_form` rate limit), and the opt-out also by
the send limits of verification codes. Whichever door a request comes through, it counts
against the same limit.

Each function works in the caller's transaction. A code is sent (`contacts.verify.deliver`)
once the transaction that wrote it has committed, by the caller, outside any transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from tocsin.contacts.verify import Pending
from tocsin.core.actors import Actor
from tocsin.core.errors import TocsinError
from tocsin.core.ratelimit import Limits, RateLimiter
from tocsin.numbers import verification
from tocsin.numbers.do_not_call import e164_of
from tocsin.numbers.verification import Channel, Purpose, Requester
from tocsin.policy.numbers import NumberBlocked
from tocsin.safety import ScreeningContext, screen
from tocsin.trust import abuse
from tocsin.trust.models import TrustCase
from tocsin.trust.opt_outs import record_opt_out


class FormSettings(Protocol):
    @property
    def default_region(self) -> str: ...

    def sanctioned_region_set(self) -> frozenset[str]: ...


class FormServer(Protocol):
    """What the public forms use of the running server (`tocsin.runtime.Runtime` has it)."""

    @property
    def settings(self) -> FormSettings: ...

    @property
    def rate_limiter(self) -> RateLimiter: ...

    @property
    def verification_digest_key(self) -> bytes: ...


def public_actor(server: FormServer, ip_address: str | None, what: str) -> Actor:
    """Count one use of a public form from this address (RateLimited past the limit)."""
    server.rate_limiter.hit(Limits.PUBLIC_FORM, ip_address or "unknown", what=what)
    return Actor("public", ip_address, ip_address)


def issue_opt_out_code(
    session: Session,
    server: FormServer,
    *,
    number: str,
    region: str | None,
    channel: Channel,
    requester: Requester,
    now: datetime,
) -> Pending:
    """Screen the number and write a code for it, to send once committed; the row names the
    code to confirm."""
    # Anyone can type any number here, so it must be one the platform would call at all:
    # a code sent to a premium-rate number would be toll fraud paid for by the platform.
    verdict = screen(
        number,
        region or server.settings.default_region,
        ScreeningContext(sanctioned_regions=server.settings.sanctioned_region_set()),
    )
    if not verdict.allowed or verdict.e164 is None:
        raise NumberBlocked(verdict)
    issued = verification.issue(
        session,
        purpose=Purpose.OPT_OUT,
        number=verdict.e164,
        channel=channel,
        requester=requester,
        digest_key=server.verification_digest_key,
        now=now,
    )
    return Pending(issued, None)


@dataclass(frozen=True)
class OptedOut:
    phone_e164: str
    opted_out_at: datetime
    calls_cancelled: int


@dataclass(frozen=True)
class OptOutAnswer:
    """The opt-out, or why not: a wrong code is counted in the caller's transaction, so the
    refusal is returned for the caller to raise once that has committed (`opted_out`)."""

    done: OptedOut | None
    refusal: TocsinError | None

    def opted_out(self) -> OptedOut:
        if self.refusal is not None:
            raise self.refusal
        if self.done is None:
            raise RuntimeError("an opt-out answer holds the opt-out or a refusal")
        return self.done


def confirm_opt_out(
    session: Session,
    server: FormServer,
    *,
    verification_id: str,
    code: str,
    actor: Actor,
    user_agent: str | None,
    now: datetime,
) -> OptOutAnswer:
    """Check the code and opt the number out; a wrong code is counted, then refused."""
    row = verification.find(session, verification_id, purpose=Purpose.OPT_OUT, org_id=None)
    result = verification.confirm(
        row, code=code, digest_key=server.verification_digest_key, now=now
    )
    refusal = result.error()
    if refusal is not None:
        return OptOutAnswer(None, refusal)
    entry, cancelled = record_opt_out(
        session, verification=row, actor=actor, user_agent=user_agent, now=now
    )
    return OptOutAnswer(OptedOut(entry.phone_e164, entry.created_at, cancelled), None)


@dataclass(frozen=True)
class AbuseReportForm:
    """What the reporter typed, before it is understood."""

    caller_id: str | None
    seen_at: str
    timezone: str | None
    description: str
    contact: str | None
    your_number: str | None
    region: str | None


def report_abuse(
    session: Session,
    server: FormServer,
    *,
    form: AbuseReportForm,
    actor: Actor,
    user_agent: str | None,
    now: datetime,
) -> TrustCase:
    """File the report as a case; its id is the only thing the reporter may be told."""
    region = form.region or server.settings.default_region
    report = abuse.Report(
        caller_id=None
        if abuse.shows_no_number(form.caller_id)
        else e164_of(form.caller_id or "", region),
        reported_caller_id=form.caller_id,
        seen_at=abuse.seen_at_of(form.seen_at, form.timezone, now=now),
        reported_time=form.seen_at,
        timezone=form.timezone,
        description=form.description,
        reporter_contact=form.contact,
        called_number=e164_of(form.your_number, region) if form.your_number else None,
    )
    return abuse.file_report(session, report=report, actor=actor, user_agent=user_agent, now=now)
