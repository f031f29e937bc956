"""Two-step sign-in with time-based one-time codes (RFC 6238, what authenticator apps show).

The secret is sealed with the instance secret before it is stored. A code is accepted within
one 30-second step either side of ours, for phones whose clocks drift, and only once: the step
of the last code accepted is kept, and a code of that step or an earlier one is refused
(RFC 6238 section 5.2), so a code read over a shoulder or from a log signs nobody in again.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
from sqlalchemy import or_, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from tocsin.accounts.models import User
from tocsin.core.errors import InvalidInput, Unauthorized
from tocsin.core.secretbox import SecretBox

ISSUER = "Tocsin"
# Steps either side of ours that a code may come from.
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads from a QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is, among ours and those either side; None if none."""
    digits = "".join(ch for ch in code if ch.isdigit())
    if len(digits) != 6:
        return None
    generator = pyotp.TOTP(secret)
    current = generator.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(generator.generate_otp(step), digits):
            return step
    return None


def is_on(user: User) -> bool:
    return user.totp_secret_sealed is not None and user.totp_enabled_at is not None


def secret_of(user: User, box: SecretBox) -> str | None:
    sealed = user.totp_secret_sealed
    if sealed is None or user.totp_enabled_at is None:
        return None
    secret: str = box.open(sealed)["secret"]
    return secret


def enable(user: User, *, secret: str, code: str, box: SecretBox, now: datetime) -> None:
    """Turn two-step sign-in on with `secret`, once the user proved their app has it. Whoever
    replaces an authenticator that is on must first pass `use_code` with the current one."""
    step = matching_step(secret, code, now)
    if step is None:
        raise InvalidInput(
            "that code does not match; check the phone's clock and try the next one",
            code="mfa_invalid",
        )
    user.totp_secret_sealed = box.seal({"secret": secret})
    user.totp_enabled_at = now
    # The code that proved the new app is used up like any other.
    user.totp_last_step = step


def disable(user: User) -> None:
    user.totp_secret_sealed = None
    user.totp_enabled_at = None
    user.totp_last_step = None


def check(session: Session, user: User, code: str | None, *, box: SecretBox, now: datetime) -> None:
    """Refuse a user with two-step sign-in on unless `code` is current and not used before;
    a code that passes is used up. Nothing to do for a user with it off."""
    secret = secret_of(user, box)
    if secret is None:
        return
    if not code:
        raise Unauthorized(
            "this account signs in with a code from an authenticator app", code="mfa_required"
        )
    step = matching_step(secret, code, now)
    if step is None or not _use_step(session, user, step):
        raise Unauthorized("the authenticator code is wrong, expired or used", code="mfa_invalid")


def _use_step(session: Session, user: User, step: int) -> bool:
    """Record `step` as the last one used, unless it or a later one was: the conditional
    update is what keeps a code single-use when two requests race with it."""
    used = session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(user, "totp_last_step", step)
    return True
