"""Local wall time to instants, with one rule for the times a DST change makes odd.

A local time that does not exist (the hour skipped when clocks go forward) is read as the first
instant after the gap: 02:30 on the night London goes from 01:00 to 02:00 UTC is 03:00 BST. A
local time that happens twice (clocks go back) is its first occurrence (`fold=0`). So a handoff
or a restriction edge set inside the gap happens when the clocks have just jumped, never an hour
late, and one set in the repeated hour happens the first time it comes round.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def to_utc(instant: datetime) -> datetime:
    """The same instant in UTC; an instant must be aware (a naive one is a bug upstream)."""
    if instant.tzinfo is None:
        raise ValueError("instants must be aware datetimes")
    return instant.astimezone(UTC)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of `wall` o'clock on `day` in `tz` (the gap and fold rules above)."""
    naive = datetime.combine(day, wall.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=tz).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    return _end_of_gap(naive, tz)


def _end_of_gap(naive: datetime, tz: ZoneInfo) -> datetime:
    """The transition instant of the gap `naive` falls in: between reading it with the offsets
    before and after the change, the first instant whose offset is the later one."""
    before = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    after = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    low, high = min(before, after), max(before, after)
    old_offset = low.astimezone(tz).utcoffset()
    # Transitions fall on whole seconds; bisect the (at most a few hours) span in seconds.
    lo, hi = 0, int((high - low).total_seconds())
    while lo < hi:
        mid = (lo + hi) // 2
        if (low + timedelta(seconds=mid)).astimezone(tz).utcoffset() == old_offset:
            lo = mid + 1
        else:
            hi = mid
    return low + timedelta(seconds=lo)
