"""Business hours on a local clock: spans, nights, holidays, "outside", and DST.

Europe/Kyiv keeps EU summer time (tzdata: last Sunday of March to last Sunday of October), so
09:00 in Kyiv is 07:00 UTC in winter and 06:00 UTC in summer; the hours follow the wall clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from tocsin.routing.hours import WEEKDAYS, Hours, Span

KYIV = ZoneInfo("Europe/Kyiv")
OFFICE = Hours(spans=[Span(days=WEEKDAYS, start="09:00", end="18:00")], timezone="Europe/Kyiv")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_kyiv_changes_its_clocks_where_these_tests_expect() -> None:
    assert utc(2026, 3, 27, 12).astimezone(KYIV).utcoffset() == timedelta(hours=2)
    assert utc(2026, 3, 30, 12).astimezone(KYIV).utcoffset() == timedelta(hours=3)
    assert utc(2026, 10, 23, 12).astimezone(KYIV).utcoffset() == timedelta(hours=3)
    assert utc(2026, 10, 26, 12).astimezone(KYIV).utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    ("instant", "within"),
    [
        # Friday 27 March, winter time (UTC+2): 09:00 Kyiv is 07:00 UTC.
        (utc(2026, 3, 27, 6, 59, 59), False),
        (utc(2026, 3, 27, 7, 0), True),
        (utc(2026, 3, 27, 15, 59, 59), True),
        (utc(2026, 3, 27, 16, 0), False),
        # Monday 30 March, summer time (UTC+3): 09:00 Kyiv is 06:00 UTC.
        (utc(2026, 3, 30, 5, 59, 59), False),
        (utc(2026, 3, 30, 6, 0), True),
        (utc(2026, 3, 30, 6, 30), True),
        (utc(2026, 3, 30, 14, 59), True),
        (utc(2026, 3, 30, 15, 0), False),
        # Back to winter on 25 October: Monday 26 October 06:30 UTC is 08:30 in Kyiv.
        (utc(2026, 10, 26, 6, 30), False),
        (utc(2026, 10, 26, 7, 0), True),
        # The weekend is outside all day.
        (utc(2026, 3, 28, 10, 0), False),
        (utc(2026, 3, 29, 10, 0), False),
    ],
)
def test_weekday_office_hours_follow_the_wall_clock(instant: datetime, within: bool) -> None:
    assert OFFICE.hold_at(instant, "UTC") is within


def test_outside_is_the_complement() -> None:
    after_hours = OFFICE.model_copy(update={"outside": True})
    for hour in range(24):
        instant = utc(2026, 3, 30, hour)
        assert after_hours.hold_at(instant, "UTC") is not OFFICE.hold_at(instant, "UTC")


def test_an_overnight_span_belongs_to_the_day_it_starts_on() -> None:
    night = Hours(spans=[Span(days=["fri"], start="22:00", end="06:00")], timezone="UTC")
    assert night.hold_at(utc(2026, 1, 2, 22, 0), "UTC")  # Friday evening
    assert night.hold_at(utc(2026, 1, 3, 5, 59), "UTC")  # Saturday before six
    assert not night.hold_at(utc(2026, 1, 3, 6, 0), "UTC")
    assert not night.hold_at(utc(2026, 1, 3, 22, 30), "UTC")  # Saturday evening: not listed
    assert not night.hold_at(utc(2026, 1, 2, 5, 0), "UTC")  # Friday early: Thursday's night


def test_midnight_ends_a_day_and_a_whole_day_holds_throughout() -> None:
    day = Hours(spans=[Span(days=["sat"], start="00:00", end="24:00")], timezone="UTC")
    assert day.hold_at(utc(2026, 1, 3, 0, 0), "UTC")
    assert day.hold_at(utc(2026, 1, 3, 23, 59, 59), "UTC")
    assert not day.hold_at(utc(2026, 1, 4, 0, 0), "UTC")


def test_a_span_ending_when_it_starts_lasts_a_whole_day() -> None:
    day = Hours(spans=[Span(days=["fri"], start="08:00", end="08:00")], timezone="UTC")
    assert not day.hold_at(utc(2026, 1, 2, 7, 59), "UTC")
    assert day.hold_at(utc(2026, 1, 2, 8, 0), "UTC")
    assert day.hold_at(utc(2026, 1, 3, 7, 59), "UTC")
    assert not day.hold_at(utc(2026, 1, 3, 8, 0), "UTC")


def test_holidays_take_the_day_out_by_its_local_date() -> None:
    # 1 January is a Thursday; in Kyiv, 23:30 UTC on 31 December is already 1 January.
    hours = OFFICE.model_copy(update={"holidays": ["2026-01-01"]})
    assert not hours.hold_at(utc(2026, 1, 1, 10), "UTC")
    assert hours.hold_at(utc(2026, 1, 2, 10), "UTC")
    assert OFFICE.hold_at(utc(2026, 1, 1, 10), "UTC")


def test_a_holiday_does_not_cut_a_night_that_began_the_day_before() -> None:
    night = Hours(
        spans=[Span(days=["thu"], start="20:00", end="08:00")],
        timezone="UTC",
        holidays=["2026-01-02"],
    )
    assert night.hold_at(utc(2026, 1, 2, 7, 0), "UTC")


def test_hours_without_a_zone_read_the_fallback_zone() -> None:
    hours = Hours(spans=[Span(days=WEEKDAYS, start="09:00", end="18:00")])
    # 07:30 UTC on a winter Friday: 09:30 in Kyiv, 07:30 in London.
    assert hours.hold_at(utc(2026, 1, 2, 7, 30), "Europe/Kyiv")
    assert not hours.hold_at(utc(2026, 1, 2, 7, 30), "Europe/London")


@pytest.mark.parametrize(
    "document",
    [
        {"spans": []},
        {"spans": [{"days": ["mon"], "start": "9:00", "end": "18:00"}]},
        {"spans": [{"days": ["mon"], "start": "09:00", "end": "25:00"}]},
        {"spans": [{"days": ["mon"], "start": "24:00", "end": "02:00"}]},
        {"spans": [{"days": ["mon", "mon"], "start": "09:00", "end": "18:00"}]},
        {"spans": [{"days": ["monday"], "start": "09:00", "end": "18:00"}]},
        {"spans": [{"days": [], "start": "09:00", "end": "18:00"}]},
        {"spans": [{"days": ["mon"], "start": "09:00", "end": "18:00"}], "timezone": "Mars/Base"},
        {"spans": [{"days": ["mon"], "start": "09:00", "end": "18:00"}], "timezone": "../etc"},
        {"spans": [{"days": ["mon"], "start": "09:00", "end": "18:00"}], "holidays": ["soon"]},
        {"spans": [{"days": ["mon"], "start": "09:00", "end": "18:00"}], "extra": 1},
        {"spans": [{"days": ["mon"], "start": "09:00", "end": "18:00"}], "holidays": [1767225600]},
        {
            "spans": [{"days": ["mon"], "start": "09:00", "end": "18:00"}],
            "holidays": ["2026-02-30"],
        },
        {"spans": [{"days": ["mon"], "start": "09:00", "end": "18:00"}], "outside": 0},
    ],
)
def test_nonsense_hours_are_refused(document: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Hours.model_validate(document)
