"""Temporary schedules (holidays): for a period, fixed shifts replace every layer of the schedule;
inside the period but outside its shifts nobody is on call (and the schedule says so when it
is paged). Overrides still apply on top."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput, NotFound
from tocsin.core.ids import new_id
from tocsin.oncall.changes import schedule_changed
from tocsin.oncall.checks import MAX_TEMPORARY, MAX_TEMPORARY_SHIFTS, check_members, check_period
from tocsin.oncall.models import ScheduleTemporary
from tocsin.oncall.schedules import get_schedule
from tocsin.restrictions.blocks import require_writable

MAX_NOTE = 500


@dataclass(frozen=True)
class TemporaryShift:
    user_id: str
    starts_at: datetime
    ends_at: datetime


def list_temporaries(
    session: Session, *, org_id: str, schedule_id: str, ending_after: datetime
) -> list[ScheduleTemporary]:
    get_schedule(session, org_id=org_id, schedule_id=schedule_id)
    return list(
        session.scalars(
            select(ScheduleTemporary)
            .where(
                ScheduleTemporary.schedule_id == schedule_id,
                ScheduleTemporary.ends_at > ending_after,
            )
            .order_by(ScheduleTemporary.starts_at, ScheduleTemporary.id)
        )
    )


def _check_shifts(starts_at: datetime, ends_at: datetime, shifts: Sequence[TemporaryShift]) -> None:
    if len(shifts) > MAX_TEMPORARY_SHIFTS:
        raise InvalidInput(
            f"a temporary schedule has at most {MAX_TEMPORARY_SHIFTS} shifts",
            code="invalid_shifts",
        )
    for index, shift in enumerate(shifts):
        if shift.ends_at <= shift.starts_at:
            raise InvalidInput(f"shifts.{index} must end after it starts", code="invalid_shifts")
        if shift.starts_at < starts_at or shift.ends_at > ends_at:
            raise InvalidInput(
                f"shifts.{index} must lie within the temporary schedule's period",
                code="invalid_shifts",
            )


def add_temporary(
    session: Session,
    *,
    org_id: str,
    schedule_id: str,
    starts_at: datetime,
    ends_at: datetime,
    shifts: Sequence[TemporaryShift],
    actor: Actor,
    now: datetime,
    note: str = "",
) -> ScheduleTemporary:
    """Refused (409 `temporary_overlaps`) when the period overlaps another temporary schedule of
    the same schedule: which of two would win is not for Tocsin to guess."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    schedule = get_schedule(session, org_id=org_id, schedule_id=schedule_id)
    check_period(starts_at, ends_at, longest=MAX_TEMPORARY, now=now, what="a temporary schedule")
    _check_shifts(starts_at, ends_at, shifts)
    check_members(session, org_id=org_id, user_ids=[shift.user_id for shift in shifts])
    overlapping = session.scalar(
        select(ScheduleTemporary.id).where(
            ScheduleTemporary.schedule_id == schedule_id,
            ScheduleTemporary.starts_at < ends_at,
            ScheduleTemporary.ends_at > starts_at,
        )
    )
    if overlapping is not None:
        raise Conflict(
            f"the period overlaps temporary schedule {overlapping}", code="temporary_overlaps"
        )
    row = ScheduleTemporary(
        id=new_id("tmp"),
        org_id=org_id,
        schedule_id=schedule_id,
        starts_at=starts_at,
        ends_at=ends_at,
        shifts=[
            {
                "user_id": shift.user_id,
                "starts_at": shift.starts_at.isoformat(),
                "ends_at": shift.ends_at.isoformat(),
            }
            for shift in sorted(shifts, key=lambda item: (item.starts_at, item.user_id))
        ],
        note=" ".join(note.split())[:MAX_NOTE],
        created_by=actor.id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    schedule_changed(session, schedule, now=now, since=starts_at, until=ends_at)
    _record(session, actor, AuditAction.SCHEDULE_TEMPORARY_ADDED, row, now)
    return row


def remove_temporary(
    session: Session,
    *,
    org_id: str,
    schedule_id: str,
    temporary_id: str,
    actor: Actor,
    now: datetime,
) -> None:
    require_writable(session, org_id=org_id, actor=actor, now=now)
    schedule = get_schedule(session, org_id=org_id, schedule_id=schedule_id)
    row = session.scalar(
        select(ScheduleTemporary).where(
            ScheduleTemporary.id == temporary_id,
            ScheduleTemporary.schedule_id == schedule_id,
            ScheduleTemporary.org_id == org_id,
        )
    )
    if row is None:
        raise NotFound("temporary schedule not found", code="temporary_not_found")
    session.delete(row)
    schedule_changed(session, schedule, now=now, since=row.starts_at, until=row.ends_at)
    _record(session, actor, AuditAction.SCHEDULE_TEMPORARY_REMOVED, row, now)


def _record(
    session: Session, actor: Actor, action: AuditAction, row: ScheduleTemporary, now: datetime
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        at=now,
        org_id=row.org_id,
        target_type="schedule",
        target_id=row.schedule_id,
        details={
            "temporary_id": row.id,
            "starts_at": row.starts_at.isoformat(),
            "ends_at": row.ends_at.isoformat(),
            "shifts": len(row.shifts),
        },
    )
