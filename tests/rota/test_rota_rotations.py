"""Rotations: handoffs across DST changes, the gap rule, leap days, Lord Howe's half hour, and
what a change of participants does to the shift in progress."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tocsin.rota import (
    Layer,
    Rotation,
    Schedule,
    Unit,
    change_participants,
    on_call_at,
    rotation_shifts,
)

LONDON = "Europe/London"
NEW_YORK = "America/New_York"


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)  # type: ignore[misc]


def who(rotation: Rotation, at: datetime) -> tuple[str, ...]:
    return on_call_at(Schedule(rotation.timezone, (Layer("l", rotation),)), at).user_ids


def lengths(rotation: Rotation, starts_at: datetime, ends_at: datetime) -> list[timedelta]:
    return [s.ends_at - s.starts_at for s in rotation_shifts(rotation, starts_at, ends_at)]


def daily(zone: str, start: datetime, handoff: time = time(0), people: str = "abc") -> Rotation:
    return Rotation(tuple(people), Unit.DAYS, 1, handoff, zone, start)


def test_midnight_handoff_when_clocks_go_forward_gives_a_23_hour_shift() -> None:
    rotation = daily(LONDON, local(LONDON, 2024, 3, 29))
    shifts = rotation_shifts(rotation, local(LONDON, 2024, 3, 30), local(LONDON, 2024, 4, 2))
    assert [s.user_id for s in shifts] == ["b", "c", "a"]
    assert [s.ends_at - s.starts_at for s in shifts] == [
        timedelta(hours=24),
        timedelta(hours=23),
        timedelta(hours=24),
    ]
    handoff = local(LONDON, 2024, 4, 1)
    assert handoff == datetime(2024, 3, 31, 23, tzinfo=UTC)
    assert who(rotation, handoff - timedelta(seconds=1)) == ("c",)
    assert who(rotation, handoff) == ("a",)


def test_midnight_handoff_when_clocks_go_back_gives_a_25_hour_shift() -> None:
    rotation = daily(NEW_YORK, local(NEW_YORK, 2024, 11, 1))
    shifts = rotation_shifts(rotation, local(NEW_YORK, 2024, 11, 3), local(NEW_YORK, 2024, 11, 4))
    assert [(s.user_id, s.ends_at - s.starts_at) for s in shifts] == [("c", timedelta(hours=25))]
    handoff = datetime(2024, 11, 4, 5, tzinfo=UTC)  # midnight EST
    assert who(rotation, handoff - timedelta(microseconds=1)) == ("c",)
    assert who(rotation, handoff) == ("a",)


def test_hours_shifts_are_elapsed_time_across_a_dst_change() -> None:
    rotation = Rotation(("a", "b"), Unit.HOURS, 12, time(0), LONDON, local(LONDON, 2024, 3, 30, 12))
    assert (
        lengths(rotation, local(LONDON, 2024, 3, 30), local(LONDON, 2024, 4, 1))
        == [timedelta(hours=12)] * 3
    )
    assert who(rotation, datetime(2024, 3, 31, 12, tzinfo=UTC)) == ("a",)


def test_a_handoff_inside_the_skipped_hour_happens_when_the_clocks_jump() -> None:
    # London skips 01:00-02:00 local on 2024-03-31; New York skips 02:00-03:00 on 2024-03-10.
    london = daily(LONDON, local(LONDON, 2024, 3, 29, 1, 30), handoff=time(1, 30))
    starts = [s.starts_at for s in rotation_shifts(london, london.start, local(LONDON, 2024, 4, 2))]
    assert starts[2] == datetime(2024, 3, 31, 1, tzinfo=UTC)  # 02:00 BST, the end of the gap
    assert starts[2].astimezone(ZoneInfo(LONDON)).time() == time(2, 0)
    assert starts[3].astimezone(ZoneInfo(LONDON)).time() == time(1, 30)

    york = daily(NEW_YORK, local(NEW_YORK, 2024, 3, 8, 2, 30), handoff=time(2, 30))
    starts = [s.starts_at for s in rotation_shifts(york, york.start, local(NEW_YORK, 2024, 3, 12))]
    assert starts[2].astimezone(ZoneInfo(NEW_YORK)).replace(tzinfo=None) == datetime(
        2024, 3, 10, 3, 0
    )


def test_a_handoff_in_the_repeated_hour_is_its_first_occurrence() -> None:
    rotation = daily(LONDON, local(LONDON, 2024, 10, 25, 1, 30), handoff=time(1, 30))
    starts = [
        s.starts_at for s in rotation_shifts(rotation, rotation.start, local(LONDON, 2024, 10, 28))
    ]
    assert starts[2] == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)  # 01:30 BST, not GMT


def test_a_daily_rotation_over_a_leap_day() -> None:
    rotation = daily("Asia/Kolkata", local("Asia/Kolkata", 2028, 2, 27, 9), handoff=time(9))
    shifts = rotation_shifts(
        rotation,
        local("Asia/Kolkata", 2028, 2, 28, 12),
        rotation.start.replace(year=2028, month=3, day=2),
    )
    assert [
        (s.user_id, s.starts_at.astimezone(ZoneInfo("Asia/Kolkata")).date().isoformat())
        for s in shifts
    ] == [
        ("b", "2028-02-28"),
        ("c", "2028-02-29"),
        ("a", "2028-03-01"),
    ]


def test_a_weekly_rotation_started_on_a_leap_day() -> None:
    start = local(LONDON, 2028, 2, 29, 9)
    rotation = Rotation(("a", "b"), Unit.WEEKS, 1, time(9), LONDON, start)
    shifts = rotation_shifts(rotation, start, local(LONDON, 2028, 4, 1))
    assert [s.starts_at.astimezone(ZoneInfo(LONDON)).date().isoformat() for s in shifts] == [
        "2028-02-29",
        "2028-03-07",
        "2028-03-14",
        "2028-03-21",
        "2028-03-28",
    ]
    # The week containing London's change (2028-03-26) is an hour short.
    assert shifts[3].ends_at - shifts[3].starts_at == timedelta(days=7, hours=-1)
    assert who(rotation, local(LONDON, 2029, 2, 28, 12)) == ("a",)  # 52 weeks on, turn 52


def test_lord_howe_half_hour_change() -> None:
    zone = "Australia/Lord_Howe"
    rotation = daily(zone, local(zone, 2024, 10, 5, 2, 15), handoff=time(2, 15))
    shifts = rotation_shifts(rotation, rotation.start, local(zone, 2024, 10, 8))
    # Clocks go from 02:00 to 02:30 on 2024-10-06: 02:15 does not exist that day.
    assert shifts[1].starts_at.astimezone(ZoneInfo(zone)).time() == time(2, 30)
    assert shifts[0].ends_at - shifts[0].starts_at == timedelta(hours=23, minutes=45)
    assert shifts[1].ends_at - shifts[1].starts_at == timedelta(hours=23, minutes=45)
    assert shifts[2].ends_at - shifts[2].starts_at == timedelta(hours=24)


def test_nobody_before_the_start_or_without_participants() -> None:
    rotation = daily(LONDON, local(LONDON, 2024, 1, 10, 9), handoff=time(9))
    assert who(rotation, local(LONDON, 2024, 1, 10, 8, 59)) == ()
    assert who(rotation, local(LONDON, 2024, 1, 10, 9)) == ("a",)
    empty = daily(LONDON, rotation.start, people="")
    assert who(empty, local(LONDON, 2024, 1, 11)) == ()
    assert rotation_shifts(empty, rotation.start, local(LONDON, 2024, 2, 1)) == []


def test_a_start_off_the_handoff_time_runs_to_the_next_handoff() -> None:
    late = daily(LONDON, local(LONDON, 2024, 1, 10, 15), handoff=time(9))
    early = daily(LONDON, local(LONDON, 2024, 1, 10, 7), handoff=time(9))
    assert lengths(late, late.start, local(LONDON, 2024, 1, 12))[:2] == [
        timedelta(hours=18),
        timedelta(hours=24),
    ]
    assert lengths(early, early.start, local(LONDON, 2024, 1, 12))[:2] == [
        timedelta(hours=2),
        timedelta(hours=24),
    ]


def test_custom_lengths_count_whole_units() -> None:
    rotation = Rotation(("a", "b"), Unit.DAYS, 3, time(8), NEW_YORK, local(NEW_YORK, 2024, 3, 8, 8))
    assert lengths(rotation, rotation.start, local(NEW_YORK, 2024, 3, 14)) == [
        timedelta(days=3, hours=-1),
        timedelta(days=3),
    ]
    assert who(rotation, local(NEW_YORK, 2024, 3, 14, 7, 59)) == ("b",)
    assert who(rotation, local(NEW_YORK, 2024, 3, 14, 8)) == ("a",)


# Participants change: a daily rotation handing over at 09:00 London, a, b, c from Monday 1 Jan.
START = local(LONDON, 2024, 1, 1, 9)
ROTA = daily(LONDON, START, handoff=time(9))
WEDNESDAY_NOON = local(LONDON, 2024, 1, 3, 12)  # c's shift (Wed 09:00 - Thu 09:00)


def turns(rotation: Rotation, days: int = 5) -> list[str]:
    return [who(rotation, local(LONDON, 2024, 1, 3 + d, 13))[0] for d in range(days)]


def test_removing_the_person_on_call_hands_over_at_once_to_the_next_who_remains() -> None:
    assert who(ROTA, WEDNESDAY_NOON) == ("c",)
    changed = change_participants(ROTA, ("a", "b", "d"), WEDNESDAY_NOON)
    assert who(changed, WEDNESDAY_NOON - timedelta(seconds=1)) != ("c",)  # the past: new list
    assert who(changed, WEDNESDAY_NOON) == ("a",)
    thursday = local(LONDON, 2024, 1, 4, 9)
    assert who(changed, thursday - timedelta(seconds=1)) == ("a",)
    assert who(changed, thursday) == ("b",)  # the handoff stays at 09:00
    assert turns(changed) == ["a", "b", "d", "a", "b"]


def test_removing_the_person_on_call_skips_others_removed_too() -> None:
    changed = change_participants(ROTA, ("b", "e"), WEDNESDAY_NOON)  # c and a both gone
    assert who(changed, WEDNESDAY_NOON) == ("b",)
    assert turns(changed) == ["b", "e", "b", "e", "b"]


def test_removing_everyone_hands_over_to_the_first_of_the_new_list() -> None:
    changed = change_participants(ROTA, ("x", "y"), WEDNESDAY_NOON)
    assert turns(changed) == ["x", "y", "x", "y", "x"]


def test_adding_a_participant_changes_nobody_on_call_now() -> None:
    changed = change_participants(ROTA, ("a", "b", "c", "d"), WEDNESDAY_NOON)
    assert who(changed, local(LONDON, 2024, 1, 3, 9)) == ("c",)  # the whole shift stays c's
    assert turns(changed) == ["c", "d", "a", "b", "c"]


def test_reordering_keeps_the_person_on_call_and_continues_in_the_new_order() -> None:
    changed = change_participants(ROTA, ("c", "b", "a"), WEDNESDAY_NOON)
    assert turns(changed) == ["c", "b", "a", "c", "b"]


def test_removing_someone_not_on_call() -> None:
    changed = change_participants(ROTA, ("a", "c"), WEDNESDAY_NOON)
    assert turns(changed) == ["c", "a", "c", "a", "c"]


def test_two_changes_in_one_shift() -> None:
    first = change_participants(ROTA, ("a", "b"), WEDNESDAY_NOON)  # c removed: a takes over
    second = change_participants(first, ("b", "a", "d"), WEDNESDAY_NOON + timedelta(hours=2))
    assert who(second, WEDNESDAY_NOON + timedelta(hours=3)) == ("a",)
    assert turns(second)[1:] == ["d", "b", "a", "d"]


def test_a_change_before_the_start_is_just_the_new_list() -> None:
    changed = change_participants(ROTA, ("z", "y"), START - timedelta(days=1))
    assert who(changed, START) == ("z",)
    assert changed.anchor_at is None


def test_adding_to_an_empty_rotation_puts_the_first_on_call_at_once() -> None:
    empty = daily(LONDON, START, handoff=time(9), people="")
    changed = change_participants(empty, ("p", "q"), WEDNESDAY_NOON)
    assert who(changed, WEDNESDAY_NOON) == ("p",)
    assert turns(changed) == ["p", "q", "p", "q", "p"]


def test_hours_rotation_participant_removed_mid_shift() -> None:
    rotation = Rotation(("a", "b", "c"), Unit.HOURS, 8, time(0), LONDON, START)
    at = START + timedelta(hours=4)
    changed = change_participants(rotation, ("b", "c"), at)
    assert who(changed, at) == ("b",)
    assert who(changed, START + timedelta(hours=8)) == ("c",)
    assert who(changed, START + timedelta(hours=16)) == ("b",)
