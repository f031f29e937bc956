"""What the telephony callbacks need to know of a number-verification call, which has no attempt.

A verification call (idempotency key `verify/<verification id>`, placed by
`trust.code_delivery`) says its text, the code twice, and hangs up. A REST provider asks what to
say only once the call is answered, in a callback to another process than the one that placed
it, so the text is kept with the verification, sealed with `Runtime.verification_box` (a copy of
the database alone does not give the code away), and opened only while the code can be used.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.core.secretbox import SecretBox
from tocsin.numbers.models import NumberVerification

KEY_PREFIX = "verify/"


def seal_spoken_text(box: SecretBox, text: str) -> str:
    """The value to store in `NumberVerification.sealed_code` for a call that says `text`."""
    return box.seal({"text": text})


def verification_for(session: Session, idempotency_key: str) -> NumberVerification | None:
    """The verification a call's idempotency key names; None for any other call."""
    if not idempotency_key.startswith(KEY_PREFIX):
        return None
    return session.get(NumberVerification, idempotency_key.removeprefix(KEY_PREFIX))


def spoken_text_for(
    session: Session, box: SecretBox, idempotency_key: str, *, now: datetime
) -> str | None:
    """What the verification call with this key says; None when the key names no verification,
    or one already confirmed or expired (nobody should hear that code any more), or one whose
    text was not kept."""
    verification = verification_for(session, idempotency_key)
    if (
        verification is None
        or verification.sealed_code is None
        or verification.confirmed_at is not None
        or verification.expires_at <= now
    ):
        return None
    text = box.open(verification.sealed_code).get("text")
    return text if isinstance(text, str) else None
