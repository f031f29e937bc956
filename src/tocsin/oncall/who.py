"""Who is on call, as people ask it: now (per schedule, or every schedule of a project), the shifts
of a window or the next few, and one member's shifts. The windows asked for are bounded, since
each is computed on demand; a window too long is refused with its limit in the details."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin import rota
from tocsin.core.errors import InvalidInput
from tocsin.oncall import evaluation
from tocsin.oncall.checks import check_members, check_project
from tocsin.oncall.evaluation import OnCallNow
from tocsin.oncall.models import Schedule
from tocsin.oncall.schedules import schedule_not_found

MAX_WINDOW = timedelta(days=62)
MAX_NEXT = 100
# How far ahead the next shifts are looked for.
LOOKAHEAD = MAX_WINDOW


@dataclass(frozen=True)
class Window:
    starts_at: datetime
    ends_at: datetime


def checked_window(starts_at: datetime, ends_at: datetime) -> Window:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput("times need a time zone offset", code="invalid_window")
    if ends_at <= starts_at:
        raise InvalidInput("until must be after from", code="invalid_window")
    if ends_at - starts_at > MAX_WINDOW:
        raise InvalidInput(
            f"a window is at most {MAX_WINDOW.days} days",
            code="window_too_long",
            details={"max_days": MAX_WINDOW.days},
        )
    return Window(starts_at, ends_at)


def checked_count(count: int) -> int:
    if not 1 <= count <= MAX_NEXT:
        raise InvalidInput(
            f"next is 1 to {MAX_NEXT}", code="invalid_next", details={"max": MAX_NEXT}
        )
    return count


def on_call_now(session: Session, *, org_id: str, schedule_id: str, at: datetime) -> OnCallNow:
    found = evaluation.on_call(session, org_id=org_id, schedule_id=schedule_id, at=at)
    if found is None:
        raise schedule_not_found()
    return found


def project_on_call(
    session: Session, *, org_id: str, project_id: str, at: datetime
) -> list[OnCallNow]:
    """Who each schedule of the project has on call, by schedule name."""
    check_project(session, org_id=org_id, project_id=project_id)
    ids = session.scalars(
        select(Schedule.id)
        .where(Schedule.org_id == org_id, Schedule.project_id == project_id)
        .order_by(Schedule.name, Schedule.id)
    )
    return [on_call_now(session, org_id=org_id, schedule_id=sid, at=at) for sid in list(ids)]


def timeline(
    session: Session, *, org_id: str, schedule_id: str, window: Window
) -> list[rota.Segment]:
    found = evaluation.schedule_timeline(
        session,
        org_id=org_id,
        schedule_id=schedule_id,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
    )
    if found is None:
        raise schedule_not_found()
    return found


def shifts(
    session: Session, *, org_id: str, schedule_id: str, window: Window
) -> list[rota.Shift]:
    found = evaluation.schedule_shifts(
        session,
        org_id=org_id,
        schedule_id=schedule_id,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
    )
    if found is None:
        raise schedule_not_found()
    return found


def next_shifts(
    session: Session, *, org_id: str, schedule_id: str, now: datetime, count: int
) -> list[rota.Shift]:
    """The shift in progress and those after it, `count` at most, within the lookahead."""
    window = Window(now, now + LOOKAHEAD)
    return shifts(session, org_id=org_id, schedule_id=schedule_id, window=window)[
        : checked_count(count)
    ]


def member_shifts(
    session: Session, *, org_id: str, user_id: str, window: Window, count: int | None = None
) -> list[tuple[str, rota.Shift]]:
    """(schedule id, shift) of the member's shifts in the window, the first `count` of them."""
    check_members(session, org_id=org_id, user_ids=[user_id])
    found = evaluation.member_shifts(
        session,
        org_id=org_id,
        user_id=user_id,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
    )
    return found if count is None else found[: checked_count(count)]


def next_window(now: datetime) -> Window:
    return Window(now, now + LOOKAHEAD)


def schedule_names(session: Session, *, org_id: str) -> dict[str, str]:
    return dict(
        session.execute(select(Schedule.id, Schedule.name).where(Schedule.org_id == org_id))
        .tuples()
        .all()
    )

