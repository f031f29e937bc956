"""Number verification: a 6-digit code sent to a number proves that whoever types it back
controls the number.

Codes live 15 minutes and only their HMAC digest is stored. Sending is limited three ways: per
requester (the `verification` rate limit, 5 per 10 minutes), one code a minute to a number from
the same organization (or the public form), and a few a day to any number platform-wide,
because a verification call is still a call to a person who may not want it. A code survives
five wrong guesses; then a new one must be sent.

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


def _check_sending_room(
    session: Session, *, number: str, org_id: str | None, now: datetime
) -> None:
    same_asker = (
        NumberVerification.org_id == org_id
        if org_id is not None
        else NumberVerification.org_id.is_(None)
    )
    last = session.scalar(
        select(func.max(NumberVerification.created_at)).where(
            NumberVerification.phone_e164 == number, same_asker
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
    """Write a new code for `number` (E.164); the caller sends it once this commits."""
    _check_sending_room(session, number=number, org_id=org_id, now=now)
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
        row = self.verification
        if self.outcome == Outcome.CONFIRMED:
            return None
        if self.outcome == Outcome.WRONG:
            left = MAX_WRONG_GUESSES - row.wrong_attempts
            return InvalidInput(
                f"that code is not right; {left} more tries before a new code is needed",
                code="verification_code_wrong",
                details={"tries_left": left},
            )
        if self.outcome == Outcome.EXPIRED:
            return InvalidInput(
                "this code has expired (codes last 15 minutes); ask for a new one",
                code="verification_expired",
            )
        if self.outcome == Outcome.LOCKED:
            return InvalidInput(
                "too many wrong codes; ask for a new one", code="verification_locked"
            )
        return Conflict("this code has already been used", code="verification_used")


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
    if row.wrong_attempts >= MAX_WRONG_GUESSES:
        return Confirmation(Outcome.LOCKED, row)
    if now >= row.expires_at:
        return Confirmation(Outcome.EXPIRED, row)
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
