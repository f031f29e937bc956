"""Call quotas and caps: which periods a call counts in, and what the caller is told. No I/O.

Days and months are the organization's own: a daily cap resets at its local midnight, and a
monthly quota on the first of its local month, whatever the server's time zone is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from tocsin.core.errors import InvalidInput

# Below this many calls left, the call itself tells the callee, who is the one who can act.
LOW_QUOTA_CALLS = 3


@dataclass(frozen=True)
class CallCaps:
    monthly_calls: int
    daily_calls: int
    monthly_spend_cents: int
    cost_cents: int


@dataclass(frozen=True)
class Periods:
    """The counters a call at one moment belongs to, and when each next resets (UTC)."""

    day: str
    month: str
    day_resets_at: datetime
    month_resets_at: datetime


class CapKind(StrEnum):
    DAILY = "daily_calls"
    MONTHLY = "monthly_calls"
    SPEND = "monthly_spend"


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"unknown time zone {name!r}; use an IANA name such as Europe/London",
            code="invalid_timezone",
        ) from exc


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str) -> str:
    cleaned = name.strip()
    if cleaned != "UTC" and cleaned not in _known_zones():
        raise InvalidInput(
            f"unknown time zone {name!r}; use an IANA name such as Europe/London",
            code="invalid_timezone",
        )
    return cleaned


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    # A midnight skipped by a daylight-saving change resolves forward, which is what "the
    # start of the local day" means there.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(ZoneInfo("UTC"))


def periods_at(now: datetime, timezone: str) -> Periods:
    tz = zone(timezone)
    local = now.astimezone(tz).date()
    first = local.replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    return Periods(
        day=local.isoformat(),
        month=first.isoformat()[:7],
        day_resets_at=_local_midnight(local + timedelta(days=1), tz),
        month_resets_at=_local_midnight(next_month, tz),
    )


def month_of(day: str) -> str:
    return day[:7]


def _left_by_cap(
    caps: CallCaps, *, day_calls: int, month_calls: int, month_spend_cents: int
) -> dict[CapKind, int]:
    by_spend = (
        (caps.monthly_spend_cents - month_spend_cents) // caps.cost_cents
        if caps.cost_cents > 0
        else caps.monthly_calls - month_calls
    )
    return {
        CapKind.DAILY: caps.daily_calls - day_calls,
        CapKind.MONTHLY: caps.monthly_calls - month_calls,
        CapKind.SPEND: by_spend,
    }


def calls_left(caps: CallCaps, *, day_calls: int, month_calls: int, month_spend_cents: int) -> int:
    """How many more calls every cap allows: the smallest of the three."""
    left = _left_by_cap(
        caps, day_calls=day_calls, month_calls=month_calls, month_spend_cents=month_spend_cents
    )
    return max(0, min(left.values()))


def tightest_cap(
    caps: CallCaps, *, day_calls: int, month_calls: int, month_spend_cents: int
) -> CapKind:
    """The cap with the fewest calls left, which is the one worth mentioning."""
    left = _left_by_cap(
        caps, day_calls=day_calls, month_calls=month_calls, month_spend_cents=month_spend_cents
    )
    return min(left, key=lambda kind: left[kind])


def cap_reached(
    caps: CallCaps, *, day_calls: int, month_calls: int, month_spend_cents: int
) -> CapKind | None:
    """The cap one more call would break, if any; the daily cap is named first because it
    resets soonest, which is the most useful thing to tell the owner."""
    if day_calls >= caps.daily_calls:
        return CapKind.DAILY
    if month_calls >= caps.monthly_calls:
        return CapKind.MONTHLY
    if month_spend_cents + caps.cost_cents > caps.monthly_spend_cents:
        return CapKind.SPEND
    return None


def low_quota_sentence(left: int, cap: CapKind) -> str | None:
    """What the call says at the end when few calls remain, or None."""
    if left >= LOW_QUOTA_CALLS:
        return None
    period = "today" if cap == CapKind.DAILY else "this month"
    if left == 0:
        return f"This is the last call your Tocsin plan allows {period}."
    calls = "call" if left == 1 else "calls"
    return f"Your Tocsin plan has {left} {calls} left {period}."


def describe_cap(cap: CapKind, caps: CallCaps) -> str:
    if cap == CapKind.DAILY:
        return f"the daily cap of {caps.daily_calls} calls"
    if cap == CapKind.MONTHLY:
        return f"the monthly quota of {caps.monthly_calls} calls"
    return f"the monthly spend limit of {caps.monthly_spend_cents / 100:.2f}"
