"""The worker's step that refreshes external calendars: claim the feeds due (a write
transaction that holds each for a lease), fetch each outside any transaction under the host
rule (oncall/calendar_fetch.py), and record each outcome in a transaction of its own
(oncall/calendar_feeds.py: the new copy, or the failure with the last good copy kept)."""

from __future__ import annotations

import ssl
from datetime import datetime

from tocsin.db.engine import Database
from tocsin.oncall import calendar_feeds
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
        await database.off_loop(_record, database, feed, data, error, now)
    return len(due)


def _claim(database: Database, now: datetime) -> list[DueFeed]:
    with database.write() as session:
        return calendar_feeds.claim_due(session, now=now, skip_locked=database.is_postgres)


def _record(
    database: Database, feed: DueFeed, data: bytes | None, error: str | None, now: datetime
) -> None:
    with database.write() as session:
        calendar_feeds.record_fetch(session, feed_id=feed.id, data=data, error=error, now=now)
