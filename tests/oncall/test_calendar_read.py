"""A fetched calendar is read in a child process with a time limit, outside any transaction.

dateutil looks for a recurrence's next occurrence until the year 9999 when its filters can
never match together (a 366th day of the year in January, a fifth hour of a day that has one):
seconds of CPU per event, and a 2 MiB calendar holds thousands of events. Read inside the
worker's write transaction, such a calendar held the database (SQLite has one writer) for
minutes, and with it every alert's intake; read here, it costs its time limit and is refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests import seeded
from tests.oncall.test_calendar_fetch import ATTENDEE, Calendars, calendar, lan_policy, server
from tocsin import rota
from tocsin.cli.common import CLI_ACTOR
from tocsin.engine import calendar_refresh
from tocsin.oncall import calendar_feeds, calendar_fetch, calendar_read
from tocsin.oncall.models import CalendarFeed
from tocsin.runtime import Runtime

__all__ = ["server"]  # the fixture, shared with the fetch tests


NOW = datetime(2026, 1, 1, tzinfo=UTC)
# Never: the 366th day of a year is in December. dateutil's search for it runs to 9999.
NEVER = "FREQ=HOURLY;BYMONTH=1;BYYEARDAY=366"


def hostile(events: int = 3) -> bytes:
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:never-{n}@test\r\nDTSTART:20251201T090000Z\r\n"
        f"DTEND:20251201T100000Z\r\nRRULE:{NEVER}\r\nATTENDEE:mailto:{ATTENDEE}\r\nEND:VEVENT\r\n"
        for n in range(events)
    )
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n".encode()
    )


def test_a_calendar_reads_the_same_in_the_child_process() -> None:
    data = calendar(ATTENDEE)
    user_for = {ATTENDEE: "usr_ana"}
    window = {"starts_at": datetime(2026, 1, 1, tzinfo=UTC), "ends_at": NOW + timedelta(days=60)}
    expected = rota.parse_feed(data, user_for=user_for, **window)
    assert expected
    assert calendar_read.read_calendar(data, user_for=user_for, **window) == expected


def test_what_is_not_a_calendar_is_refused_with_the_parsers_words() -> None:
    with pytest.raises(rota.FeedError, match="not an iCal calendar"):
        calendar_read.read_calendar(
            b"<html>login</html>", user_for={}, starts_at=NOW, ends_at=NOW + timedelta(days=1)
        )


def test_a_recurrence_that_searches_for_millennia_is_cut_off_at_the_time_limit() -> None:
    with pytest.raises(rota.FeedError, match="longer than 1 second"):
        calendar_read.read_calendar(
            hostile(),
            user_for={ATTENDEE: "usr_ana"},
            starts_at=NOW,
            ends_at=NOW + timedelta(days=60),
            seconds=1.0,
        )


def test_the_worker_refuses_such_a_calendar_and_keeps_the_last_good_copy(
    runtime: Runtime, server: tuple[Calendars, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calendars, base = server
    owner = seeded.person(runtime, org_name="Calendars")
    ana = seeded.member(runtime, owner.org_id, email=ATTENDEE)
    policy = lan_policy()
    monkeypatch.setattr(calendar_read, "SECONDS", 1.0)
    with runtime.database.write() as session:
        feed_id = calendar_feeds.add_feed(
            session,
            org_id=owner.org_id,
            name="Team rota",
            url=f"{base}/feed.ics",
            policy=policy,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        ).id

    def refresh() -> CalendarFeed:
        asyncio.run(
            calendar_refresh.refresh_calendars(
                runtime.database, policy=policy, now=runtime.clock.now()
            )
        )
        with runtime.database.read() as session:
            feed = session.get(CalendarFeed, feed_id)
            assert feed is not None
            session.expunge(feed)
            return feed

    good = refresh()
    assert [event["user_id"] for event in good.events] == [ana.user_id]
    calendars.body = hostile()
    runtime.clock.advance(24 * 3600)
    refused = refresh()
    assert refused.events == good.events
    assert "longer than 1 second" in (refused.last_error or "")
    assert refused.failures == 1


def test_a_claimed_batch_is_held_for_as_long_as_its_worst_case_takes() -> None:
    """Each feed of a batch may take its fetch's and its reading's whole time limit; a lease
    shorter than the batch lets a second worker claim the same hostile feeds and read them
    again, so every worker added multiplies their cost."""
    worst = calendar_feeds.BATCH * (calendar_fetch.SECONDS + calendar_read.SECONDS)
    assert calendar_feeds.LEASE.total_seconds() >= worst
