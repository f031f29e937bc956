"""The iCal feed behind a calendar token: the shifts of a week back and 60 days ahead, computed
when asked (oncall.evaluation), so an override shows at the calendar's next refresh."""

from __future__ import annotations

from datetime import datetime

import icalendar
from sqlalchemy.orm import Session

from tocsin import rota
from tocsin.oncall import evaluation
from tocsin.oncall.calendar_tokens import FEED_AHEAD, FEED_BEHIND, find_token, member_names
from tocsin.oncall.models import CalendarToken, CalendarTokenKind, Schedule


def token_feed(session: Session, *, secret: str, key: bytes, now: datetime) -> bytes | None:
    """The calendar for `secret`; None when no live token has it (the route answers 404)."""
    token = find_token(session, secret=secret, key=key)
    if token is None:
        return None
    starts_at, ends_at = now - FEED_BEHIND, now + FEED_AHEAD
    if token.kind == CalendarTokenKind.SCHEDULE.value:
        return _schedule_feed(session, token, starts_at=starts_at, ends_at=ends_at, now=now)
    return _person_feed(session, token, starts_at=starts_at, ends_at=ends_at, now=now)


def _schedule_feed(
    session: Session, token: CalendarToken, *, starts_at: datetime, ends_at: datetime, now: datetime
) -> bytes | None:
    schedule = session.get(Schedule, token.subject_id)
    shifts = evaluation.schedule_shifts(
        session,
        org_id=token.org_id,
        schedule_id=token.subject_id,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    if schedule is None or shifts is None:
        return None  # the schedule was deleted: its feed goes with it
    return rota.render_feed(
        name=schedule.name,
        shifts=shifts,
        names=member_names(session, {shift.user_id for shift in shifts}),
        calendar_id=token.id,
        now=now,
    )


def _person_feed(
    session: Session, token: CalendarToken, *, starts_at: datetime, ends_at: datetime, now: datetime
) -> bytes:
    """One member's shifts on every schedule, each event named for its schedule. Rendered per
    schedule (each with its own calendar id, so two schedules' shifts that start together
    keep distinct UIDs) and joined into one calendar."""
    found = evaluation.member_shifts(
        session, org_id=token.org_id, user_id=token.subject_id, starts_at=starts_at, ends_at=ends_at
    )
    by_schedule: dict[str, list[rota.Shift]] = {}
    for schedule_id, shift in found:
        by_schedule.setdefault(schedule_id, []).append(shift)
    person = member_names(session, {token.subject_id}).get(token.subject_id, "")
    title = f"On call: {person}" if person else "On call"
    joined = icalendar.Calendar.from_ical(
        rota.render_feed(name=title, shifts=[], names={}, calendar_id=token.id, now=now)
    )
    for schedule_id, shifts in by_schedule.items():
        schedule = session.get(Schedule, schedule_id)
        label = schedule.name if schedule is not None else schedule_id
        rendered = icalendar.Calendar.from_ical(
            rota.render_feed(
                name=title,
                shifts=shifts,
                names={token.subject_id: f"{person} ({label})" if person else label},
                calendar_id=f"{token.id}-{schedule_id}",
                now=now,
            )
        )
        for event in rendered.walk("VEVENT"):
            joined.add_component(event)
    data: bytes = joined.to_ical()
    return data
