"""What the engine reads about a destination number before calling it: its recent calls.

Throttles must hold across workers, so the count and the attempt it allows are written under a
per-number lock: a PostgreSQL advisory lock for the rest of the transaction (SQLite has one
writer at a time already).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from tocsin.core.throttle import Bucket, largest_limit, longest_window
from tocsin.db.locks import takes_row_locks
from tocsin.db.statements import run
from tocsin.formats.severity import Severity
from tocsin.paging.models import PLACED_ATTEMPT_STATUSES, Alert, CallAttempt, CallJob

_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def _lock_key(number: str) -> int:
    # A signed 64-bit key; a collision only makes two numbers share a lock.
    return int.from_bytes(hashlib.sha256(f"number:{number}".encode()).digest()[:8], signed=True)


def lock_number(session: Session, number: str) -> None:
    """Take the number's lock for the rest of the transaction (PostgreSQL; SQLite has one
    writer at a time already): one worker at a time decides about calls to one number."""
    if takes_row_locks(session):
        session.execute(_LOCK, {"key": _lock_key(number)})


_RECENT_CALLS = (
    select(CallAttempt.created_at)
    .where(
        CallAttempt.to_number == bindparam("number"),
        # A text to the number rings no phone: throttles are for calls.
        CallAttempt.channel == "voice",
        CallAttempt.created_at > bindparam("since"),
        CallAttempt.status.in_(PLACED_ATTEMPT_STATUSES),
    )
    .order_by(CallAttempt.created_at.desc())
    .limit(bindparam("limit"))
)


def recent_calls(
    session: Session, *, number: str, now: datetime, buckets: tuple[Bucket, ...]
) -> list[datetime]:
    """When the calls that may have rung `number` lately were placed, newest first: as many as
    `hold` needs to judge `buckets` (core/throttle.py). Read it under the number's lock
    (`lock_number`), so the attempt written after the check counts for the next one."""
    if not buckets:
        return []
    values = {
        "number": number,
        "since": now - longest_window(buckets),
        "limit": largest_limit(buckets),
    }
    return list(run(session, _RECENT_CALLS, values).scalars())


_CALLED_ABOUT = (
    select(CallAttempt.id)
    .where(
        CallAttempt.alert_id == bindparam("alert_id"),
        CallAttempt.to_number == bindparam("number"),
        # A text about it does not make a call about it old news.
        CallAttempt.channel == "voice",
    )
    .limit(1)
)


# Whether the number had a call about the alert, for a caller that reads it along with other
# facts in one statement (bind `alert_id` and `number`); see `is_news`.
CALLED_ABOUT = _CALLED_ABOUT.exists()


def is_news(session: Session, job: CallJob, alert: Alert, *, called: bool | None = None) -> bool:
    """Whether this is the first call to the job's number about a critical alert: nobody there
    has heard of it yet, neither by a call of its own nor carried by another's. `called`:
    what `CALLED_ABOUT` read, when the caller read it."""
    if alert.severity != Severity.CRITICAL or job.attempt_count or job.carried_calls:
        return False
    if called is None:
        values = {"alert_id": alert.id, "number": job.to_number}
        called = session.scalar(_CALLED_ABOUT, values) is not None
    return not called
