"""When a heartbeat's next ping is due, across daylight saving time.

Cron plans are evaluated by cronsim, which follows Debian's cron at DST changes
(https://github.com/cuu508/cronsim, README "DST Transitions"): "If time has moved forward, those
jobs that would have run in the interval that has been skipped will be run immediately.
Conversely, if time has moved backward, care is taken to avoid running jobs twice." That applies
to jobs at a fixed time; jobs every hour or more often keep their pace. Europe/Berlin changes at
01:00 UTC on 2026-03-29 (02:00 CET -> 03:00 CEST) and 2026-10-25 (03:00 CEST -> 02:00 CET).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.core.errors import InvalidInput
from tocsin.heartbeats.schedule import Plan, checked_cron, checked_plan, expected_after
from tocsin.heartbeats.schedule import expected_instants as instants


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def cron(expression: str, zone: str = "Europe/Berlin") -> Plan:
    return Plan(interval=None, cron=expression, timezone=zone, grace=timedelta(minutes=5))


def test_an_interval_plan_expects_the_next_ping_one_interval_after_the_last() -> None:
    plan = Plan(interval=timedelta(minutes=5), cron=None, timezone="UTC", grace=timedelta(0))
    assert expected_after(plan, utc(2026, 3, 29, 0, 58)) == utc(2026, 3, 29, 1, 3)
    # Real time: a DST change in some zone changes nothing.
    assert instants(plan, utc(2026, 3, 29, 0, 55), 3) == [
        utc(2026, 3, 29, 1, 0),
        utc(2026, 3, 29, 1, 5),
        utc(2026, 3, 29, 1, 10),
    ]


def test_a_nightly_job_in_the_hour_spring_skips_is_expected_right_after_the_change() -> None:
    # 02:30 Berlin does not exist on 29 March: Debian runs the job at 03:00 CEST.
    assert instants(cron("30 2 * * *"), utc(2026, 3, 27, 12), 4) == [
        utc(2026, 3, 28, 1, 30),  # 02:30 CET
        utc(2026, 3, 29, 1, 0),  # 03:00 CEST, right after the change
        utc(2026, 3, 30, 0, 30),  # 02:30 CEST
        utc(2026, 3, 31, 0, 30),
    ]


def test_a_nightly_job_in_the_hour_autumn_repeats_is_expected_once() -> None:
    # 02:30 happens twice on 25 October (CEST, then CET): the job runs at the first only.
    assert instants(cron("30 2 * * *"), utc(2026, 10, 23, 12), 4) == [
        utc(2026, 10, 24, 0, 30),  # 02:30 CEST
        utc(2026, 10, 25, 0, 30),  # the first 02:30, CEST
        utc(2026, 10, 26, 1, 30),  # 02:30 CET
        utc(2026, 10, 27, 1, 30),
    ]


def test_a_ping_in_the_repeated_hour_never_expects_an_instant_before_itself() -> None:
    # Pinged at the second 02:10 (CET, 01:10 UTC): the wall clock's next 02:30 is the first
    # one, already past. The next run is the next night's.
    pinged = utc(2026, 10, 25, 1, 10)
    assert expected_after(cron("30 2 * * *"), pinged) == utc(2026, 10, 26, 1, 30)
    # Pinged at the first 02:10 (CEST): the 02:30 of that same hour is still ahead.
    assert expected_after(cron("30 2 * * *"), utc(2026, 10, 25, 0, 10)) == utc(2026, 10, 25, 0, 30)


def test_an_hourly_job_keeps_its_pace_in_real_time_across_both_changes() -> None:
    hourly = cron("0 * * * *")
    # Spring: local 01:00 CET, then 03:00 CEST (02:00 does not exist): one hour apart.
    assert instants(hourly, utc(2026, 3, 28, 23, 30), 4) == [
        utc(2026, 3, 29, 0, 0),
        utc(2026, 3, 29, 1, 0),
        utc(2026, 3, 29, 2, 0),
        utc(2026, 3, 29, 3, 0),
    ]
    # Autumn: 02:00 CEST and 02:00 CET both happen, an hour apart; nothing is skipped.
    assert instants(hourly, utc(2026, 10, 24, 23, 30), 4) == [
        utc(2026, 10, 25, 0, 0),
        utc(2026, 10, 25, 1, 0),
        utc(2026, 10, 25, 2, 0),
        utc(2026, 10, 25, 3, 0),
    ]


def test_a_cron_plan_reads_its_expression_on_its_own_zones_wall_clock() -> None:
    assert expected_after(cron("0 9 * * 1-5", "America/New_York"), utc(2026, 3, 6, 15)) == utc(
        2026, 3, 9, 13, 0
    )  # Monday 09:00 EDT, the first weekday after the US change of 8 March


@pytest.mark.parametrize(
    ("written", "stored"),
    [("@daily", "0 0 * * *"), ("@HOURLY", "0 * * * *"), ("  30   2 * * * ", "30 2 * * *")],
)
def test_cron_nicknames_and_spacing_are_taken(written: str, stored: str) -> None:
    assert checked_cron(written) == stored


@pytest.mark.parametrize(
    "written",
    [
        "30 2 * *",  # four fields
        "0 30 2 * * *",  # six: seconds are not cron
        "61 * * * *",
        "0 0 30 2 *",  # 30 February never comes
        "every day",
        "0 0 * * " + "1," * 60 + "1",  # too long
    ],
)
def test_a_cron_expression_that_cannot_be_a_schedule_is_refused(written: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_cron(written)
    assert refused.value.code == "invalid_cron"


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"interval_seconds": 300, "cron": "* * * * *"}, "invalid_schedule"),
        ({"interval_seconds": None, "cron": None}, "invalid_schedule"),
        ({"interval_seconds": 59, "cron": None}, "invalid_interval"),
        ({"interval_seconds": 366 * 86400, "cron": None}, "invalid_interval"),
        ({"interval_seconds": 300, "cron": None, "grace_seconds": -1}, "invalid_grace"),
        ({"interval_seconds": 300, "cron": None, "max_runtime_seconds": 0}, "invalid_max_runtime"),
        (
            {"interval_seconds": None, "cron": "@daily", "timezone": "Mars/Olympus"},
            "invalid_timezone",
        ),
    ],
)
def test_a_plan_that_makes_no_sense_is_refused_with_a_code_saying_why(
    options: dict[str, object], code: str
) -> None:
    values: dict[str, object] = {
        "timezone": "UTC",
        "grace_seconds": 60,
        "max_runtime_seconds": None,
        **options,
    }
    with pytest.raises(InvalidInput) as refused:
        checked_plan(**values)  # type: ignore[arg-type]
    assert refused.value.code == code
