"""iCal feeds: shifts out (RFC 5545, `icalendar`), external calendars in.

Out: one VEVENT per shift, DTSTART and DTEND in UTC, SUMMARY "On call: <name>", and a UID made
from (calendar id, member, shift start), so a calendar client that fetches the feed again
updates an event whose end moved instead of adding a second one.

In: VEVENTs with recurrences expanded (RRULE, RDATE, EXDATE, and RECURRENCE-ID instances that
move or cancel one occurrence). Times with a TZID are read in that zone; floating times and
all-day events (DATE values, midnight to midnight) in the feed's X-WR-TIMEZONE when it names a
known zone, else in `timezone` (the schedule's). Cancelled events are skipped. An event names a
member by its ATTENDEE or ORGANIZER address (mailto:, case-insensitive); an event that names
nobody that way is matched on its SUMMARY, by whole words against the member names and
addresses in `user_for`. A feed that is not iCal, or whose recurrences expand to more than
MAX_OCCURRENCES occurrences (a FREQ=SECONDLY rule, say), is refused with FeedError rather than
cut short: a truncated calendar would put the wrong person on call without saying so.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr
from icalendar import Calendar, Component
from icalendar import Event as VEvent

from tocsin.rota.localtime import to_utc, zone
from tocsin.rota.model import Event, Shift

PRODID = "-//Tocsin//On call//EN"
# Occurrences iterated per feed, from each recurring event's first one up to the end of the
# window asked for: a daily rule started 30 years ago is 11,000; a SECONDLY one, far more.
MAX_OCCURRENCES = 50_000
# Events returned for the window.
MAX_EVENTS = 5_000


class FeedError(ValueError):
    """An iCal feed that cannot be read (not iCal, or too many occurrences to expand)."""


def render_feed(
    *, name: str, shifts: list[Shift], names: dict[str, str], calendar_id: str, now: datetime
) -> bytes:
    """An iCal (RFC 5545) calendar with one VEVENT per shift."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = to_utc(now)
    for shift in shifts:
        event = VEvent()
        event.add("uid", shift_uid(calendar_id, shift))
        event.add("dtstamp", stamp)
        event.add("dtstart", to_utc(shift.starts_at))
        event.add("dtend", to_utc(shift.ends_at))
        event.add("summary", f"On call: {names.get(shift.user_id, shift.user_id)}")
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def shift_uid(calendar_id: str, shift: Shift) -> str:
    key = f"{calendar_id}\n{shift.user_id}\n{to_utc(shift.starts_at).isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:32] + "@tocsin"


def parse_feed(
    data: bytes,
    *,
    user_for: dict[str, str],
    starts_at: datetime,
    ends_at: datetime,
    timezone: str = "UTC",
) -> list[Event]:
    """The events of an iCal calendar within [starts_at, ends_at), recurrences expanded, that
    name a member: `user_for` maps lower-cased e-mail addresses and display names to member
    ids, matched against ATTENDEE, ORGANIZER and SUMMARY. Ordered by start, then member."""
    calendar = _calendar(data)
    window = _Window(to_utc(starts_at), to_utc(ends_at), _default_zone(calendar, timezone))
    matcher = _Matcher(user_for)
    components = [c for c in calendar.walk("VEVENT") if _status(c) != "CANCELLED"]
    moved = _moved_occurrences(calendar, window)
    events: list[Event] = []
    for component in components:
        users = matcher.users(component)
        if not users:
            continue
        for begin, end in _occurrences(component, window, moved):
            events.extend(Event(user, begin, end) for user in users)
            if len(events) > MAX_EVENTS:
                raise FeedError(f"the calendar has more than {MAX_EVENTS} events in the window")
    return sorted(set(events), key=lambda e: (e.starts_at, e.user_id, e.ends_at))


@dataclass
class _Window:
    starts_at: datetime
    ends_at: datetime
    zone: tzinfo
    budget: int = MAX_OCCURRENCES

    def spend(self) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise FeedError(f"the calendar's recurrences expand to over {MAX_OCCURRENCES}")


def _calendar(data: bytes) -> Calendar:
    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError, TypeError) as error:
        raise FeedError(f"not an iCal calendar: {error}") from None
    if not isinstance(calendar, Calendar) or calendar.name != "VCALENDAR":
        raise FeedError("not an iCal calendar: no VCALENDAR")
    return calendar


def _default_zone(calendar: Calendar, timezone: str) -> tzinfo:
    named = calendar.get("X-WR-TIMEZONE")
    for candidate in (str(named) if named else None, timezone):
        if candidate:
            try:
                return zone(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return UTC


def _status(component: Component) -> str:
    return str(component.get("STATUS", "")).upper()


class _Matcher:
    """Members named by an event: addresses first, then whole words of the summary."""

    def __init__(self, user_for: dict[str, str]) -> None:
        self.user_for = {key.lower(): user for key, user in user_for.items() if key.strip()}
        keys = sorted(self.user_for, key=len, reverse=True)
        alternatives = "|".join(re.escape(key) for key in keys)
        self.words = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)") if keys else None

    def users(self, component: Component) -> tuple[str, ...]:
        found = [
            self.user_for[address] for address in _addresses(component) if address in self.user_for
        ]
        if not found and self.words is not None:
            summary = str(component.get("SUMMARY", "")).lower()
            found = [self.user_for[word] for word in self.words.findall(summary)]
        return tuple(dict.fromkeys(found))


def _addresses(component: Component) -> Iterator[str]:
    for key in ("ATTENDEE", "ORGANIZER"):
        values = component.get(key)
        for value in values if isinstance(values, list) else [values]:
            text = str(value or "").strip()
            if text.lower().startswith("mailto:"):
                yield text[len("mailto:") :].strip().lower()


def _value(component: Component, key: str) -> Any:
    prop = component.get(key)
    if isinstance(prop, list):
        prop = prop[0] if prop else None
    return getattr(prop, "dt", None)


def _local(value: date | datetime, default: tzinfo) -> datetime:
    """A DATE or DATE-TIME as an aware datetime: dates at local midnight, floating times in the
    default zone."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), tzinfo=default)
    return value if value.tzinfo is not None else value.replace(tzinfo=default)


def _span(component: Component, start: date | datetime) -> tuple[timedelta, bool]:
    """The event's length and whether it is counted in days (all-day) rather than elapsed."""
    end = _value(component, "DTEND")
    all_day = not isinstance(start, datetime)
    if end is not None:
        if all_day:
            return timedelta(days=(_as_date(end) - start).days), True
        zone_of_start = start.tzinfo if isinstance(start, datetime) and start.tzinfo else UTC
        return to_utc(_local(end, zone_of_start)) - to_utc(_local(start, zone_of_start)), False
    duration = _value(component, "DURATION")
    if isinstance(duration, timedelta):
        return duration, all_day
    return (timedelta(days=1) if all_day else timedelta(0)), all_day


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _end(begin: datetime, length: timedelta, all_day: bool) -> datetime:
    if all_day:
        # Whole days on the wall clock: an all-day event on the day clocks change lasts 23 or
        # 25 hours.
        wall = begin.replace(tzinfo=None) + length
        return to_utc(wall.replace(tzinfo=begin.tzinfo))
    return to_utc(begin) + length


def _moved_occurrences(calendar: Calendar, window: _Window) -> set[tuple[str, datetime]]:
    """(UID, original start) of the occurrences a RECURRENCE-ID instance replaces."""
    moved: set[tuple[str, datetime]] = set()
    for component in calendar.walk("VEVENT"):
        recurrence_id = _value(component, "RECURRENCE-ID")
        if recurrence_id is not None:
            moved.add((str(component.get("UID", "")), to_utc(_local(recurrence_id, window.zone))))
    return moved


def _occurrences(
    component: Component, window: _Window, moved: set[tuple[str, datetime]]
) -> Iterator[tuple[datetime, datetime]]:
    start = _value(component, "DTSTART")
    if not isinstance(start, date):
        return
    length, all_day = _span(component, start)
    if length <= timedelta(0):
        return
    first = _local(start, window.zone)
    uid = str(component.get("UID", ""))
    is_instance = component.get("RECURRENCE-ID") is not None
    excluded = set() if is_instance else _dates(component, "EXDATE", window.zone)
    for begin in _starts(component, first, window, is_instance):
        key = to_utc(begin)
        if key in excluded or (not is_instance and (uid, key) in moved):
            continue
        end = _end(begin, length, all_day)
        if key < window.ends_at and end > window.starts_at:
            yield key, end


def _starts(
    component: Component, first: datetime, window: _Window, is_instance: bool
) -> Iterator[datetime]:
    rule = component.get("RRULE")
    extra = sorted(_dates(component, "RDATE", window.zone, local=True)) if not is_instance else []
    if rule is None or is_instance:
        yield from sorted({first, *extra}, key=to_utc)
        return
    for begin in _merge(_expand(rule, first, window), extra):
        window.spend()
        if to_utc(begin) >= window.ends_at:
            return
        yield begin


def _expand(rule: Any, first: datetime, window: _Window) -> Iterator[datetime]:
    """The RRULE's starts in wall-clock time of `first`'s zone (dateutil's arithmetic on aware
    datetimes), UNTIL read in that zone when it is floating or a date, and never past the
    window: rules that never match stop there rather than at year 9999."""
    rule = rule[0] if isinstance(rule, list) else rule
    parts = {key: value for key, value in rule.items() if key != "UNTIL"}
    until = rule.get("UNTIL")
    limit = window.ends_at
    if until:
        limit = min(limit, to_utc(_local(until[0], first.tzinfo or UTC)))
    text = type(rule)(parts).to_ical().decode()
    try:
        expanded = rrulestr(text, dtstart=first)
        if not isinstance(expanded, rrule):
            raise FeedError("a recurrence rule cannot be read")
        if "COUNT" not in parts:
            expanded = expanded.replace(until=limit)
    except (ValueError, TypeError, KeyError) as error:
        raise FeedError(f"a recurrence rule cannot be read: {error}") from None
    return iter(expanded)


def _merge(rule_starts: Iterator[datetime], extra: list[datetime]) -> Iterator[datetime]:
    """Rule occurrences and RDATEs in order of their instants, each once."""
    seen: set[datetime] = set()
    pending = list(extra)
    for begin in itertools.chain(rule_starts, [None]):
        while pending and (begin is None or to_utc(pending[0]) < to_utc(begin)):
            extra_start = pending.pop(0)
            if to_utc(extra_start) not in seen:
                seen.add(to_utc(extra_start))
                yield extra_start
        if begin is not None and to_utc(begin) not in seen:
            seen.add(to_utc(begin))
            yield begin


def _dates(component: Component, key: str, default: tzinfo, local: bool = False) -> set[Any]:
    """EXDATE or RDATE values: UTC instants, or (local=True) aware local starts."""
    values = component.get(key)
    found: set[Any] = set()
    for entry in values if isinstance(values, list) else [values] if values else []:
        for item in getattr(entry, "dts", []):
            value = item.dt
            if isinstance(value, tuple):  # a PERIOD: its start
                value = value[0]
            if isinstance(value, date):
                aware = _local(value, default)
                found.add(aware if local else to_utc(aware))
    return found
