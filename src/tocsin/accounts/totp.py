"""Two-step sign-in with time-based one-time codes (RFC 6238, what authenticator apps show).

The secret is sealed with the instance secret before it is stored. A code is accepted within
one 30-second step either side of ours, for phones whose clocks drift.
"""

from __future__ import annotations

from datetime import datetime

import pyotp

from tocsin.accounts.models import User
from tocsin.core.errors import InvalidInput, Unauthorized
from tocsin.core.secretbox import SecretBox

ISSUER = "Tocsin"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads from a QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def code_matches(secret: str, code: str, now: datetime) -> bool:
    digits = "".join(ch for ch in code if ch.isdigit())
    return len(digits) == 6 and pyotp.TOTP(secret).verify(digits, for_time=now, valid_window=1)


def secret_of(user: User, box: SecretBox) -> str | None:
    if user.totp_secret_sealed is None or user.totp_enabled_at is None:
        return None
    secret: str = box.open(user.totp_secret_sealed)["secret"]
    return secret


def enable(user: User, *, secret: str, code: str, box: SecretBox, now: datetime) -> None:
    """Turn two-step sign-in on, once the user proved their app has the secret."""
    if not code_matches(secret, code, now):
        raise InvalidInput(
            "that code does not match; check the phone's clock and try the next one",
            code="mfa_invalid",
        )
    user.totp_secret_sealed = box.seal({"secret": secret})
    user.totp_enabled_at = now


def disable(user: User) -> None:
    user.totp_secret_sealed = None
    user.totp_enabled_at = None


def check(user: User, code: str | None, *, box: SecretBox, now: datetime) -> None:
    """Refuse a sign-in of a user with two-step sign-in on unless `code` is current."""
    secret = secret_of(user, box)
    if secret is None:
        return
    if not code:
        raise Unauthorized(
            "this account signs in with a code from an authenticator app", code="mfa_required"
        )
    if not code_matches(secret, code, now):
        raise Unauthorized("the authenticator code is wrong or expired", code="mfa_invalid")
