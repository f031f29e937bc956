"""Number verification: a 6-digit code sent to a number proves that whoever types it back
controls the number.

Codes live 15 minutes and only their HMAC digest is stored. A consent code (an organization
asking a number's owner) passes everything an alert call passes first (contacts/code_sends.py);
here it is held to one code a minute to a number from the same organization and a few a day to
any number platform-wide, because a verification call is still a call to a person who may not
want it. Opt-out codes of the public form have budgets of their own (trust/public_forms.py),
so requests from strangers never use up the codes a number's owner needs to verify it. A code
survives five wrong guesses; then a new one must be sent.

Confirming answers with an outcome instead of raising, so the caller can commit the count of
wrong guesses before it reports the error.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput, NotFound, TocsinError
from tocsin.core.ids import new_id
from tocsin.core.ratelimit import RateLimited
from tocsin.numbers.models import NumberVerification

CODE_LIFETIME = timedelta(minutes=15)
RESEND_GAP = timedelta(minutes=1)
DAILY_SENDS_PER_NUMBER = 6
MAX_WRONG_GUESSES = 5


class Purpose(StrEnum):
    CONSENT = "consent"
    OPT_OUT = "opt_out"
    # Proves an organization may show the number as its caller ID (providers.models.CallerId).
    CALLER_ID = "caller_id"


# Codes an organization sends to a number: to ask its consent, or to prove it as a caller ID.
# They are one channel, so one set of limits counts them together.
ORG_PURPOSES = (Purpose.CONSENT.value, Purpose.CALLER_ID.value)

# A code the provider took: a call placed or a text sent.
WENT_OUT = NumberVerification.provider_ref.is_not(None)


class Channel(StrEnum):
    CALL = "call"
    SMS = "sms"


@dataclass(frozen=True)
class Requester:
    """Who asked for a code, and from where: the evidence a consent record keeps."""

    actor: Actor
    user_agent: str | None = None


@dataclass(frozen=True)
class Issued:
    verification: NumberVerification
    # The code in clear, only ever held in memory long enough to send it.
    code: str


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _digest(key: bytes, verification_id: str, code: str) -> str:
    return hmac.new(key, f"{verification_id}:{code}".encode(), hashlib.sha256).hexdigest()


def spoken_code(code: str) -> str:
    """Digits one by one, so text-to-speech does not read 'four hundred and twelve thousand'."""
    return ", ".join(code)


def check_consent_room(session: Session, *, number: str, org_id: str, now: datetime) -> None:
    """RateLimited when the number had a code from this organization a moment ago, or its
    day's consent and caller-ID codes from anyone."""
    last = session.scalar(
        select(func.max(NumberVerification.created_at)).where(
            NumberVerification.phone_e164 == number, NumberVerification.org_id == org_id
        )
    )
    if last is not None and now - last < RESEND_GAP:
        wait = math.ceil((RESEND_GAP - (now - last)).total_seconds())
        raise RateLimited(
            f"a code was sent to this number moments ago; try again in {wait} s",
            retry_after=max(1, wait),
            code="verification_too_soon",
        )
    sent_today = session.scalar(
        select(func.count())
        .select_from(NumberVerification)
        .where(
            NumberVerification.phone_e164 == number,
            NumberVerification.purpose.in_(ORG_PURPOSES),
            NumberVerification.created_at > now - timedelta(days=1),
        )
    )
    if (sent_today or 0) >= DAILY_SENDS_PER_NUMBER:
        raise RateLimited(
            f"this number has been sent {DAILY_SENDS_PER_NUMBER} codes in the last 24 hours; "
            "try again tomorrow",
            retry_after=24 * 3600,
            code="verification_daily_limit",
        )


def issue(
    session: Session,
    *,
    purpose: Purpose,
    number: str,
    channel: Channel,
    requester: Requester,
    digest_key: bytes,
    now: datetime,
    org_id: str | None = None,
    contact_id: str | None = None,
) -> Issued:
    """Write a new code for `number` (E.164); the caller sends it once this commits. A
    consent code is refused when the number had one from this organization a moment ago, or
    its day's consent codes; an opt-out code's caller applies the public form's budgets."""
    if purpose == Purpose.CONSENT:
        if org_id is None:
            raise InvalidInput("a consent code needs an organization", code="org_required")
        check_consent_room(session, number=number, org_id=org_id, now=now)
    code = new_code()
    verification_id = new_id("ver")
    verification = NumberVerification(
        id=verification_id,
        purpose=purpose.value,
        org_id=org_id,
        contact_id=contact_id,
        phone_e164=number,
        channel=channel.value,
        code_digest=_digest(digest_key, verification_id, code),
        requested_by_type=requester.actor.type,
        requested_by_id=requester.actor.id,
        ip_address=requester.actor.ip_address,
        user_agent=(requester.user_agent or "")[:300] or None,
        wrong_attempts=0,
        created_at=now,
        expires_at=now + CODE_LIFETIME,
    )
    session.add(verification)
    session.flush()
    return Issued(verification, code)


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"
    USED = "used"


@dataclass(frozen=True)
class Confirmation:
    outcome: Outcome
    verification: NumberVerification

    def error(self) -> TocsinError | None:
        """The refusal to report once the transaction that counted the guess has committed."""
        return refusal_for(self.outcome, wrong_attempts=self.verification.wrong_attempts)


def refusal_for(outcome: Outcome, *, wrong_attempts: int) -> TocsinError | None:
    """How a confirmation that did not confirm is answered; None for one that did."""
    if outcome == Outcome.CONFIRMED:
        return None
    if outcome == Outcome.WRONG:
        left = MAX_WRONG_GUESSES - wrong_attempts
        return InvalidInput(
            f"that code is not right; {left} more tries before a new code is needed",
            code="verification_code_wrong",
            details={"tries_left": left},
        )
    if outcome == Outcome.EXPIRED:
        return InvalidInput(
            "this code has expired (codes last 15 minutes); ask for a new one",
            code="verification_expired",
        )
    if outcome == Outcome.LOCKED:
        return InvalidInput("too many wrong codes; ask for a new one", code="verification_locked")
    return Conflict("this code has already been used", code="verification_used")


def guess_outcome(*, wrong_attempts: int, expires_at: datetime, now: datetime) -> Outcome | None:
    """What a guess at a live code comes to before the code itself is compared: locked after
    too many wrong guesses, expired after its lifetime; None while it may still be right."""
    if wrong_attempts >= MAX_WRONG_GUESSES:
        return Outcome.LOCKED
    if now >= expires_at:
        return Outcome.EXPIRED
    return None


def find(
    session: Session, verification_id: str, *, purpose: Purpose, org_id: str | None
) -> NumberVerification:
    row = session.get(NumberVerification, verification_id, with_for_update=True)
    if row is None or row.purpose != purpose.value or row.org_id != org_id:
        raise NotFound("no such verification", code="verification_not_found")
    return row


def confirm(
    row: NumberVerification, *, code: str, digest_key: bytes, now: datetime
) -> Confirmation:
    """Check `code` against a locked verification row, counting a wrong guess on it."""
    if row.confirmed_at is not None:
        return Confirmation(Outcome.USED, row)
    settled = guess_outcome(wrong_attempts=row.wrong_attempts, expires_at=row.expires_at, now=now)
    if settled is not None:
        return Confirmation(settled, row)
    given = "".join(ch for ch in code if ch.isdigit())
    expected = row.code_digest
    if not hmac.compare_digest(_digest(digest_key, row.id, given), expected):
        row.wrong_attempts += 1
        if row.wrong_attempts >= MAX_WRONG_GUESSES:
            row.sealed_code = None
        return Confirmation(Outcome.WRONG, row)
    row.confirmed_at = now
    # Nobody needs to hear this code again.
    row.sealed_code = None
    return Confirmation(Outcome.CONFIRMED, row)
