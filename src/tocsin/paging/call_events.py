"""What a provider's callback does to its call: the one command every callback ends in.

A verified callback, read by its provider's adapter into a `CallbackEvent`, finds its call by the
idempotency key Tocsin gave the provider, so it works even before the worker has stored the
provider's call id; once the attempt has one, the callback must come from the same provider and
name the same call. Its events go through `attempts.apply_event`, which ignores anything older
than what the attempt has seen and turns keys into what they do (`paging.keypad`); the reply is
made from the keys the attempt recorded, by the same rule (`telephony.script.reply_to`).

A number-verification call (key `verify/<id>`) has no attempt: it records nothing, and is
answered with its text, said once before hanging up (`numbers.verification_calls`). A test call
(key `test/<id>`) has none either: it records nothing, is answered with the test sentence and the
keypad (`providers.test_call_answers`), and its key is never taken for an attempt's, so it
cannot act on an alert.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.core.errors import NotFound
from tocsin.core.secretbox import SecretBox
from tocsin.numbers.verification_calls import spoken_code_for, verification_for
from tocsin.paging.attempts import apply_event, attempt_for_key
from tocsin.paging.bundles import all_closed
from tocsin.paging.models import AttemptStatus
from tocsin.paging.settle import RetryPolicy
from tocsin.providers.test_call_answers import is_test_call_key, script_of_test_call
from tocsin.telephony.callbacks import CallbackEvent, CallView
from tocsin.telephony.dialogue import GOODBYE, CallScript
from tocsin.telephony.prompts import DEFAULT_LANGUAGE


def record_callback(
    session: Session,
    *,
    provider: str,
    event: CallbackEvent,
    now: datetime,
    policy: RetryPolicy,
    verification_box: SecretBox,
) -> CallView | None:
    """Apply a verified callback from a provider of kind `provider` to its call, and say what
    the reply is made from; None for a callback about no call of Tocsin's (`event.key` None).
    NotFound `unknown_call` when the key names neither an attempt this callback may move, nor a
    verification, nor a test call of the last day."""
    if event.key is None:
        return None
    if is_test_call_key(event.key):
        view = _test_call_view(session, event.key, now=now)
    else:
        view = _attempt_view(
            session, provider=provider, key=event.key, event=event, now=now, policy=policy
        ) or _verification_view(session, verification_box, event.key, now=now)
    if view is None:
        raise NotFound("no call attempt matches this callback", code="unknown_call")
    return view


def _attempt_view(
    session: Session,
    *,
    provider: str,
    key: str,
    event: CallbackEvent,
    now: datetime,
    policy: RetryPolicy,
) -> CallView | None:
    attempt = attempt_for_key(session, key)
    if attempt is None:
        return None
    if attempt.provider_call_id and (
        attempt.provider != provider
        or (event.provider_call_id and event.provider_call_id != attempt.provider_call_id)
    ):
        return None
    for happened in event.events:
        apply_event(session, attempt_id=attempt.id, event=happened, now=now, policy=policy)
    script = CallScript(
        attempt.spoken_text,
        keys=attempt.digits,
        offers_menu=True,
        closed=all_closed(session, attempt),
        language=attempt.language or DEFAULT_LANGUAGE,
    )
    return CallView(script, finished=AttemptStatus(attempt.status).is_final)


def _verification_view(
    session: Session, box: SecretBox, key: str, *, now: datetime
) -> CallView | None:
    """A verification call has nothing to record: it says its text once and hangs up."""
    if verification_for(session, key) is None:
        return None
    said = spoken_code_for(session, box, key, now=now)
    # A code nobody may hear any more (confirmed or expired) is not said. Its call's status
    # callbacks still get a 2xx: the callee may well type the code in before hanging up.
    if said is None:
        script = CallScript(GOODBYE, keys="", offers_menu=False)
    else:
        script = CallScript(
            said.text,
            keys="",
            offers_menu=False,
            language=said.language,
            in_english=said.in_english,
        )
    return CallView(script, finished=False)


def _test_call_view(session: Session, key: str, *, now: datetime) -> CallView | None:
    """A test call has nothing to record: its status callbacks change nothing."""
    script = script_of_test_call(session, key, now=now)
    return CallView(script, finished=False) if script is not None else None
