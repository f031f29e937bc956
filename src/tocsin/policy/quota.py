"""Call quotas and caps: which periods a call counts in, and what the caller is told. No I/O.

Days and months are the organization's own: a daily cap resets at its local midnight, and a
monthly quota on the first of its local month, whatever the server's time zone is.

A period is an instant range, fixed when its first call was counted: changing the time zone
changes where the *next* period ends, never the one being counted. Otherwise a day already used
up could be swapped for the same hour's date in a zone a day ahead (issue 16, finding 6). The
period after one begun in another zone starts where that one ended and ends at a local boundary
of the zone now in force; a stub shorter than half a period joins the next, so a zone change
cannot make a fresh period out of a few hours either.
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


class PeriodKind(StrEnum):
    DAY = "day"
    MONTH = "month"


@dataclass(frozen=True)
class Period:
    """One day or month of counting, as UTC instants; `label` is its local date (`2026-01-31`)
    or month (`2026-01`) in the zone in force when it began, for people to read."""

    kind: PeriodKind
    starts_at: datetime
    ends_at: datetime
    label: str


@dataclass(frozen=True)
class Periods:
    """The counters a call at one moment belongs to."""

    day: Period
    month: Period

    @property
    def day_resets_at(self) -> datetime:
        return self.day.ends_at

    @property
    def month_resets_at(self) -> datetime:
        return self.month.ends_at


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


# A period cut short by a time-zone change joins the next one rather than count on its own.
SHORTEST = {PeriodKind.DAY: timedelta(hours=12), PeriodKind.MONTH: timedelta(days=14)}


def _next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def calendar_period(kind: PeriodKind, moment: datetime, timezone: str) -> Period:
    """The local day or month that holds `moment` in `timezone`."""
    tz = zone(timezone)
    local = moment.astimezone(tz).date()
    if kind == PeriodKind.DAY:
        start, end, label = local, local + timedelta(days=1), local.isoformat()
    else:
        start = local.replace(day=1)
        end, label = _next_month(start), start.isoformat()[:7]
    return Period(kind, _local_midnight(start, tz), _local_midnight(end, tz), label)


def current_period(kind: PeriodKind, now: datetime, timezone: str, latest: Period | None) -> Period:
    """The period of `kind` a call at `now` counts in. `latest` is the newest one already
    counted, if any: while it lasts it is the current one, whatever the zone is now; after it,
    the next starts where it ended and ends at a local boundary of `timezone` at least
    `SHORTEST[kind]` later."""
    if latest is not None and now < latest.ends_at:
        return latest
    local = calendar_period(kind, now, timezone)
    if latest is None or latest.ends_at <= local.starts_at:
        return local
    ends = local
    while ends.ends_at - latest.ends_at < SHORTEST[kind]:
        ends = calendar_period(kind, ends.ends_at, timezone)
    return Period(kind, latest.ends_at, ends.ends_at, ends.label)


def periods_at(
    now: datetime,
    timezone: str,
    *,
    latest_day: Period | None = None,
    latest_month: Period | None = None,
) -> Periods:
    """The day and month a call at `now` counts in, given the newest of each already counted."""
    return Periods(
        day=current_period(PeriodKind.DAY, now, timezone, latest_day),
        month=current_period(PeriodKind.MONTH, now, timezone, latest_month),
    )


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
