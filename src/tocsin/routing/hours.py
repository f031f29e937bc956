"""Business hours: whether an instant falls within a rule's local hours. Nothing here does I/O.

Hours are judged on the local wall clock of a time zone, the way people say them: "weekdays
09:00-18:00 Europe/Kyiv" holds from nine to six by the clock on the wall in Kyiv, summer and
winter alike, so a DST change moves the boundary in UTC and never in Kyiv. A span whose end is
not after its start runs overnight: "Fri 22:00-06:00" holds from Friday 22:00 to Saturday 06:00,
and belongs to the day it starts on; so "Fri 08:00-08:00" is the 24 hours from Friday 08:00.
`24:00` ends a span at midnight.

Holidays are local dates on which the hours do not hold at all (a span that started the evening
before still runs until its end, as a night shift does).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from tocsin.rota.localtime import zone

MAX_SPANS = 14
MAX_HOLIDAYS = 366
_CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")
_START = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


_ORDER = list(Weekday)
WEEKDAYS = _ORDER[:5]


def _clock(text: str) -> time:
    if text == "24:00":
        return time.max
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class Span(BaseModel):
    """On these days, from `start` to `end` local time."""

    model_config = ConfigDict(extra="forbid")

    days: list[Weekday] = Field(min_length=1, max_length=7, json_schema_extra={"uniqueItems": True})
    start: str = Field(pattern=_START.pattern, examples=["09:00"])
    end: str = Field(pattern=_CLOCK.pattern, examples=["18:00"])

    @field_validator("days")
    @classmethod
    def _distinct(cls, days: list[Weekday]) -> list[Weekday]:
        if len(set(days)) != len(days):
            raise ValueError("a day is listed twice")
        return days

    def holds(self, local: datetime, holidays: frozenset[date]) -> bool:
        start, end = _clock(self.start), _clock(self.end)
        wall = local.time().replace(tzinfo=None, fold=0)
        today = local.date()
        overnight = end <= start
        started_today = _ORDER[today.weekday()] in self.days and today not in holidays
        if started_today and wall >= start and (overnight or wall < end):
            return True
        if overnight:
            yesterday = today - timedelta(days=1)
            if _ORDER[yesterday.weekday()] in self.days and yesterday not in holidays:
                return wall < end
        return False


class Hours(BaseModel):
    """A rule's condition on the local time the alert arrived."""

    model_config = ConfigDict(extra="forbid")

    spans: list[Span] = Field(min_length=1, max_length=MAX_SPANS)
    # An IANA zone; absent: the endpoint's project's zone when it has one, else the
    # organization's.
    timezone: str | None = Field(default=None, max_length=64, examples=["Europe/Kyiv"])
    # Local dates (YYYY-MM-DD) on which the hours do not hold. Text, not `date`: a date field
    # would also take a number as a Unix time, which no one writing a holiday means.
    holidays: list[str] = Field(
        default_factory=list,
        max_length=MAX_HOLIDAYS,
        json_schema_extra={"items": {"type": "string", "format": "date"}},
    )
    # True: the rule matches outside these hours instead ("out of hours").
    outside: StrictBool = False

    @field_validator("holidays")
    @classmethod
    def _real_dates(cls, days: list[str]) -> list[str]:
        for day in days:
            if not _DATE.match(day):
                raise ValueError(f"holidays are dates written YYYY-MM-DD, not {day!r}")
            date.fromisoformat(day)
        return days

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str | None) -> str | None:
        if name is not None:
            known_zone(name)
        return name

    def hold_at(self, instant: datetime, fallback_zone: str) -> bool:
        local = instant.astimezone(zone(self.timezone or fallback_zone))
        days_off = frozenset(date.fromisoformat(day) for day in self.holidays)
        within = any(span.holds(local, days_off) for span in self.spans)
        return within != self.outside


def known_zone(name: str) -> ZoneInfo:
    """The zone by its IANA name; ValueError naming it when there is none such."""
    try:
        return zone(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error
