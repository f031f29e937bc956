"""What every change of who will be on call does in its own transaction: the schedule's gap flag
is worked out afresh (oncall/gaps.py), and the handoff mark is moved back to the change
(oncall/handoffs.py), so a late override, a temporary schedule, a rotation change or a layer
edit inside the window already told is looked at again by the next round of handoff notices.

Callers say which schedules changed: one (a schedule, its override or temporary schedule),
those whose layers read a rotation or an external calendar, or all of an organization's (a
member who left).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.oncall.gaps import check_schedule_gap
from tocsin.oncall.handoffs import rewind_handoffs
from tocsin.oncall.models import Schedule


def schedule_changed(
    session: Session,
    schedule: Schedule,
    *,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
) -> None:
    """Who `schedule` has on call may differ over [since, until) (from now on, when not said)."""
    session.flush()
    check_schedule_gap(session, schedule, now=now)
    if until is None or until > now:
        rewind_handoffs(schedule, since=max(since or now, now))


def _changed(session: Session, rows: Iterable[Schedule], now: datetime) -> None:
    for schedule in rows:
        schedule_changed(session, schedule, now=now)


def _org_schedules(session: Session, org_id: str) -> list[Schedule]:
    return list(
        session.scalars(select(Schedule).where(Schedule.org_id == org_id).order_by(Schedule.id))
    )


def rotation_changed(session: Session, *, org_id: str, rotation_id: str, now: datetime) -> None:
    """Every schedule with a layer that takes its people from the rotation."""
    _changed(
        session,
        (
            schedule
            for schedule in _org_schedules(session, org_id)
            if any(layer.get("rotation_id") == rotation_id for layer in schedule.layers or [])
        ),
        now,
    )


def calendar_changed(session: Session, *, org_id: str, calendar_id: str, now: datetime) -> None:
    """Every schedule with a layer that reads the external calendar."""
    _changed(
        session,
        (
            schedule
            for schedule in _org_schedules(session, org_id)
            if any(layer.get("calendar_id") == calendar_id for layer in schedule.layers or [])
        ),
        now,
    )


def organization_changed(session: Session, *, org_id: str, now: datetime) -> None:
    """Every schedule of the organization (a member left all of them at once)."""
    _changed(session, _org_schedules(session, org_id), now)
