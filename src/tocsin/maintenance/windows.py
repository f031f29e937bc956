"""When a maintenance window is in force: one period, or a period that recurs by an RFC 5545
rule, read in the window's IANA time zone. Pure: no I/O.

A recurring window's rule says when each occurrence STARTS (RFC 5545 §3.8.5.3, RRULE, with the
RECUR value of §3.3.10); its first start is the window's `starts_at` read as wall-clock time in
its time zone (DTSTART;TZID=...), so a weekly "Sunday 02:00 Europe/Berlin" starts at 02:00 local
in winter and in summer. Each occurrence lasts the window's duration, the same exact duration
for every occurrence, as §3.8.5.3 says of a component whose length DTEND gives.

Where the clocks change (§3.3.10 defers to §3.3.5): a local start that occurs twice (the night
the clocks go back) is the first of the two; one that does not occur (the night they go
forward) is read with the offset before the gap, so 02:00 on that night is 03:00 summer time.
Python's `zoneinfo` with fold=0 gives both, which is what `dateutil` builds occurrences with.

Only what a maintenance window needs of RFC 5545 is taken: one RRULE (no RDATE, EXDATE or
DTSTART in the text; the window's own start is DTSTART), at most daily (an occurrence every
hour or minute is a mute, not a window), and the rule parts the RFC defines (not dateutil's
BYEASTER).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from tocsin.core.errors import InvalidInput

MIN_DURATION = timedelta(minutes=1)
# A silence longer than a year is a deleted endpoint, not maintenance.
MAX_DURATION = timedelta(days=366)
# Longer than a month per occurrence, and a recurring window is never over.
MAX_RECURRING_DURATION = timedelta(days=31)
MAX_RULE_CHARACTERS = 500
MAX_INTERVAL = 1000
# A finite rule with more occurrences than this is treated as endless where only its last end
# is wanted (which windows to look at); whether it is in force is still exact.
_COUNTED_OCCURRENCES = 5000
_FREQUENCIES = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
_RFC_PARTS = frozenset(
    {
        "FREQ",
        "UNTIL",
        "COUNT",
        "INTERVAL",
        "BYSECOND",
        "BYMINUTE",
        "BYHOUR",
        "BYDAY",
        "BYMONTHDAY",
        "BYYEARDAY",
        "BYWEEKNO",
        "BYMONTH",
        "BYSETPOS",
        "WKST",
    }
)
# Rule parts that choose a time of day: more than one value is more than one start a day.
_TIME_OF_DAY_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
# The Gregorian calendar repeats every 400 years to the weekday (146,097 days, a multiple of 7),
# so a rule that yields nothing in 400 years from a start never yields anything.
_CYCLE_YEARS = 400
_LAST_YEAR = 9999


@dataclass(frozen=True)
class Occurrence:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Timing:
    """When a window is in force. `starts_at` is the first occurrence's start (aware, any
    offset); `ended_at`, when someone ended it early, cuts the occurrence in force then."""

    starts_at: datetime
    duration: timedelta
    timezone: str
    rrule: str | None = None
    ended_at: datetime | None = None


def invalid(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_window")


_WRITTEN_DURATION = re.compile(r"(?:(\d{1,4})d)?(?:(\d{1,5})h)?(?:(\d{1,6})m)?")


def parse_duration(text: str) -> timedelta:
    """A length as people write it in the shell and the dashboard: 30m, 1h, 2h30m, 1d."""
    found = _WRITTEN_DURATION.fullmatch("".join(text.split()).lower())
    if found is None or not any(found.groups()):
        raise invalid(f"{text!r} is not a length such as 30m, 1h, 2h30m or 1d")
    days, hours, minutes = (int(part or 0) for part in found.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def check_timing(timing: Timing) -> None:
    """InvalidInput (`invalid_window`, `invalid_rrule`) unless the timing makes sense; the time
    zone is checked by the caller (`invalid_timezone`)."""
    if timing.starts_at.tzinfo is None:
        raise invalid("starts_at needs an offset, e.g. 2026-01-05T02:00:00+01:00")
    if timing.duration < MIN_DURATION:
        raise invalid("a window lasts at least a minute: ends_at after starts_at")
    longest = MAX_RECURRING_DURATION if timing.rrule else MAX_DURATION
    if timing.duration > longest:
        what = "an occurrence of a recurring window" if timing.rrule else "a window"
        raise invalid(f"{what} lasts at most {longest.days} days")
    if timing.rrule is not None:
        _rule(timing.rrule, timing.starts_at, timing.timezone)


def normalised_rule(text: str) -> str:
    """The rule as stored: upper case, without the optional `RRULE:` prefix or any whitespace
    (an iCalendar line may be folded anywhere, RFC 5545 §3.1)."""
    return "".join(text.split()).upper().removeprefix("RRULE:")


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_rrule")


def _parts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for part in text.split(";"):
        name, equals, value = part.partition("=")
        if not equals or not value:
            raise _refuse(f"{part!r} is not NAME=VALUE (RFC 5545 §3.3.10)")
        if name not in _RFC_PARTS:
            raise _refuse(f"{name} is not a rule part this window takes (RFC 5545 §3.3.10)")
        if name in parts:
            raise _refuse(f"{name} is given twice")
        parts[name] = value
    return parts


@dataclass(frozen=True)
class _Rule:
    starts: rrule
    # COUNT or UNTIL: the rule ends.
    finite: bool


def _rule(text: str, starts_at: datetime, timezone: str) -> _Rule:
    rule = normalised_rule(text)
    if not rule or len(rule) > MAX_RULE_CHARACTERS:
        raise _refuse(f"a rule is 1 to {MAX_RULE_CHARACTERS} characters, e.g. FREQ=WEEKLY;BYDAY=SU")
    if re.search(r"(DTSTART|RDATE|EXDATE|EXRULE|RRULE)", rule):
        raise _refuse("one RRULE only: the window's starts_at is its DTSTART")
    parts = _parts(rule)
    if parts.get("FREQ") not in _FREQUENCIES:
        raise _refuse("a window recurs at most daily: FREQ is DAILY, WEEKLY, MONTHLY or YEARLY")
    for part in _TIME_OF_DAY_PARTS:
        if "," in parts.get(part, ""):
            # Each value of these starts another occurrence the same day: BYSECOND=0,1,...,59
            # with FREQ=DAILY starts every second, millions of starts to walk per question.
            raise _refuse(f"a window recurs at most daily: {part} takes one value")
    if "COUNT" in parts and "UNTIL" in parts:
        raise _refuse("UNTIL and COUNT must not both be given (RFC 5545 §3.3.10)")
    if "INTERVAL" in parts and not (
        parts["INTERVAL"].isdigit() and 1 <= int(parts["INTERVAL"]) <= MAX_INTERVAL
    ):
        raise _refuse(f"INTERVAL is a whole number from 1 to {MAX_INTERVAL}")
    starts = _parsed(rule, _local_start(starts_at, timezone), timezone)
    return _Rule(starts, finite="COUNT" in parts or "UNTIL" in parts)


@lru_cache(maxsize=512)
def _parsed(rule: str, dtstart: datetime, timezone: str) -> rrule:
    """The rule, checked once per (rule, start, zone): parsing and the 400-year check cost more
    than every later question asked of it. (The zone is part of the key because two aware
    datetimes of one instant are equal whatever their zones.) dateutil keeps the occurrences it
    has found (`cache`), so the next question walks a list instead of the calendar again."""
    try:
        parsed = rrulestr(rule, dtstart=dtstart, cache=True)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise _refuse(f"not an RFC 5545 rule: {exc}") from exc
    if not isinstance(parsed, rrule):
        raise _refuse("one RRULE only")
    if not _ever_occurs(parsed, dtstart):
        raise _refuse("the rule never occurs (say, February 30th)")
    return parsed


def _ever_occurs(rule: rrule, dtstart: datetime) -> bool:
    """Whether the rule yields anything at all, asked of a copy moved to the last centuries
    dateutil reaches (the same year modulo 400, so the same calendar): an impossible rule
    (BYMONTH=2;BYMONTHDAY=30) would otherwise have dateutil search to the year 9999 each time
    it is asked. At least 400 years are searched, every pattern of a rule without INTERVAL."""
    year = _LAST_YEAR + 1 - 2 * _CYCLE_YEARS + dtstart.year % _CYCLE_YEARS
    probe = rule.replace(dtstart=dtstart.replace(tzinfo=None, year=year), until=None, count=None)
    return next(iter(probe), None) is not None


def _local_start(starts_at: datetime, timezone: str) -> datetime:
    """DTSTART as wall-clock time in the window's zone."""
    return starts_at.astimezone(ZoneInfo(timezone))


def _starts(timing: Timing) -> rrule | None:
    if timing.rrule is None:
        return None
    return _rule(timing.rrule, timing.starts_at, timing.timezone).starts


def _cut(timing: Timing, occurrence: Occurrence) -> Occurrence | None:
    """The occurrence as it stands after an early end: cut short if it was in force then."""
    ended = timing.ended_at
    if ended is None or not occurrence.starts_at <= ended < occurrence.ends_at:
        return occurrence
    if ended <= occurrence.starts_at:
        return None
    return Occurrence(occurrence.starts_at, ended)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _occurrence(timing: Timing, start: datetime) -> Occurrence:
    return Occurrence(_utc(start), _utc(start) + timing.duration)


def occurrence_at(timing: Timing, at: datetime) -> Occurrence | None:
    """The occurrence in force at `at` (as cut by an early end), or None.

    Every occurrence lasts the same, so the last one to start by `at` is the only one that can
    still be in force."""
    rule = _starts(timing)
    if rule is None:
        latest: datetime | None = timing.starts_at
        if at < timing.starts_at:
            latest = None
    else:
        # Bounds in UTC, occurrences in the zone: aware datetimes of different zones compare
        # as instants.
        latest = rule.before(_utc(at), inc=True)
    if latest is None:
        return None
    occurrence = _cut(timing, _occurrence(timing, latest))
    if occurrence is None or not occurrence.starts_at <= at < occurrence.ends_at:
        return None
    return occurrence


def next_occurrence(timing: Timing, after: datetime) -> Occurrence | None:
    """The occurrence in force at `after`, else the next to start; None when none is left."""
    current = occurrence_at(timing, after)
    if current is not None:
        return current
    rule = _starts(timing)
    if rule is None:
        if after < timing.starts_at:
            return _cut(timing, _occurrence(timing, timing.starts_at))
        return None
    start = rule.after(_utc(after))
    while start is not None:
        occurrence = _cut(timing, _occurrence(timing, start))
        if occurrence is not None:
            return occurrence
        start = rule.after(start)
    return None


def last_end(timing: Timing) -> datetime | None:
    """When the window is over for good; None while its rule has no end (or one too far off
    to count)."""
    if timing.rrule is None:
        only = _cut(timing, _occurrence(timing, timing.starts_at))
        return only.ends_at if only is not None else timing.starts_at
    rule = _rule(timing.rrule, timing.starts_at, timing.timezone)
    if not rule.finite:
        return None
    counted = list(itertools.islice(rule.starts, _COUNTED_OCCURRENCES + 1))
    if len(counted) > _COUNTED_OCCURRENCES:
        return None
    if not counted:
        return timing.starts_at
    last = _occurrence(timing, counted[-1])
    cut = _cut(timing, last)
    return cut.ends_at if cut is not None else last.starts_at


def upcoming(timing: Timing, after: datetime, count: int) -> list[Occurrence]:
    """The occurrence in force at `after`, if any, and the ones that start after it: `count`
    in all at most. (Occurrences may overlap when they last longer than the rule's step.)"""
    first = next_occurrence(timing, after)
    if first is None:
        return []
    found = [first]
    rule = _starts(timing)
    if rule is None:
        return found
    for start in rule.xafter(first.starts_at):
        if len(found) >= count:
            break
        occurrence = _cut(timing, _occurrence(timing, start))
        if occurrence is not None:
            found.append(occurrence)
    return found
