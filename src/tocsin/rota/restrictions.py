"""Restrictions: the windows of local time in which a layer counts.

Windows are read in the schedule's time zone. `days` (0 Monday .. 6 Sunday) name the day a
window starts on; a window whose `end` is at or before its `start` runs past midnight into the
next day, and one whose `end` equals its `start` lasts until the same local time the next day
(a whole day, 23 or 25 hours across a DST change, so windows on consecutive days meet exactly).
Edges follow the gap rule of rota.localtime: a window of 22:00 to 06:00 on the night clocks go
forward is an hour shorter, and a window lying wholly inside the skipped hour is empty. A layer
with no restrictions always counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tocsin.rota.localtime import local_date, local_instant, zone
from tocsin.rota.model import Restriction

Interval = tuple[datetime, datetime]


def windows(
    restrictions: tuple[Restriction, ...], timezone: str, starts_at: datetime, ends_at: datetime
) -> list[Interval]:
    """The instants within [starts_at, ends_at) where a layer with these restrictions counts:
    sorted, disjoint, clipped intervals (overlapping or touching windows merged)."""
    if starts_at >= ends_at:
        return []
    if not restrictions:
        return [(starts_at, ends_at)]
    tz = zone(timezone)
    # A window starting the day before the range can reach into it (at most 25 hours long).
    first = local_date(starts_at, tz) - timedelta(days=1)
    last = local_date(ends_at, tz)
    raw: list[Interval] = []
    day = first
    while day <= last:
        for restriction in restrictions:
            if day.weekday() in restriction.days:
                begin = local_instant(day, restriction.start, tz)
                overnight = restriction.end <= restriction.start
                end_day = day + timedelta(days=1) if overnight else day
                end = local_instant(end_day, restriction.end, tz)
                if begin < ends_at and end > starts_at and begin < end:
                    raw.append((max(begin, starts_at), min(end, ends_at)))
        day += timedelta(days=1)
    return merge(raw)


def merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for begin, end in sorted(intervals):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged
