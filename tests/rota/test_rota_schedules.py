"""Schedules: layer precedence, restrictions (overnight, across DST), overrides of each kind and
overlapping, temporary schedules, shifts and gaps."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tocsin.rota import (
    CalendarEvents,
    Event,
    FixedUsers,
    Holder,
    Layer,
    Override,
    OverrideKind,
    Restriction,
    Rotation,
    Schedule,
    Shift,
    Temporary,
    Unit,
    gaps,
    on_call_at,
    shifts,
    timeline,
)

LONDON = "Europe/London"
EVERY_DAY = frozenset(range(7))
WEEKDAYS = frozenset(range(5))


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(LONDON)).astimezone(UTC)  # type: ignore[misc]


ROTA = Rotation(("ana", "ben"), Unit.WEEKS, 1, time(9), LONDON, local(2024, 1, 1, 9))
BASE = Layer("primary", ROTA)
DAYTIME = Layer("daytime", FixedUsers(("cy", "dee")), (Restriction(WEEKDAYS, time(9), time(17)),))


def who(schedule: Schedule, at: datetime) -> tuple[str, ...]:
    return on_call_at(schedule, at).user_ids


def test_a_higher_layer_wins_inside_its_restrictions_and_the_lower_shows_through_outside() -> None:
    schedule = Schedule(LONDON, (BASE, DAYTIME))
    assert who(schedule, local(2024, 1, 3, 12)) == ("cy", "dee")
    assert on_call_at(schedule, local(2024, 1, 3, 12)).holders[0] == Holder("cy", "daytime")
    assert who(schedule, local(2024, 1, 3, 17)) == ("ana",)
    assert who(schedule, local(2024, 1, 6, 12)) == ("ana",)  # Saturday
    assert who(schedule, local(2024, 1, 8, 8, 59)) == ("ana",)
    assert who(schedule, local(2024, 1, 8, 9)) == ("cy", "dee")
    assert who(schedule, local(2024, 1, 8, 17)) == ("ben",)


def test_a_higher_layer_with_nobody_lets_the_lower_show_through() -> None:
    empty = Layer("top", Rotation((), Unit.DAYS, 1, time(9), LONDON, ROTA.start))
    assert who(Schedule(LONDON, (BASE, empty)), local(2024, 1, 3)) == ("ana",)


def test_an_overnight_window_runs_past_midnight_and_names_the_day_it_starts() -> None:
    nights = Layer(
        "nights", FixedUsers(("owl",)), (Restriction(frozenset({4}), time(22), time(6)),)
    )
    schedule = Schedule(LONDON, (BASE, nights))
    assert who(schedule, local(2024, 1, 5, 21, 59)) == ("ana",)
    assert who(schedule, local(2024, 1, 5, 22)) == ("owl",)  # Friday night
    assert who(schedule, local(2024, 1, 6, 5, 59)) == ("owl",)
    assert who(schedule, local(2024, 1, 6, 6)) == ("ana",)
    assert who(schedule, local(2024, 1, 6, 23)) == ("ana",)  # Saturday night is not Friday's


def test_an_overnight_window_is_an_hour_shorter_when_clocks_go_forward() -> None:
    nights = Layer("nights", FixedUsers(("owl",)), (Restriction(EVERY_DAY, time(22), time(6)),))
    schedule = Schedule(LONDON, (nights,))
    stretches = shifts(schedule, local(2024, 3, 30, 12), local(2024, 4, 1, 12))
    assert [s.ends_at - s.starts_at for s in stretches] == [timedelta(hours=7), timedelta(hours=8)]


def test_a_window_ending_at_its_start_is_a_whole_day() -> None:
    day = Layer("day", FixedUsers(("sun",)), (Restriction(frozenset({6}), time(8), time(8)),))
    schedule = Schedule(LONDON, (day,))
    assert gaps(schedule, local(2024, 1, 7), local(2024, 1, 9)) == [
        (local(2024, 1, 7), local(2024, 1, 7, 8)),
        (local(2024, 1, 8, 8), local(2024, 1, 9)),
    ]


def test_a_replace_override_puts_someone_wherever_the_replaced_is_on_call() -> None:
    override = Override(
        OverrideKind.REPLACE,
        "eve",
        local(2024, 1, 2),
        local(2024, 1, 3),
        replaces_user_id="ana",
        id="o1",
    )
    schedule = Schedule(LONDON, (BASE, DAYTIME), overrides=(override,))
    assert on_call_at(schedule, local(2024, 1, 2, 8)).holders == (
        Holder("eve", "primary", override_id="o1", replaces_user_id="ana"),
    )
    assert who(schedule, local(2024, 1, 2, 12)) == ("cy", "dee")  # ana is not on call then
    assert who(schedule, local(2024, 1, 3, 0)) == ("ana",)


def test_add_and_remove_overrides() -> None:
    add = Override(OverrideKind.ADD, "eve", local(2024, 1, 2), local(2024, 1, 4), id="add")
    remove = Override(OverrideKind.REMOVE, "cy", local(2024, 1, 3), local(2024, 1, 5), id="rm")
    schedule = Schedule(LONDON, (BASE, DAYTIME), overrides=(add, remove))
    assert on_call_at(schedule, local(2024, 1, 2, 12)).holders == (
        Holder("cy", "daytime"),
        Holder("dee", "daytime"),
        Holder("eve", None, override_id="add"),
    )
    assert who(schedule, local(2024, 1, 3, 12)) == ("dee", "eve")
    assert who(schedule, local(2024, 1, 4, 12)) == ("dee",)
    assert who(schedule, local(2024, 1, 5, 12)) == ("cy", "dee")


def test_overlapping_overrides_apply_in_order_of_start() -> None:
    week = Override(
        OverrideKind.REPLACE,
        "ben",
        local(2024, 1, 2),
        local(2024, 1, 9),
        replaces_user_id="ana",
        id="b",
    )
    day = Override(
        OverrideKind.REPLACE,
        "cy",
        local(2024, 1, 4),
        local(2024, 1, 5),
        replaces_user_id="ben",
        id="a",
    )
    gone = Override(OverrideKind.REMOVE, "cy", local(2024, 1, 4, 12), local(2024, 1, 4, 13), id="c")
    schedule = Schedule(LONDON, (BASE,), overrides=(day, gone, week))
    assert who(schedule, local(2024, 1, 3)) == ("ben",)
    assert on_call_at(schedule, local(2024, 1, 4, 6)).holders == (
        Holder("cy", "primary", override_id="a", replaces_user_id="ben"),
    )
    assert who(schedule, local(2024, 1, 4, 12, 30)) == ()
    assert who(schedule, local(2024, 1, 8, 12)) == ("ben",)  # ben's own week


def test_an_add_of_someone_already_on_call_lists_them_once() -> None:
    add = Override(OverrideKind.ADD, "ana", local(2024, 1, 2), local(2024, 1, 3), id="x")
    schedule = Schedule(LONDON, (BASE,), overrides=(add,))
    assert on_call_at(schedule, local(2024, 1, 2, 1)).holders == (Holder("ana", "primary"),)


def test_a_temporary_schedule_replaces_every_layer_and_overrides_still_apply() -> None:
    holiday = Temporary(
        local(2024, 1, 2),
        local(2024, 1, 4),
        (Shift("zed", local(2024, 1, 2), local(2024, 1, 3)),),
        id="xmas",
    )
    add = Override(OverrideKind.ADD, "eve", local(2024, 1, 3, 12), local(2024, 1, 3, 13), id="o")
    schedule = Schedule(LONDON, (BASE, DAYTIME), overrides=(add,), temporaries=(holiday,))
    assert on_call_at(schedule, local(2024, 1, 2, 12)).holders == (
        Holder("zed", None, temporary_id="xmas"),
    )
    assert who(schedule, local(2024, 1, 3, 11)) == ()  # inside the period, outside its shifts
    assert who(schedule, local(2024, 1, 3, 12)) == ("eve",)
    assert who(schedule, local(2024, 1, 4)) == ("ana",)
    assert gaps(schedule, local(2024, 1, 1, 12), local(2024, 1, 5)) == [
        (local(2024, 1, 3), local(2024, 1, 3, 12)),
        (local(2024, 1, 3, 13), local(2024, 1, 4)),
    ]


def test_calendar_events_put_whoever_they_name_on_call() -> None:
    events = CalendarEvents(
        (
            Event("ana", local(2024, 1, 1), local(2024, 1, 3)),
            Event("ben", local(2024, 1, 2), local(2024, 1, 4)),
        )
    )
    schedule = Schedule(LONDON, (Layer("cal", events),))
    assert who(schedule, local(2024, 1, 1, 12)) == ("ana",)
    assert who(schedule, local(2024, 1, 2, 12)) == ("ana", "ben")
    assert who(schedule, local(2024, 1, 3, 12)) == ("ben",)
    assert who(schedule, local(2024, 1, 4, 12)) == ()


def test_shifts_are_unbroken_stretches_across_changes_of_reason() -> None:
    override = Override(
        OverrideKind.ADD, "ana", local(2024, 1, 8, 6), local(2024, 1, 8, 12), id="o"
    )
    schedule = Schedule(LONDON, (BASE,), overrides=(override,))
    assert shifts(schedule, local(2024, 1, 8), local(2024, 1, 9)) == [
        Shift("ana", local(2024, 1, 8), local(2024, 1, 8, 12)),
        Shift("ben", local(2024, 1, 8, 9), local(2024, 1, 9)),
    ]


def test_a_fortnight_timeline_is_event_driven() -> None:
    hourly = Layer("hourly", Rotation(("a", "b", "c"), Unit.HOURS, 1, time(0), LONDON, ROTA.start))
    schedule = Schedule(LONDON, (BASE, DAYTIME, hourly))
    segments = timeline(schedule, local(2024, 1, 1), local(2024, 1, 15))
    # Nobody until the rotations start at 09:00, then one segment per hourly turn.
    assert len(segments) == 1 + (14 * 24 - 9)
    assert segments[0].on_call.user_ids == ()
