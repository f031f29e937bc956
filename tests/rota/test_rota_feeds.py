"""iCal feeds: the feed of a schedule's shifts parses back to exactly those shifts, and external
calendars are read with their recurrences, all-day events and time zones, safely."""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from tocsin.rota import (
    Event,
    FeedError,
    FixedUsers,
    Layer,
    Restriction,
    Rotation,
    Schedule,
    Unit,
    parse_feed,
    render_feed,
    shifts,
)

LONDON = "Europe/London"
NOW = datetime(2024, 3, 15, tzinfo=UTC)
NAMES = {"ana": "Ana Lopez", "ben": "Ben", "cy": "Cy"}
MEMBERS = {"ana@example.com": "ana", "ana lopez": "ana", "ben": "ben", "cy@example.com": "cy"}


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)  # type: ignore[misc]


SCHEDULE = Schedule(
    LONDON,
    (
        Layer("primary", Rotation(("ana", "ben"), Unit.DAYS, 1, time(0), LONDON, NOW)),
        Layer(
            "daytime", FixedUsers(("cy",)), (Restriction(frozenset(range(5)), time(9), time(17)),)
        ),
    ),
)


def feed(*events: str, extra: str = "") -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    text = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n{extra}{body}END:VCALENDAR\r\n"
    return text.replace("\n            ", "\r\n").encode()


def test_the_feed_parses_back_to_the_computed_shifts_for_30_days_across_a_dst_change() -> None:
    starts_at, ends_at = NOW, NOW + timedelta(days=30)  # London changes on 31 March
    computed = shifts(SCHEDULE, starts_at, ends_at)
    data = render_feed(name="Platform", shifts=computed, names=NAMES, calendar_id="cal_1", now=NOW)
    calendar = Calendar.from_ical(data)
    assert str(calendar["X-WR-CALNAME"]) == "Platform"
    assert str(calendar["PRODID"]) == "-//Tocsin//On call//EN"
    assert str(calendar["VERSION"]) == "2.0"
    events = calendar.walk("VEVENT")
    assert [(e["DTSTART"].dt, e["DTEND"].dt) for e in events] == [
        (s.starts_at, s.ends_at) for s in computed
    ]
    assert all(e["DTSTART"].dt.tzinfo is not None for e in events)
    assert all(e["DTSTAMP"].dt == NOW for e in events)
    assert {str(e["SUMMARY"]) for e in events} == {
        "On call: Ana Lopez",
        "On call: Ben",
        "On call: Cy",
    }
    parsed = parse_feed(
        data,
        user_for={"on call: ana lopez": "ana", "on call: ben": "ben", "on call: cy": "cy"},
        starts_at=starts_at,
        ends_at=ends_at,
    )
    assert [(e.user_id, e.starts_at, e.ends_at) for e in parsed] == [
        (s.user_id, s.starts_at, s.ends_at) for s in computed
    ]
    lengths = {s.ends_at - s.starts_at for s in computed if s.user_id != "cy"}
    assert timedelta(hours=23) in lengths


def test_uids_are_stable_per_calendar_member_and_start() -> None:
    computed = shifts(SCHEDULE, NOW, NOW + timedelta(days=3))
    first = render_feed(name="P", shifts=computed, names=NAMES, calendar_id="c", now=NOW)
    moved = [
        computed[0].__class__(computed[0].user_id, computed[0].starts_at, NOW + timedelta(days=9))
    ]
    again = render_feed(name="P", shifts=moved, names=NAMES, calendar_id="c", now=NOW)
    other = render_feed(name="P", shifts=moved, names=NAMES, calendar_id="d", now=NOW)
    uid = lambda data: str(Calendar.from_ical(data).walk("VEVENT")[0]["UID"])  # noqa: E731
    assert uid(first) == uid(again) != uid(other)
    uids = [str(e["UID"]) for e in Calendar.from_ical(first).walk("VEVENT")]
    assert len(set(uids)) == len(uids)


def test_a_weekly_rule_with_an_exdate_in_a_named_zone() -> None:
    data = feed(
        """UID:w1
            DTSTART;TZID=America/New_York:20240301T090000
            DTEND;TZID=America/New_York:20240301T170000
            RRULE:FREQ=WEEKLY;UNTIL=20240401T000000Z
            EXDATE;TZID=America/New_York:20240315T090000
            ATTENDEE;CN=Ana:mailto:ANA@example.com
            SUMMARY:Support"""
    )
    events = parse_feed(
        data,
        user_for=MEMBERS,
        starts_at=datetime(2024, 3, 1, tzinfo=UTC),
        ends_at=datetime(2024, 5, 1, tzinfo=UTC),
    )
    york = "America/New_York"
    assert events == [
        Event("ana", local(york, 2024, 3, 1, 9), local(york, 2024, 3, 1, 17)),
        Event("ana", local(york, 2024, 3, 8, 9), local(york, 2024, 3, 8, 17)),
        Event("ana", local(york, 2024, 3, 22, 9), local(york, 2024, 3, 22, 17)),
        Event("ana", local(york, 2024, 3, 29, 9), local(york, 2024, 3, 29, 17)),
    ]
    assert events[2].starts_at.hour == 13  # EDT after the change: still 09:00 local


def test_only_the_window_is_returned() -> None:
    data = feed(
        """UID:d1
            DTSTART:20240101T080000Z
            DURATION:PT4H
            RRULE:FREQ=DAILY
            ORGANIZER:mailto:cy@example.com"""
    )
    events = parse_feed(
        data,
        user_for=MEMBERS,
        starts_at=datetime(2024, 6, 1, 10, tzinfo=UTC),
        ends_at=datetime(2024, 6, 3, tzinfo=UTC),
    )
    assert [(e.starts_at.isoformat(), e.ends_at.hour) for e in events] == [
        ("2024-06-01T08:00:00+00:00", 12),
        ("2024-06-02T08:00:00+00:00", 12),
    ]


def test_all_day_and_floating_events_are_read_in_the_feeds_zone() -> None:
    data = feed(
        """UID:a1
            DTSTART;VALUE=DATE:20240330
            DTEND;VALUE=DATE:20240401
            SUMMARY:On call: Ana Lopez""",
        """UID:f1
            DTSTART:20240402T090000
            DTEND:20240402T100000
            SUMMARY:ben covers""",
        extra="X-WR-TIMEZONE:Europe/London\r\n",
    )
    events = parse_feed(
        data,
        user_for=MEMBERS,
        starts_at=datetime(2024, 3, 1, tzinfo=UTC),
        ends_at=datetime(2024, 5, 1, tzinfo=UTC),
        timezone="Asia/Kolkata",
    )
    assert events == [
        Event("ana", local(LONDON, 2024, 3, 30), local(LONDON, 2024, 4, 1)),
        Event("ben", local(LONDON, 2024, 4, 2, 9), local(LONDON, 2024, 4, 2, 10)),
    ]
    assert events[0].ends_at - events[0].starts_at == timedelta(hours=47)


def test_without_a_feed_zone_the_schedules_zone_is_used() -> None:
    data = feed("UID:x\r\nDTSTART;VALUE=DATE:20240105\r\nSUMMARY:ben")
    [event] = parse_feed(
        data,
        user_for=MEMBERS,
        starts_at=datetime(2024, 1, 1, tzinfo=UTC),
        ends_at=datetime(2024, 2, 1, tzinfo=UTC),
        timezone="Asia/Kolkata",
    )
    assert event.starts_at == local("Asia/Kolkata", 2024, 1, 5)
    assert event.ends_at == local("Asia/Kolkata", 2024, 1, 6)


def test_summary_words_match_whole_names_only() -> None:
    data = feed(
        "UID:1\r\nDTSTART:20240105T000000Z\r\nDTEND:20240105T010000Z\r\nSUMMARY:Benjamin",
        "UID:2\r\nDTSTART:20240106T000000Z\r\nDTEND:20240106T010000Z\r\nSUMMARY:Ben + ana lopez",
        "UID:3\r\nDTSTART:20240107T000000Z\r\nDTEND:20240107T010000Z\r\nSTATUS:CANCELLED\r\nSUMMARY:Ben",
    )
    events = parse_feed(
        data,
        user_for=MEMBERS,
        starts_at=datetime(2024, 1, 1, tzinfo=UTC),
        ends_at=datetime(2024, 2, 1, tzinfo=UTC),
    )
    assert [(e.user_id, e.starts_at.day) for e in events] == [("ana", 6), ("ben", 6)]


def test_a_moved_instance_replaces_its_occurrence() -> None:
    data = feed(
        """UID:m
            DTSTART:20240101T090000Z
            DTEND:20240101T100000Z
            RRULE:FREQ=DAILY;COUNT=3
            SUMMARY:ben""",
        """UID:m
            RECURRENCE-ID:20240102T090000Z
            DTSTART:20240102T150000Z
            DTEND:20240102T160000Z
            SUMMARY:ben""",
    )
    events = parse_feed(
        data,
        user_for=MEMBERS,
        starts_at=datetime(2024, 1, 1, tzinfo=UTC),
        ends_at=datetime(2024, 2, 1, tzinfo=UTC),
    )
    assert [e.starts_at.strftime("%d %H") for e in events] == ["01 09", "02 15", "03 09"]


def test_a_hostile_secondly_rule_is_refused_quickly() -> None:
    data = feed(
        "UID:h\r\nDTSTART:20200101T000000Z\r\nDTEND:20200101T000001Z\r\n"
        "RRULE:FREQ=SECONDLY\r\nSUMMARY:ben"
    )
    began = clock.perf_counter()
    with pytest.raises(FeedError, match="hourly"):
        parse_feed(
            data,
            user_for=MEMBERS,
            starts_at=datetime(2024, 1, 1, tzinfo=UTC),
            ends_at=datetime(2024, 1, 15, tzinfo=UTC),
        )
    assert clock.perf_counter() - began < 5


def test_a_rule_that_can_never_occur_is_skipped_quickly() -> None:
    data = feed(
        "UID:n\r\nDTSTART:20240101T000000Z\r\nDTEND:20240101T000001Z\r\n"
        "RRULE:FREQ=HOURLY;BYMONTH=2,4;BYMONTHDAY=30,31\r\nSUMMARY:ben"
    )
    began = clock.perf_counter()
    events = parse_feed(
        data,
        user_for=MEMBERS,
        starts_at=datetime(2024, 1, 1, tzinfo=UTC),
        ends_at=datetime(2024, 1, 15, tzinfo=UTC),
    )
    assert events == []
    assert clock.perf_counter() - began < 5


def test_a_feed_expanding_past_the_cap_is_refused() -> None:
    data = feed(
        "UID:h\r\nDTSTART:20000101T000000Z\r\nDTEND:20000101T000100Z\r\n"
        "RRULE:FREQ=HOURLY\r\nSUMMARY:ben"
    )
    with pytest.raises(FeedError, match="expand"):
        parse_feed(
            data,
            user_for=MEMBERS,
            starts_at=datetime(2024, 1, 1, tzinfo=UTC),
            ends_at=datetime(2024, 1, 15, tzinfo=UTC),
        )


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage",
        b"<html><body>sign in</body></html>",
        "\u00e9t\u00e9".encode(),
        b"BEGIN:VEVENT\r\nEND:VEVENT\r\n",
        b"\x00\xff\xfe",
    ],
)
def test_what_is_not_ical_is_a_feed_error(data: bytes) -> None:
    with pytest.raises(FeedError):
        parse_feed(
            data,
            user_for=MEMBERS,
            starts_at=datetime(2024, 1, 1, tzinfo=UTC),
            ends_at=datetime(2024, 1, 15, tzinfo=UTC),
        )
