"""Per-destination throttles: how often one phone number may be called, declared as one table.

Carriers flag a caller ID that rings the same number too often as spam, and a storm of alerts
must not turn into a storm of calls to one person. Each bucket allows `limit` calls in any
`window`; a call that would overfill a bucket is delayed until the bucket has room, never
dropped. Attempts that may have rung (anything but not placed, blocked or cancelled) count, on
every organization: the limit protects the person who owns the number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Bucket:
    limit: int
    window: timedelta

    def describe(self) -> str:
        return f"{self.limit} per {_duration(self.window)}"


@dataclass(frozen=True)
class Hold:
    until: datetime
    bucket: Bucket


# The platform's voice limits per destination number.
VOICE_PER_NUMBER: tuple[Bucket, ...] = (
    Bucket(1, timedelta(minutes=1)),
    Bucket(3, timedelta(minutes=15)),
    Bucket(7, timedelta(hours=1)),
    Bucket(15, timedelta(hours=3)),
)

# The first call about a new critical alert waits only for these: news is never held for
# minutes behind calls about older alerts, yet cannot ring a number more than once a minute, or
# more than twelve times an hour however many new alerts there are (docs/delivery.md).
VOICE_NEWS: tuple[Bucket, ...] = (
    Bucket(1, timedelta(minutes=1)),
    Bucket(12, timedelta(hours=1)),
)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_BUCKET = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*([smhd])\s*$")


def _duration(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds % size == 0 and seconds >= size:
            amount = seconds // size
            return f"{amount} {unit}" if amount != 1 else ("hour" if unit == "h" else "minute")
    return f"{seconds} s"


def parse_buckets(text: str) -> tuple[Bucket, ...]:
    """`1/1m,3/15m,7/1h,15/3h`: limit/window with s, m, h or d. Empty: no throttle."""
    buckets = []
    for part in text.split(","):
        if not part.strip():
            continue
        match = _BUCKET.match(part)
        if match is None:
            raise ValueError(f"throttle {part.strip()!r} is not LIMIT/WINDOW such as 3/15m")
        limit, amount, unit = int(match[1]), int(match[2]), match[3]
        if limit < 1 or amount < 1:
            raise ValueError(f"throttle {part.strip()!r} needs a limit and window above zero")
        buckets.append(Bucket(limit, timedelta(seconds=amount * _UNITS[unit])))
    return tuple(buckets)


def longest_window(buckets: Sequence[Bucket]) -> timedelta:
    return max((bucket.window for bucket in buckets), default=timedelta(0))


def largest_limit(buckets: Sequence[Bucket]) -> int:
    return max((bucket.limit for bucket in buckets), default=0)


def hold(recent: Sequence[datetime], now: datetime, buckets: Sequence[Bucket]) -> Hold | None:
    """When a new call to a number may go, given when its recent calls were made (newest
    first, at least `largest_limit` of them if there are that many); None if it may go now.

    A full bucket has room again once its `limit`-th newest call leaves the window; the hold
    is the latest of those moments over every full bucket.
    """
    latest: Hold | None = None
    for bucket in buckets:
        inside = [moment for moment in recent if moment > now - bucket.window]
        if len(inside) < bucket.limit:
            continue
        until = inside[bucket.limit - 1] + bucket.window
        if latest is None or until > latest.until:
            latest = Hold(until, bucket)
    return latest
