"""What the public forms do, shared by the JSON API and the web pages: stop all calls to your
number (after proving it is yours), and report a call you did not want.

Both are limited per client address (the `public_form` rate limit; the address comes from
`core.client_address`, so a forged X-Forwarded-For is not a new address). Whichever door a
request comes through, it counts against the same limit.

The opt-out form sends a code only to a number Tocsin called about an alert, or sent a
consent code to, within TOCSIN_OPT_OUT_LOOKBACK_DAYS, inside the platform's own calling policy
(its home country, TOCSIN_DEFAULT_REGION, plus TOCSIN_PUBLIC_FORM_REGIONS), within a budget per
number (TOCSIN_PUBLIC_OPT_OUT_CODES_PER_NUMBER a day, a minute apart) and for the whole
platform (TOCSIN_PUBLIC_OPT_OUT_CODES_PER_HOUR). Any other request is kept for staff on a
case (`HeldOptOut`) and answered exactly as a code sent is, so the form is no oracle of whom
Tocsin calls, and a stranger's requests never leave the number's owner refused. The form's
codes have budgets apart from the consent codes organizations send, so strangers cannot use up
the codes an owner needs to verify their number either.

Each function works in the caller's transaction. A code is sent (`send_opt_out_code`) once
the transaction that wrote it has committed, by the caller, outside any transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.contacts.verify import Pending, VerificationServices, deliver
from tocsin.core.actors import Actor
from tocsin.core.errors import TocsinError
from tocsin.core.ids import new_id
from tocsin.core.ratelimit import Limits, RateLimiter
from tocsin.numbers import verification
from tocsin.numbers.code_delivery import CodeNotSent, SmsUnsupported, has_sms
from tocsin.numbers.do_not_call import e164_of
from tocsin.numbers.models import NumberVerification
from tocsin.numbers.verification import WENT_OUT, Channel, Purpose, Requester
from tocsin.paging.models import PLACED_ATTEMPT_STATUSES, CallAttempt
from tocsin.policy.numbers import CallingPolicy, NumberBlocked, screening_context
from tocsin.providers.choice import ProviderDirectory
from tocsin.safety import ScreeningContext, screen
from tocsin.trust import abuse
from tocsin.trust.cases import open_case
from tocsin.trust.models import CaseKind, HeldOptOut, TrustCase
from tocsin.trust.opt_outs import record_opt_out

log = logging.getLogger(__name__)


class FormSettings(Protocol):
    @property
    def default_region(self) -> str: ...
    @property
    def opt_out_lookback_days(self) -> int: ...
    @property
    def public_opt_out_codes_per_number(self) -> int: ...
    @property
    def public_opt_out_codes_per_hour(self) -> int: ...

    def sanctioned_region_set(self) -> frozenset[str]: ...
    def public_form_region_set(self) -> tuple[str, ...]: ...


class FormServer(Protocol):
    """What the public forms use of the running server (`tocsin.runtime.Runtime` has it)."""

    @property
    def settings(self) -> FormSettings: ...

    @property
    def rate_limiter(self) -> RateLimiter: ...

    @property
    def verification_digest_key(self) -> bytes: ...

    def provider_directory(self) -> ProviderDirectory: ...


def public_actor(server: FormServer, ip_address: str | None, what: str) -> Actor:
    """Count one use of a public form from this address (RateLimited past the limit)."""
    server.rate_limiter.hit(Limits.PUBLIC_FORM, ip_address or "unknown", what=what)
    return Actor("public", ip_address, ip_address)


class HoldReason(StrEnum):
    """Why the form kept a request for review instead of sending a code."""

    # Tocsin neither called the number nor sent it a code within the lookback window.
    NEVER_CALLED = "never_called"
    # Outside the platform's own calling policy (home country, TOCSIN_PUBLIC_FORM_REGIONS).
    OUTSIDE_REGION = "outside_region"
    # The form already sent this number its codes for the day.
    NUMBER_BUDGET = "number_budget"
    # The form sent this number a code a moment ago.
    TOO_SOON = "too_soon"
    # The form sent all the codes it may send in an hour, to every number together.
    PLATFORM_BUDGET = "platform_budget"


@dataclass(frozen=True)
class OptOutRequest:
    """How the form answers, the same whether a code was sent or the request was held."""

    verification_id: str
    phone_e164: str
    channel: Channel
    expires_at: datetime
    # The code to send once committed; None when the request was held for review.
    pending: Pending | None


def issue_opt_out_code(
    session: Session,
    server: FormServer,
    *,
    number: str,
    region: str | None,
    channel: Channel,
    requester: Requester,
    now: datetime,
) -> OptOutRequest:
    """Write a code for the number, to send once committed, or keep the request for review;
    both are answered alike. Only a number no one may call at all is refused."""
    settings = server.settings
    # Anyone can type any number here, so it must be one the platform would call at all:
    # a code sent to a premium-rate number would be toll fraud paid for by the platform.
    verdict = screen(
        number,
        region or settings.default_region,
        ScreeningContext(sanctioned_regions=settings.sanctioned_region_set()),
    )
    if not verdict.allowed or verdict.e164 is None:
        raise NumberBlocked(verdict)
    _require_platform_sender(server, channel)
    e164 = verdict.e164
    reason = _hold_reason(session, settings, number=e164, now=now)
    if reason is not None:
        return _hold(
            session, number=e164, reason=reason, channel=channel, requester=requester, now=now
        )
    issued = verification.issue(
        session,
        purpose=Purpose.OPT_OUT,
        number=e164,
        channel=channel,
        requester=requester,
        digest_key=server.verification_digest_key,
        now=now,
    )
    row = issued.verification
    return OptOutRequest(row.id, row.phone_e164, channel, row.expires_at, Pending(issued, None))


def _require_platform_sender(server: FormServer, channel: Channel) -> None:
    """Refuse every request alike when the platform could send no code at all: a refusal only
    for the numbers that would have got one would tell who Tocsin calls."""
    choices = server.provider_directory().platform_chain().choices
    if not choices:
        raise CodeNotSent(
            "no telephony provider is configured to send the code: ask the operator to "
            "configure the platform's provider (TOCSIN_PROVIDER)"
        )
    if channel == Channel.SMS and not has_sms(choices):
        raise SmsUnsupported("this server does not send codes by SMS; ask for a call")


def _hold_reason(
    session: Session, settings: FormSettings, *, number: str, now: datetime
) -> HoldReason | None:
    """Why no code may go to the number now, the first that applies; None when one may."""
    home = CallingPolicy(
        home_region=settings.default_region,
        international_enabled=bool(settings.public_form_region_set()),
        allowed_regions=settings.public_form_region_set(),
    )
    context = screening_context(home, settings.sanctioned_region_set())
    if not screen(number, None, context).allowed:
        return HoldReason.OUTSIDE_REGION
    if not reached_lately(
        session, number=number, since=now - timedelta(days=settings.opt_out_lookback_days)
    ):
        return HoldReason.NEVER_CALLED
    sent = _form_codes(session, number=number, since=now - timedelta(days=1))
    if sent and now - sent[0] < verification.RESEND_GAP:
        return HoldReason.TOO_SOON
    if len(sent) >= settings.public_opt_out_codes_per_number:
        return HoldReason.NUMBER_BUDGET
    if _form_codes_everywhere(session, since=now - timedelta(hours=1)) >= (
        settings.public_opt_out_codes_per_hour
    ):
        return HoldReason.PLATFORM_BUDGET
    return None


def reached_lately(session: Session, *, number: str, since: datetime) -> bool:
    """Whether Tocsin called the number about an alert, or sent it a consent code, since."""
    called = session.scalar(
        select(CallAttempt.id)
        .where(
            CallAttempt.to_number == number,
            CallAttempt.created_at > since,
            CallAttempt.status.in_(PLACED_ATTEMPT_STATUSES),
        )
        .limit(1)
    )
    if called is not None:
        return True
    coded = session.scalar(
        select(NumberVerification.id)
        .where(
            NumberVerification.phone_e164 == number,
            NumberVerification.purpose == Purpose.CONSENT.value,
            NumberVerification.created_at > since,
            WENT_OUT,
        )
        .limit(1)
    )
    return coded is not None


def _form_codes(session: Session, *, number: str, since: datetime) -> list[datetime]:
    """When the form wrote codes for the number since, newest first."""
    return list(
        session.scalars(
            select(NumberVerification.created_at)
            .where(
                NumberVerification.phone_e164 == number,
                NumberVerification.purpose == Purpose.OPT_OUT.value,
                NumberVerification.created_at > since,
            )
            .order_by(NumberVerification.created_at.desc())
        )
    )


def _form_codes_everywhere(session: Session, *, since: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(NumberVerification)
            .where(
                NumberVerification.purpose == Purpose.OPT_OUT.value,
                NumberVerification.created_at > since,
            )
        )
        or 0
    )


def _hold(
    session: Session,
    *,
    number: str,
    reason: HoldReason,
    channel: Channel,
    requester: Requester,
    now: datetime,
) -> OptOutRequest:
    """Keep the request for staff, on the number's case of the day, and answer as if sent."""
    held = HeldOptOut(
        # A verification's id, so the answer cannot tell the two apart.
        id=new_id("ver"),
        phone_e164=number,
        reason=reason.value,
        channel=channel.value,
        ip_address=requester.actor.ip_address,
        user_agent=(requester.user_agent or "")[:300] or None,
        wrong_attempts=0,
        created_at=now,
        expires_at=now + verification.CODE_LIFETIME,
    )
    case, _ = open_case(
        session,
        kind=CaseKind.OPT_OUT_REQUEST,
        summary=f"opt-out request for {number} kept for review, no code sent",
        details={"number": number},
        actor=requester.actor,
        now=now,
        fingerprint=f"opt_out_request:{number}:{now.astimezone(UTC):%Y-%m-%d}",
    )
    reasons = list((case.details or {}).get("reasons", []))
    case.details = {
        **(case.details or {}),
        "reasons": reasons if reason.value in reasons else [*reasons, reason.value],
        "requests": int((case.details or {}).get("requests", 0)) + 1,
        "last_request_at": now.isoformat(),
    }
    held.case_id = case.id
    session.add(held)
    session.flush()
    return OptOutRequest(held.id, number, channel, held.expires_at, None)


async def send_opt_out_code(services: VerificationServices, request: OptOutRequest) -> None:
    """Send the request's code, if it has one. A code that did not go out is noted on its row
    (`contacts.verify.deliver`) but not reported: the form answers every request alike."""
    if request.pending is None:
        return
    try:
        await deliver(services, request.pending)
    except (CodeNotSent, SmsUnsupported) as error:
        log.warning("opt-out code %s not sent: %s", request.verification_id, error.message)


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
    held = session.get(HeldOptOut, verification_id, with_for_update=True)
    if held is not None:
        return OptOutAnswer(None, _guess_at_held(held, now=now))
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


def _guess_at_held(held: HeldOptOut, *, now: datetime) -> TocsinError:
    """A held request has no code: every guess is wrong, counted and answered as one."""
    outcome = verification.guess_outcome(
        wrong_attempts=held.wrong_attempts, expires_at=held.expires_at, now=now
    )
    if outcome is None:
        held.wrong_attempts += 1
        outcome = verification.Outcome.WRONG
    refusal = verification.refusal_for(outcome, wrong_attempts=held.wrong_attempts)
    if refusal is None:
        raise RuntimeError("a held opt-out request confirmed a code")
    return refusal


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
