"""External iCal calendars a schedule layer reads (`{"calendar_id": ...}`): adding, listing and
removing them, and keeping each one's last good copy.

The worker (engine/calendar_refresh.py) claims the feeds that are due, fetches each outside any
transaction (oncall/calendar_fetch.py) and records the outcome here. A good fetch replaces the
copy with the events of the next `WINDOW` that name a member; a failed one keeps the last good
copy (schedules go on using it), records why, tells the owners once per run of failures, and
tries again after a backoff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin import rota
from tocsin.accounts.models import Membership, User
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput, NotFound
from tocsin.core.ids import new_id
from tocsin.core.names import clean_name
from tocsin.oncall.calendar_fetch import check_calendar_url
from tocsin.oncall.changes import calendar_changed
from tocsin.oncall.models import CalendarFeed, Schedule
from tocsin.telephony.hosts import HostPolicy

# How often a calendar is fetched while it works, and how far ahead its events are kept.
REFRESH = timedelta(minutes=15)
WINDOW = timedelta(days=60)
# Events that began up to a day ago still count: a shift in progress stays on call.
BEHIND = timedelta(days=1)
# The wait after the first, second, ... failure in a row; the last repeats.
BACKOFF = (
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
)
# Feeds claimed at once, and how long a worker may take over them before another may take
# them: each may use its fetch's and its reading's whole time limit (10 s and 20 s), and a
# shorter lease would let a second worker fetch and read the same slow feeds again.
BATCH = 20
LEASE = timedelta(minutes=15)
MAX_URL_CHARACTERS = 2048


def add_feed(
    session: Session,
    *,
    org_id: str,
    name: str,
    url: str,
    policy: HostPolicy,
    actor: Actor,
    now: datetime,
) -> CalendarFeed:
    """A calendar to fetch, at once and then every `REFRESH`; its address must be one the
    fetcher would reach (https, public), so a wrong one is refused now rather than failing
    quietly later."""
    url = url.strip()
    if len(url) > MAX_URL_CHARACTERS:
        raise InvalidInput("the calendar URL is too long", code="calendar_url_too_long")
    check_calendar_url(policy, url)
    feed = CalendarFeed(
        id=new_id("cal"),
        org_id=org_id,
        name=clean_name(name),
        url=url,
        events=[],
        failures=0,
        next_fetch_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(feed)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CALENDAR_FEED_ADDED,
        at=now,
        org_id=org_id,
        target_type="calendar_feed",
        target_id=feed.id,
        details={"name": feed.name},
    )
    return feed


def list_feeds(session: Session, *, org_id: str) -> list[CalendarFeed]:
    return list(
        session.scalars(
            select(CalendarFeed)
            .where(CalendarFeed.org_id == org_id)
            .order_by(CalendarFeed.name, CalendarFeed.id)
        )
    )


def get_feed(session: Session, *, org_id: str, feed_id: str) -> CalendarFeed:
    feed = session.get(CalendarFeed, feed_id)
    if feed is None or feed.org_id != org_id:
        raise NotFound("no calendar with this id", code="calendar_not_found")
    return feed


def remove_feed(
    session: Session, *, org_id: str, feed_id: str, actor: Actor, now: datetime
) -> None:
    """Gone, unless a schedule layer still reads it (Conflict naming the schedule): a layer
    whose calendar vanished would leave its people off call without a word."""
    feed = get_feed(session, org_id=org_id, feed_id=feed_id)
    for schedule in session.scalars(select(Schedule).where(Schedule.org_id == org_id)):
        if any(layer.get("calendar_id") == feed.id for layer in schedule.layers or []):
            raise Conflict(
                f"the schedule {schedule.name!r} has a layer that reads this calendar",
                code="calendar_in_use",
                details={"schedule_id": schedule.id},
            )
    session.delete(feed)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CALENDAR_FEED_REMOVED,
        at=now,
        org_id=org_id,
        target_type="calendar_feed",
        target_id=feed.id,
        details={"name": feed.name},
    )


def refresh_soon(session: Session, *, org_id: str, feed_id: str, now: datetime) -> CalendarFeed:
    """Fetch the calendar at the worker's next look rather than at its turn."""
    feed = get_feed(session, org_id=org_id, feed_id=feed_id)
    feed.next_fetch_at = now
    return feed


@dataclass(frozen=True)
class DueFeed:
    id: str
    org_id: str
    url: str


def claim_due(
    session: Session, *, now: datetime, limit: int = BATCH, skip_locked: bool = False
) -> list[DueFeed]:
    """Feeds due for a fetch, each held for `LEASE` so another worker leaves it alone."""
    feeds = session.scalars(
        select(CalendarFeed)
        .where(CalendarFeed.next_fetch_at <= now)
        .order_by(CalendarFeed.next_fetch_at, CalendarFeed.id)
        .limit(limit)
        .with_for_update(skip_locked=skip_locked)
    ).all()
    for feed in feeds:
        feed.next_fetch_at = now + LEASE
    return [DueFeed(feed.id, feed.org_id, feed.url) for feed in feeds]


def record_fetch(
    session: Session, *, feed_id: str, data: bytes | None, error: str | None, now: datetime
) -> None:
    """What a fetch brought: a calendar to read (`data`), or why there was none (`error`).
    Reads the calendar here, in the caller's transaction: the worker reads it first, in a
    child process with a time limit (oncall/calendar_read.py), and calls `record_read`."""
    events = None
    if data is not None:
        org_id = session.scalar(select(CalendarFeed.org_id).where(CalendarFeed.id == feed_id))
        if org_id is None:
            return  # removed while it was being fetched
        try:
            events = rota.parse_feed(
                data,
                user_for=members_by_name(session, org_id),
                starts_at=now - BEHIND,
                ends_at=now + WINDOW,
            )
        except rota.FeedError as problem:
            error = unreadable(problem)
    record_read(session, feed_id=feed_id, events=events, error=error, now=now)


def unreadable(problem: rota.FeedError) -> str:
    return f"not a calendar Tocsin can read: {problem}"


def record_read(
    session: Session,
    *,
    feed_id: str,
    events: list[rota.Event] | None,
    error: str | None,
    now: datetime,
) -> None:
    """What a fetch and read brought: the calendar's events of [now - BEHIND, now + WINDOW)
    (`events`), or why there are none (`error`)."""
    feed = session.get(CalendarFeed, feed_id, with_for_update=True)
    if feed is None:
        return  # removed while it was being fetched
    feed.fetched_at = now
    feed.updated_at = now
    if events is not None:
        feed.events = [_stored(event) for event in events]
        feed.last_good_at = now
        feed.last_error = None
        feed.failures = 0
        feed.next_fetch_at = now + REFRESH
        calendar_changed(session, org_id=feed.org_id, calendar_id=feed.id, now=now)
        return
    _record_failure(session, feed, error or "no calendar", now)


def _record_failure(session: Session, feed: CalendarFeed, error: str, now: datetime) -> None:
    feed.last_error = error[:1000]
    feed.failures += 1
    feed.next_fetch_at = now + BACKOFF[min(feed.failures, len(BACKOFF)) - 1]
    if feed.failures == 1:
        kept = (
            f"the copy of {feed.last_good_at:%Y-%m-%d %H:%M} UTC is used until it works again"
            if feed.last_good_at is not None
            else "no copy of it has ever been fetched, so its layers have nobody on call"
        )
        tell_owners(
            session,
            org_id=feed.org_id,
            kind="calendar_failing",
            period=f"{feed.id}:{now.isoformat()}",
            message=f"The calendar {feed.name!r} could not be fetched: {error}. {kept}.",
            now=now,
            actor=audit.SYSTEM,
            details={"calendar_id": feed.id},
        )


def _stored(event: rota.Event) -> dict[str, str]:
    return {
        "user_id": event.user_id,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
    }


def members_by_name(session: Session, org_id: str) -> dict[str, str]:
    """Lower-cased e-mail addresses and display names of the organization's members, each to
    its member; a display name two members share names neither."""
    rows = session.execute(
        select(User.id, User.email, User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org_id)
        .order_by(User.id)
    ).all()
    by_name: dict[str, str] = {}
    shared: set[str] = set()
    for user_id, email, display_name in rows:
        by_name[email.lower()] = user_id
        name = display_name.strip().lower()
        if not name:
            continue
        if name in by_name and by_name[name] != user_id:
            shared.add(name)
        by_name[name] = user_id
    for name in shared:
        by_name.pop(name, None)
    return by_name
