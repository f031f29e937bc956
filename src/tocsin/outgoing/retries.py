"""What one attempt to POST a delivery leads to: delivered, tried again later, or given up.
Pure: the answer and the count in, a verdict out (tests/outgoing/test_retries.py tables it).

Standard Webhooks' "Delivery success and failure" is the guide: a 2xx is success; a redirect
is a failure (never followed: the subscription's URL should be updated); 410 Gone asks the
sender to stop; 429, a 5xx, a timeout or a connection that failed are worth trying again; any
other 4xx will be refused again, so it fails at once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

# The wait after the 1st, 2nd, ... failed attempt; the attempt after the last wait is the last.
SCHEDULE = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
)
MAX_ATTEMPTS = len(SCHEDULE) + 1
# Each wait is longer by up to this much, so receivers that failed together are not all tried
# again in the same second.
JITTER = 0.25
# A receiver's Retry-After is honoured up to this; never sooner than the schedule says.
MAX_RETRY_AFTER = timedelta(hours=1)
# Worth trying again: the request may well succeed later.
RETRYABLE_CODES = frozenset({408, 429})
GONE = 410


class VerdictKind(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"
    GAVE_UP = "gave_up"


@dataclass(frozen=True)
class Answer:
    """How one attempt went: the receiver's status (None when none came) or what went wrong."""

    status_code: int | None
    error: str | None = None
    retry_after: str | None = None
    snippet: str | None = None
    milliseconds: int = 0


@dataclass(frozen=True)
class Verdict:
    kind: VerdictKind
    # When to try again (RETRY only).
    next_at: datetime | None = None
    # Why the subscription should stop (a 410), else None.
    disable: str | None = None
    error: str | None = None


def judge(answer: Answer, *, attempts: int, delivery_id: str, now: datetime) -> Verdict:
    """`attempts` counts this one."""
    code = answer.status_code
    if code is not None and 200 <= code < 300:
        return Verdict(VerdictKind.DELIVERED)
    if code == GONE:
        reason = "the receiver answered 410 Gone: it wants no more deliveries"
        return Verdict(VerdictKind.FAILED, disable=reason, error=reason)
    if code is not None and 300 <= code < 400:
        return Verdict(
            VerdictKind.FAILED,
            error=f"the receiver answered {code}, a redirect, which is never followed: "
            "update the webhook's URL",
        )
    if code is not None and 400 <= code < 500 and code not in RETRYABLE_CODES:
        return Verdict(VerdictKind.FAILED, error=f"the receiver refused it with {code}")
    error = answer.error or f"the receiver answered {code}"
    if attempts >= MAX_ATTEMPTS:
        return Verdict(VerdictKind.GAVE_UP, error=f"{error}; gave up after {attempts} attempts")
    wait = _scheduled(attempts, delivery_id)
    asked = retry_after(answer.retry_after, now)
    if asked is not None:
        wait = max(wait, min(asked, MAX_RETRY_AFTER))
    return Verdict(VerdictKind.RETRY, next_at=now + wait, error=error)


def _scheduled(attempts: int, delivery_id: str) -> timedelta:
    """The schedule's wait after this many attempts, plus this delivery's own jitter: drawn
    from its id and the count, so it is spread like a random one but the same every time."""
    digest = hashlib.sha256(f"{delivery_id}:{attempts}".encode()).digest()
    fraction = int.from_bytes(digest[:4], "big") / 2**32
    return SCHEDULE[attempts - 1] * (1 + JITTER * fraction)


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A Retry-After header (seconds, or an HTTP date) as a wait from now; None when absent
    or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return timedelta(seconds=min(int(text), 10**7))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(timedelta(0), when - now)
