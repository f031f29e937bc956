"""When a maintenance window is in force: one period, or an RFC 5545 rule read in the window's
zone, exact across the nights the clocks change.

RFC 5545 §3.3.10 (RECUR) and §3.8.5.3 (RRULE): the rule repeats DTSTART, here the window's
start as wall-clock time in its zone, and every occurrence lasts the same exact duration.
§3.3.5: a local time that occurs twice is the first of the two; one that does not occur is read
with the offset before the gap. Europe/Berlin went to summer time on 2025-03-30 at 02:00 (to
03:00) and back on 2025-10-26 at 03:00 (to 02:00).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tocsin.core.errors import InvalidInput
from tocsin.maintenance.windows import (
    Occurrence,
    Timing,
    check_timing,
    last_end,
    next_occurrence,
    normalised_rule,
    occurrence_at,
    upcoming,
)

BERLIN = ZoneInfo("Europe/Berlin")
# Sunday 02:00-04:00 Berlin, weekly, from a winter Sunday.
SUNDAYS = Timing(
    starts_at=datetime(2025, 3, 2, 2, 0, tzinfo=BERLIN),
    duration=timedelta(hours=2),
    timezone="Europe/Berlin",
    rrule="FREQ=WEEKLY;BYDAY=SU",
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_a_weekly_window_stays_at_local_two_oclock_across_the_spring_change() -> None:
    starts = [o.starts_at for o in upcoming(SUNDAYS, utc(2025, 3, 20), 3)]
    assert starts == [
        utc(2025, 3, 23, 1, 0),  # 02:00 CET (+01:00)
        # 02:00 does not exist that night: the offset before the gap, 03:00 CEST (§3.3.5).
        utc(2025, 3, 30, 1, 0),
        utc(2025, 4, 6, 0, 0),  # 02:00 CEST (+02:00)
    ]
    assert [o.starts_at.astimezone(BERLIN).hour for o in upcoming(SUNDAYS, utc(2025, 4, 1), 4)] == [
        2,
        2,
        2,
        2,
    ]


def test_every_occurrence_lasts_the_same_exact_duration() -> None:
    for occurrence in upcoming(SUNDAYS, utc(2025, 3, 20), 40):
        assert occurrence.ends_at - occurrence.starts_at == timedelta(hours=2)


def test_a_weekly_window_on_the_autumn_night_starts_at_the_first_two_oclock() -> None:
    [october] = [o for o in upcoming(SUNDAYS, utc(2025, 10, 20), 2) if o.starts_at.date().day == 26]
    # 02:00 happens twice on 2025-10-26; the first is summer time (+02:00), 00:00 UTC.
    assert october == Occurrence(utc(2025, 10, 26, 0, 0), utc(2025, 10, 26, 2, 0))
    # A week later, winter time: 02:00 CET is 01:00 UTC.
    assert occurrence_at(SUNDAYS, utc(2025, 11, 2, 1, 30)) == Occurrence(
        utc(2025, 11, 2, 1, 0), utc(2025, 11, 2, 3, 0)
    )


def test_in_force_from_its_start_until_just_before_its_end() -> None:
    summer = Occurrence(utc(2025, 6, 1, 0, 0), utc(2025, 6, 1, 2, 0))
    assert occurrence_at(SUNDAYS, utc(2025, 5, 31, 23, 59, 59)) is None
    assert occurrence_at(SUNDAYS, utc(2025, 6, 1, 0, 0)) == summer
    assert occurrence_at(SUNDAYS, utc(2025, 6, 1, 1, 59, 59)) == summer
    assert occurrence_at(SUNDAYS, utc(2025, 6, 1, 2, 0)) is None
    # A Saturday at 02:00 local is no occurrence.
    assert occurrence_at(SUNDAYS, utc(2025, 5, 31, 0, 30)) is None
    assert occurrence_at(SUNDAYS, utc(2025, 3, 1)) is None  # before the first


def test_next_occurrence_is_the_one_in_force_else_the_next() -> None:
    assert next_occurrence(SUNDAYS, utc(2025, 6, 1, 1, 0)) == Occurrence(
        utc(2025, 6, 1, 0, 0), utc(2025, 6, 1, 2, 0)
    )
    assert next_occurrence(SUNDAYS, utc(2025, 6, 1, 2, 0)) == Occurrence(
        utc(2025, 6, 8, 0, 0), utc(2025, 6, 8, 2, 0)
    )


def test_a_one_off_window_is_in_force_once() -> None:
    once = Timing(utc(2026, 1, 1, 10), timedelta(hours=1), "UTC")
    assert occurrence_at(once, utc(2026, 1, 1, 10, 30)) == Occurrence(
        utc(2026, 1, 1, 10), utc(2026, 1, 1, 11)
    )
    assert occurrence_at(once, utc(2026, 1, 1, 11)) is None
    assert next_occurrence(once, utc(2026, 1, 1, 9)) == Occurrence(
        utc(2026, 1, 1, 10), utc(2026, 1, 1, 11)
    )
    assert next_occurrence(once, utc(2026, 1, 1, 11)) is None
    assert last_end(once) == utc(2026, 1, 1, 11)


def test_ending_early_cuts_only_the_occurrence_in_force() -> None:
    ended = Timing(
        SUNDAYS.starts_at,
        SUNDAYS.duration,
        SUNDAYS.timezone,
        SUNDAYS.rrule,
        ended_at=utc(2025, 6, 1, 0, 30),
    )
    assert occurrence_at(ended, utc(2025, 6, 1, 0, 15)) == Occurrence(
        utc(2025, 6, 1, 0, 0), utc(2025, 6, 1, 0, 30)
    )
    assert occurrence_at(ended, utc(2025, 6, 1, 0, 45)) is None
    # Next Sunday is whole again.
    assert occurrence_at(ended, utc(2025, 6, 8, 1, 0)) == Occurrence(
        utc(2025, 6, 8, 0, 0), utc(2025, 6, 8, 2, 0)
    )
    once = Timing(utc(2026, 1, 1, 10), timedelta(hours=2), "UTC", ended_at=utc(2026, 1, 1, 10, 5))
    assert last_end(once) == utc(2026, 1, 1, 10, 5)
    assert next_occurrence(once, utc(2026, 1, 1, 10, 5)) is None


def test_last_end_of_finite_and_endless_rules() -> None:
    counted = Timing(SUNDAYS.starts_at, SUNDAYS.duration, SUNDAYS.timezone, "FREQ=WEEKLY;COUNT=3")
    assert last_end(counted) == utc(2025, 3, 16, 3, 0)
    until = Timing(
        SUNDAYS.starts_at, SUNDAYS.duration, SUNDAYS.timezone, "FREQ=WEEKLY;UNTIL=20250401T000000Z"
    )
    assert last_end(until) == utc(2025, 3, 30, 3, 0)
    assert next_occurrence(until, utc(2025, 3, 31)) is None
    assert last_end(SUNDAYS) is None


def test_the_first_start_is_the_rules_dtstart_in_the_windows_zone() -> None:
    # 01:00 UTC is 02:00 in Berlin but 01:00 in London: the same instant, other wall clocks.
    start = utc(2025, 1, 5, 1, 0)
    berlin = Timing(start, timedelta(hours=1), "Europe/Berlin", "FREQ=DAILY")
    london = Timing(start, timedelta(hours=1), "Europe/London", "FREQ=DAILY")
    july = utc(2025, 7, 1, 12)
    assert next_occurrence(berlin, july).starts_at == utc(2025, 7, 2, 0, 0)  # type: ignore[union-attr]
    assert next_occurrence(london, july).starts_at == utc(2025, 7, 2, 0, 0)  # type: ignore[union-attr]
    assert (
        next_occurrence(london, july)
        .starts_at.astimezone(  # type: ignore[union-attr]
            ZoneInfo("Europe/London")
        )
        .hour
        == 1
    )


def test_rules_are_stored_on_one_line_without_their_prefix() -> None:
    assert normalised_rule(" rrule:freq=weekly;\r\n byday=su ") == "FREQ=WEEKLY;BYDAY=SU"
    assert normalised_rule("FREQ=WEEKLY;BYDAY=SU") == "FREQ=WEEKLY;BYDAY=SU"


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ("FREQ=HOURLY", "at most daily"),
        ("FREQ=MINUTELY;INTERVAL=5", "at most daily"),
        ("BYDAY=SU", "at most daily"),
        ("FREQ=WEEKLY;BYEASTER=0", "BYEASTER"),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20260101T000000Z", "UNTIL and COUNT"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL"),
        ("FREQ=WEEKLY;INTERVAL=99999", "INTERVAL"),
        ("FREQ=WEEKLY;BYDAY=XX", "not an RFC 5545 rule"),
        ("FREQ=WEEKLY;BYDAY", "NAME=VALUE"),
        ("FREQ=WEEKLY;FREQ=DAILY", "twice"),
        ("DTSTART:20250101T000000Z\nRRULE:FREQ=DAILY", "one RRULE"),
        ("FREQ=DAILY\nEXDATE:20250101T000000Z", "one RRULE"),
        ("FREQ=DAILY\nRRULE:FREQ=WEEKLY", "one RRULE"),
        # DTSTART has a zone, so UNTIL must be UTC (RFC 5545 §3.3.10).
        ("FREQ=WEEKLY;UNTIL=20260101T000000", "UTC"),
        ("", "1 to 500"),
        ("FREQ=DAILY;" + "BYMONTH=1;" * 100, "500"),
    ],
)
def test_rules_outside_what_a_window_takes_are_refused(rule: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says) as refused:
        check_timing(Timing(SUNDAYS.starts_at, SUNDAYS.duration, SUNDAYS.timezone, rule))
    assert refused.value.code == "invalid_rrule"


_EVERY_HOUR = ",".join(str(hour) for hour in range(24))
_EVERY_MINUTE = ",".join(str(minute) for minute in range(60))


@pytest.mark.parametrize(
    "rule",
    [
        # FREQ=DAILY with a list of hours, minutes or seconds starts many times a day: a rule of
        # 437 characters starting every second, from a start a year ago, made dateutil walk 31
        # million starts (over a minute, and gigabytes kept) for every alert of the organization.
        f"FREQ=DAILY;BYHOUR={_EVERY_HOUR};BYMINUTE={_EVERY_MINUTE};BYSECOND={_EVERY_MINUTE}",
        f"FREQ=WEEKLY;BYMINUTE={_EVERY_MINUTE}",
        "FREQ=DAILY;BYHOUR=2,14",
    ],
)
def test_a_rule_that_starts_more_than_once_a_day_is_refused(rule: str) -> None:
    with pytest.raises(InvalidInput, match="at most daily") as refused:
        check_timing(Timing(SUNDAYS.starts_at, SUNDAYS.duration, SUNDAYS.timezone, rule))
    assert refused.value.code == "invalid_rrule"


def test_a_rule_may_still_name_its_time_of_day() -> None:
    check_timing(
        Timing(
            SUNDAYS.starts_at,
            SUNDAYS.duration,
            SUNDAYS.timezone,
            "FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=2;BYMINUTE=30;BYSECOND=0",
        )
    )


@pytest.mark.parametrize("frequency", ["DAILY", "WEEKLY", "MONTHLY", "YEARLY"])
def test_a_rule_that_never_occurs_is_refused_quickly(frequency: str) -> None:
    # dateutil alone would look for a February 30th until the year 9999 on every question.
    rule = f"FREQ={frequency};BYMONTH=2;BYMONTHDAY=30"
    began = time.monotonic()
    with pytest.raises(InvalidInput, match="never occurs"):
        check_timing(
            Timing(
                utc(2025, 1, 1, 0, 0) + timedelta(days=len(frequency)),
                timedelta(hours=1),
                "UTC",
                rule,
            )
        )
    assert time.monotonic() - began < 5


def test_a_rare_rule_is_not_mistaken_for_one_that_never_occurs() -> None:
    # February 29th on a Monday: next in 2044 (after 2016), a 28-year wait.
    rare = Timing(
        utc(2025, 1, 1), timedelta(hours=1), "UTC", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO"
    )
    check_timing(rare)
    assert next_occurrence(rare, utc(2025, 1, 1)) == Occurrence(
        utc(2044, 2, 29), utc(2044, 2, 29, 1)
    )


@pytest.mark.parametrize(
    ("duration", "rule", "says"),
    [
        (timedelta(seconds=30), None, "at least a minute"),
        (timedelta(0), None, "at least a minute"),
        (-timedelta(hours=1), None, "at least a minute"),
        (timedelta(days=367), None, "366 days"),
        (timedelta(days=32), "FREQ=MONTHLY", "31 days"),
    ],
)
def test_lengths_outside_the_bounds_are_refused(
    duration: timedelta, rule: str | None, says: str
) -> None:
    with pytest.raises(InvalidInput, match=says) as refused:
        check_timing(Timing(utc(2026, 1, 1), duration, "UTC", rule))
    assert refused.value.code == "invalid_window"


def test_occurrences_that_overlap_are_each_listed() -> None:
    # Daily, two days long: each instant is in two occurrences.
    overlapping = Timing(utc(2026, 1, 1), timedelta(days=2), "UTC", "FREQ=DAILY")
    in_force = occurrence_at(overlapping, utc(2026, 1, 5, 12))
    # The latest to start covers longest.
    assert in_force == Occurrence(utc(2026, 1, 5), utc(2026, 1, 7))
    assert [o.starts_at.day for o in upcoming(overlapping, utc(2026, 1, 5, 12), 3)] == [5, 6, 7]
