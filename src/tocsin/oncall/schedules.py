"""Schedules: layers of rotations, fixed members and external calendars in one time zone, higher
layers winning. Reads and the commands that change them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import NotFound
from tocsin.core.ids import new_id
from tocsin.core.names import clean_name
from tocsin.core.pagination import Page, paginate
from tocsin.oncall.changes import schedule_changed
from tocsin.oncall.checks import check_project, checked_layers, checked_timezone
from tocsin.oncall.models import Schedule, ScheduleOverride, ScheduleTemporary
from tocsin.oncall.references import schedule_users
from tocsin.restrictions.blocks import require_writable


def schedule_not_found() -> NotFound:
    return NotFound("schedule not found", code="schedule_not_found")


def get_schedule(session: Session, *, org_id: str, schedule_id: str) -> Schedule:
    row = session.scalar(
        select(Schedule).where(Schedule.id == schedule_id, Schedule.org_id == org_id)
    )
    if row is None:
        raise schedule_not_found()
    return row


def list_schedules(
    session: Session,
    *,
    org_id: str,
    limit: int,
    cursor: str | None,
    project_id: str | None = None,
) -> Page[Schedule]:
    query = select(Schedule).where(Schedule.org_id == org_id)
    if project_id is not None:
        query = query.where(Schedule.project_id == project_id)
    return paginate(session, query, Schedule.id, limit=limit, cursor=cursor)


def all_schedules(session: Session, *, org_id: str) -> list[Schedule]:
    return list(
        session.scalars(select(Schedule).where(Schedule.org_id == org_id).order_by(Schedule.name))
    )


def create_schedule(
    session: Session,
    *,
    org_id: str,
    name: str,
    timezone: str,
    layers: Sequence[dict[str, Any]],
    project_id: str | None,
    actor: Actor,
    now: datetime,
) -> Schedule:
    require_writable(session, org_id=org_id, actor=actor, now=now)
    stored = checked_layers(session, org_id=org_id, layers=layers)
    check_project(session, org_id=org_id, project_id=project_id)
    row = Schedule(
        id=new_id("sch"),
        org_id=org_id,
        project_id=project_id,
        name=clean_name(name),
        timezone=checked_timezone(timezone),
        layers=stored,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    schedule_changed(session, row, now=now)
    _record(session, actor, AuditAction.SCHEDULE_CREATED, row, now, {"layers": len(stored)})
    return row


def update_schedule(
    session: Session,
    *,
    org_id: str,
    schedule_id: str,
    actor: Actor,
    now: datetime,
    name: str | None = None,
    timezone: str | None = None,
    layers: Sequence[dict[str, Any]] | None = None,
    project_id: str | None = None,
    clear_project: bool = False,
) -> Schedule:
    """None leaves a field as it is; `layers` replaces them all."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    row = get_schedule(session, org_id=org_id, schedule_id=schedule_id)
    changed: dict[str, object] = {}
    if name is not None:
        row.name = clean_name(name)
    if timezone is not None:
        row.timezone = checked_timezone(timezone)
        changed["timezone"] = row.timezone
    if layers is not None:
        row.layers = checked_layers(session, org_id=org_id, layers=layers)
        changed["layers"] = len(row.layers)
    if clear_project:
        row.project_id = None
    elif project_id is not None:
        check_project(session, org_id=org_id, project_id=project_id)
        row.project_id = project_id
    row.updated_at = now
    if "timezone" in changed or "layers" in changed:
        schedule_changed(session, row, now=now)
    _record(session, actor, AuditAction.SCHEDULE_UPDATED, row, now, changed)
    return row


def delete_schedule(
    session: Session, *, org_id: str, schedule_id: str, actor: Actor, now: datetime
) -> None:
    """Refused (409 `schedule_in_use`) while an endpoint's rule or an escalation step pages it:
    those would otherwise page nobody until someone noticed."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    row = get_schedule(session, org_id=org_id, schedule_id=schedule_id)
    schedule_users(session, org_id=org_id, schedule_id=schedule_id).refuse("schedule", row.name)
    for table in (ScheduleOverride, ScheduleTemporary):
        session.execute(delete(table).where(table.schedule_id == schedule_id))
    session.delete(row)
    _record(session, actor, AuditAction.SCHEDULE_DELETED, row, now, {"name": row.name})


def _record(
    session: Session,
    actor: Actor,
    action: AuditAction,
    row: Schedule,
    now: datetime,
    details: dict[str, object],
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        at=now,
        org_id=row.org_id,
        target_type="schedule",
        target_id=row.id,
        details=details or None,
    )
