"""The worker's step that refreshes external calendars: claim the feeds due (a write
transaction that holds each for a lease), fetch each outside any transaction under the host
rule (oncall/calendar_fetch.py), read it outside any transaction too, in a child process with
a time limit (oncall/calendar_read.py: a hostile calendar's recurrences can take minutes), and
record each outcome in a transaction of its own (oncall/calendar_feeds.py: the new copy, or
the failure with the last good copy kept)."""

from __future__ import annotations

import asyncio
import ssl
from datetime import datetime

from tocsin import rota
from tocsin.db.engine import Database
from tocsin.oncall import calendar_feeds, calendar_read
from tocsin.oncall.calendar_feeds import DueFeed
from tocsin.oncall.calendar_fetch import CalendarFetchFailed, fetch_calendar
from tocsin.telephony.hosts import HostPolicy


async def refresh_calendars(
    database: Database,
    *,
    policy: HostPolicy,
    now: datetime,
    verify: ssl.SSLContext | None = None,
) -> int:
    """One round: every feed due now fetched and recorded; returns how many."""
    due = await database.off_loop(_claim, database, now)
    for feed in due:
        data, error = None, None
        try:
            data = await fetch_calendar(feed.url, policy=policy, verify=verify)
        except CalendarFetchFailed as failed:
            error = str(failed)
        events = None
        if data is not None:
            user_for = await database.off_loop(_members, database, feed.org_id)
            try:
                events = await asyncio.to_thread(
                    calendar_read.read_calendar,
                    data,
                    user_for=user_for,
                    starts_at=now - calendar_feeds.BEHIND,
                    ends_at=now + calendar_feeds.WINDOW,
                )
            except rota.FeedError as problem:
                error = calendar_feeds.unreadable(problem)
        await database.off_loop(_record, database, feed, events, error, now)
    return len(due)


def _claim(database: Database, now: datetime) -> list[DueFeed]:
    with database.write() as session:
        return calendar_feeds.claim_due(session, now=now, skip_locked=database.is_postgres)


def _members(database: Database, org_id: str) -> dict[str, str]:
    with database.read() as session:
        return calendar_feeds.members_by_name(session, org_id)


def _record(
    database: Database,
    feed: DueFeed,
    events: list[rota.Event] | None,
    error: str | None,
    now: datetime,
) -> None:
    with database.write() as session:
        calendar_feeds.record_read(session, feed_id=feed.id, events=events, error=error, now=now)
