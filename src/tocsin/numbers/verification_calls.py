"""What the telephony callbacks need to know of a number-verification call, which has no attempt.

A verification call (idempotency key `verify/<verification id>`, placed by
`trust.code_delivery`) says its text, the code twice, and hangs up. A REST provider asks what to
say only once the call is answered, in a callback to another process than the one that placed
it, so the text is kept with the verification, sealed with `Runtime.verification_box` (a copy of
the database alone does not give the code away), and opened only while the code can be used.
The text is in the code's language, kept with it, and in English too, for a provider that
cannot speak that language (`telephony.callbacks.CallView.spoken_by`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.core.secretbox import SecretBox
from tocsin.numbers.models import NumberVerification
from tocsin.telephony.prompts import DEFAULT_LANGUAGE, resolve_language

KEY_PREFIX = "verify/"


@dataclass(frozen=True)
class SpokenCode:
    """What a verification call says, and in which language."""

    text: str
    language: str = DEFAULT_LANGUAGE
    # The same words in English; None when `text` is English already.
    in_english: str | None = None


def seal_spoken_text(
    box: SecretBox, text: str, *, language: str = DEFAULT_LANGUAGE, in_english: str | None = None
) -> str:
    """The value to store in `NumberVerification.sealed_code` for a call that says `text` in
    `language` (`in_english` in English)."""
    sealed = {"text": text, "language": language}
    if in_english is not None and in_english != text:
        sealed["in_english"] = in_english
    return box.seal(sealed)


def verification_for(session: Session, idempotency_key: str) -> NumberVerification | None:
    """The verification a call's idempotency key names; None for any other call."""
    if not idempotency_key.startswith(KEY_PREFIX):
        return None
    return session.get(NumberVerification, idempotency_key.removeprefix(KEY_PREFIX))


def spoken_code_for(
    session: Session, box: SecretBox, idempotency_key: str, *, now: datetime
) -> SpokenCode | None:
    """What the verification call with this key says; None when the key names no verification,
    or one already confirmed or expired (nobody should hear that code any more), or one whose
    text was not kept. A text kept before calls had languages is English."""
    verification = verification_for(session, idempotency_key)
    if (
        verification is None
        or verification.sealed_code is None
        or verification.confirmed_at is not None
        or verification.expires_at <= now
    ):
        return None
    sealed = box.open(verification.sealed_code)
    text, language, in_english = (sealed.get(name) for name in ("text", "language", "in_english"))
    if not isinstance(text, str):
        return None
    return SpokenCode(
        text,
        resolve_language([language if isinstance(language, str) else None]),
        in_english if isinstance(in_english, str) else None,
    )
