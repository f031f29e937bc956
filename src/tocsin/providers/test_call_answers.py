"""What the telephony callbacks need to know of a test call, which has no attempt.

A test call (idempotency key `test/<id>`, prepared by `providers.test_calls`) says the test
sentence in its language and offers the keypad, as the simulator's test call does, so the person
can hear the keys work; a key changes nothing. A REST provider asks what to say only once the call
is answered, in a callback to another process than the one that placed it, so what it says is
kept (`ProviderTestCall`) for `KEPT`, then forgotten: a key older than that is unknown, as is one
Tocsin never gave. Its text is all Tocsin's words, so a provider that cannot speak its language
says the English sentence instead (`telephony.callbacks.CallView.spoken_by`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from tocsin.providers.models import ProviderTestCall
from tocsin.telephony.dialogue import CallScript
from tocsin.telephony.prompts import DEFAULT_LANGUAGE, ENGLISH

log = logging.getLogger(__name__)

KEY_PREFIX = "test/"
# Long enough for any call to be answered and ended; a provider's late retries included.
KEPT = timedelta(days=1)


def is_test_call_key(idempotency_key: str) -> bool:
    return idempotency_key.startswith(KEY_PREFIX)


def placed_test_call(session: Session, idempotency_key: str) -> ProviderTestCall | None:
    """The test call a call's idempotency key names; None for any other call."""
    if not is_test_call_key(idempotency_key):
        return None
    return session.get(ProviderTestCall, idempotency_key.removeprefix(KEY_PREFIX))


def script_of_test_call(
    session: Session, idempotency_key: str, *, now: datetime
) -> CallScript | None:
    """What the test call with this key says; None when the key names no test call, or one
    older than `KEPT`."""
    test_call = placed_test_call(session, idempotency_key)
    if test_call is None or test_call.created_at <= now - KEPT:
        return None
    return CallScript(
        test_call.spoken_text,
        # No key is recorded: each is answered on its own, so 1 says what it says on an
        # alert's call and a 9 only ever asks whether to stop calls (nothing is stopped).
        keys="",
        offers_menu=True,
        language=test_call.language,
        in_english=None if test_call.language == DEFAULT_LANGUAGE else ENGLISH.test_call,
    )


def purge_test_calls(session: Session, *, now: datetime) -> int:
    """Delete the test calls older than `KEPT`; returns how many."""
    result = session.execute(
        delete(ProviderTestCall)
        .where(ProviderTestCall.created_at <= now - KEPT)
        .execution_options(synchronize_session=False)
    )
    removed = int(getattr(result, "rowcount", 0) or 0)
    if removed:
        log.info("test calls: %d older than %s forgotten", removed, KEPT)
    return removed
