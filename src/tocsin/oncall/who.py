"""Who is on call, as people ask it: now (per schedule, or every schedule of a project), the shifts
of a window or the next few, and one member's shifts. The windows asked for are bounded, since
each is computed on demand; a window too long is refused with its limit in the details."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin import rota
from tocsin.core.errors import InvalidInput
from tocsin.oncall import evaluation
from tocsin.oncall.checks import check_members, check_project, in_range
from tocsin.oncall.evaluation import OnCallNow
from tocsin.oncall.models import Schedule
from tocsin.oncall.schedules import schedule_not_found

MAX_WINDOW = timedelta(days=62)
MAX_NEXT = 100
# How far ahead the next shifts are looked for.
LOOKAHEAD = MAX_WINDOW
# What a schedule's timeline shows when no window is asked for.
TWO_WEEKS = timedelta(days=14)


@dataclass(frozen=True)
class Window:
    starts_at: datetime
    ends_at: datetime


def checked_window(starts_at: datetime, ends_at: datetime) -> Window:
    if not (in_range(starts_at) and in_range(ends_at)):
        raise InvalidInput(
            "from and until need an offset, between 1970 and 2200", code="invalid_window"
        )
    if ends_at <= starts_at:
        raise InvalidInput("until must be after from", code="invalid_window")
    if ends_at - starts_at > MAX_WINDOW:
        raise InvalidInput(
            f"a window is at most {MAX_WINDOW.days} days",
            code="window_too_long",
            details={"max_days": MAX_WINDOW.days},
        )
    return Window(starts_at, ends_at)


def checked_at(at: datetime) -> datetime:
    if not in_range(at):
        raise InvalidInput("at needs an offset, between 1970 and 2200", code="invalid_at")
    return at


def checked_count(count: int) -> int:
    if not 1 <= count <= MAX_NEXT:
        raise InvalidInput(
            f"next is 1 to {MAX_NEXT}", code="invalid_next", details={"max": MAX_NEXT}
        )
    return count


@dataclass(frozen=True)
class Shifts:
    """Shifts with the schedule each belongs to, and the names of the people in them."""

    items: list[tuple[str, rota.Shift]]
    names: dict[str, str]


@dataclass(frozen=True)
class Timeline:
    segments: list[rota.Segment]
    names: dict[str, str]


def on_call_now(session: Session, *, org_id: str, schedule_id: str, at: datetime) -> OnCallNow:
    found = evaluation.on_call(session, org_id=org_id, schedule_id=schedule_id, at=checked_at(at))
    if found is None:
        raise schedule_not_found()
    return found


def project_on_call(
    session: Session, *, org_id: str, project_id: str, at: datetime
) -> list[OnCallNow]:
    """Who each schedule of the project has on call, by schedule name."""
    check_project(session, org_id=org_id, project_id=project_id)
    return [
        on_call_now(session, org_id=org_id, schedule_id=schedule_id, at=at)
        for schedule_id in _project_schedules(session, org_id, project_id)
    ]


def project_shifts(
    session: Session,
    *,
    org_id: str,
    project_id: str,
    window: Window | None,
    now: datetime,
    count: int | None = None,
) -> Shifts:
    """The shifts of every schedule of the project, by start: who the team has on call next,
    whichever schedule they hold."""
    check_project(session, org_id=org_id, project_id=project_id)
    span = _span(window, now)
    found: list[tuple[str, rota.Shift]] = []
    for schedule_id in _project_schedules(session, org_id, project_id):
        shifts = evaluation.schedule_shifts(
            session,
            org_id=org_id,
            schedule_id=schedule_id,
            starts_at=span.starts_at,
            ends_at=span.ends_at,
        )
        found.extend((schedule_id, shift) for shift in shifts or [])
    found.sort(key=lambda item: (item[1].starts_at, item[0], item[1].user_id))
    found = _first(found, window, count)
    names = evaluation.names_of(session, {shift.user_id for _, shift in found})
    return Shifts(found, names)


def _project_schedules(session: Session, org_id: str, project_id: str) -> list[str]:
    return list(
        session.scalars(
            select(Schedule.id)
            .where(Schedule.org_id == org_id, Schedule.project_id == project_id)
            .order_by(Schedule.name, Schedule.id)
        )
    )


def timeline(session: Session, *, org_id: str, schedule_id: str, window: Window) -> Timeline:
    found = evaluation.schedule_timeline(
        session,
        org_id=org_id,
        schedule_id=schedule_id,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
    )
    if found is None:
        raise schedule_not_found()
    holders = [holder for segment in found for holder in segment.on_call.holders]
    return Timeline(found, evaluation.holders_names(session, holders))


def schedule_shifts(
    session: Session,
    *,
    org_id: str,
    schedule_id: str,
    window: Window | None,
    now: datetime,
    count: int | None = None,
) -> Shifts:
    """The shifts of the window; without one, the shift in progress and those after it within
    the lookahead, `count` at most."""
    span = _span(window, now)
    found = evaluation.schedule_shifts(
        session,
        org_id=org_id,
        schedule_id=schedule_id,
        starts_at=span.starts_at,
        ends_at=span.ends_at,
    )
    if found is None:
        raise schedule_not_found()
    found = _first(found, window, count)
    names = evaluation.names_of(session, {shift.user_id for shift in found})
    return Shifts([(schedule_id, shift) for shift in found], names)


def member_shifts(
    session: Session,
    *,
    org_id: str,
    user_id: str,
    window: Window | None,
    now: datetime,
    count: int | None = None,
) -> Shifts:
    """The member's shifts in every schedule, in the window (or ahead, `count` at most)."""
    check_members(session, org_id=org_id, user_ids=[user_id])
    span = _span(window, now)
    found = evaluation.member_shifts(
        session,
        org_id=org_id,
        user_id=user_id,
        starts_at=span.starts_at,
        ends_at=span.ends_at,
    )
    found = _first(found, window, count)
    return Shifts(found, evaluation.names_of(session, [user_id]))


def _span(window: Window | None, now: datetime) -> Window:
    """The window asked for, or from the shift in progress to the lookahead's end."""
    return window or Window(checked_at(now), now + LOOKAHEAD)


_T = TypeVar("_T")


def _first(found: list[_T], window: Window | None, count: int | None) -> list[_T]:
    """`count` bounds the shifts ahead only: a window the caller named is given whole."""
    if window is not None or count is None:
        return found
    return found[: checked_count(count)]
