"""Rotations: participants who take turns, each for a shift of hours, days or weeks, handing over
at a local time in a time zone. Reads and the commands that change them.

Changing the participants keeps the shift in progress where users expect it
(`rota.change_participants`, at the time of the change). Changing the shape (unit, length,
handoff, time zone or start) restarts the turns from the start as newly described.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin import rota
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import InvalidInput, NotFound
from tocsin.core.ids import new_id
from tocsin.core.names import clean_name
from tocsin.core.pagination import Page, paginate
from tocsin.oncall.as_rota import rotation_value
from tocsin.oncall.changes import rotation_changed
from tocsin.oncall.checks import check_project, checked_participants, checked_timezone, in_range
from tocsin.oncall.layers import CLOCK
from tocsin.oncall.models import Rotation
from tocsin.oncall.references import rotation_users
from tocsin.restrictions.blocks import require_writable

# Longest shift each unit allows: a year of days, a year of weeks, a month of hours.
MAX_COUNT = {rota.Unit.HOURS: 24 * 31, rota.Unit.DAYS: 366, rota.Unit.WEEKS: 52}
_CLOCK = re.compile(CLOCK)


@dataclass(frozen=True)
class Shape:
    """How a rotation's shifts are cut."""

    unit: str
    count: int
    handoff_time: str
    timezone: str
    start_at: datetime


def rotation_not_found() -> NotFound:
    return NotFound("rotation not found", code="rotation_not_found")


def get_rotation(session: Session, *, org_id: str, rotation_id: str) -> Rotation:
    row = session.scalar(
        select(Rotation).where(Rotation.id == rotation_id, Rotation.org_id == org_id)
    )
    if row is None:
        raise rotation_not_found()
    return row


def list_rotations(
    session: Session, *, org_id: str, limit: int, cursor: str | None
) -> Page[Rotation]:
    query = select(Rotation).where(Rotation.org_id == org_id)
    return paginate(session, query, Rotation.id, limit=limit, cursor=cursor)


def _checked_shape(shape: Shape) -> Shape:
    try:
        unit = rota.Unit(shape.unit)
    except ValueError as exc:
        allowed = ", ".join(item.value for item in rota.Unit)
        raise InvalidInput(f"unit must be one of: {allowed}", code="invalid_unit") from exc
    if not 1 <= shape.count <= MAX_COUNT[unit]:
        raise InvalidInput(f"a shift is 1 to {MAX_COUNT[unit]} {unit.value}", code="invalid_count")
    if not _CLOCK.match(shape.handoff_time):
        raise InvalidInput("handoff_time is HH:MM, 00:00 to 23:59", code="invalid_handoff")
    if not in_range(shape.start_at):
        raise InvalidInput(
            "start_at needs a time zone offset, between 1970 and 2200", code="invalid_start"
        )
    return Shape(
        unit=unit.value,
        count=shape.count,
        handoff_time=shape.handoff_time,
        timezone=checked_timezone(shape.timezone),
        start_at=shape.start_at,
    )


def create_rotation(
    session: Session,
    *,
    org_id: str,
    name: str,
    shape: Shape,
    participants: Sequence[str],
    project_id: str | None,
    actor: Actor,
    now: datetime,
) -> Rotation:
    require_writable(session, org_id=org_id, actor=actor, now=now)
    checked = _checked_shape(shape)
    people = checked_participants(session, org_id=org_id, participants=participants)
    check_project(session, org_id=org_id, project_id=project_id)
    row = Rotation(
        id=new_id("rot"),
        org_id=org_id,
        project_id=project_id,
        name=clean_name(name),
        unit=checked.unit,
        count=checked.count,
        handoff_time=checked.handoff_time,
        timezone=checked.timezone,
        start_at=checked.start_at,
        participants=people,
        anchor_at=None,
        anchor_index=0,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    _record(session, actor, AuditAction.ROTATION_CREATED, row, now, {"participants": people})
    return row


def update_rotation(
    session: Session,
    *,
    org_id: str,
    rotation_id: str,
    actor: Actor,
    now: datetime,
    name: str | None = None,
    unit: str | None = None,
    count: int | None = None,
    handoff_time: str | None = None,
    timezone: str | None = None,
    start_at: datetime | None = None,
    participants: Sequence[str] | None = None,
    project_id: str | None = None,
    clear_project: bool = False,
) -> Rotation:
    """None leaves a field as it is; `clear_project` takes the rotation out of its project."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    row = get_rotation(session, org_id=org_id, rotation_id=rotation_id)
    changed: dict[str, object] = {}
    if name is not None:
        row.name = clean_name(name)
    if any(value is not None for value in (unit, count, handoff_time, timezone, start_at)):
        checked = _checked_shape(
            Shape(
                unit=unit or row.unit,
                count=count if count is not None else row.count,
                handoff_time=handoff_time or row.handoff_time,
                timezone=timezone or row.timezone,
                start_at=start_at or row.start_at,
            )
        )
        before = (row.unit, row.count, row.handoff_time, row.timezone, row.start_at)
        after = (checked.unit, checked.count, checked.handoff_time, checked.timezone)
        if before != (*after, checked.start_at):
            row.unit, row.count, row.handoff_time, row.timezone = after
            row.start_at = checked.start_at
            row.anchor_at, row.anchor_index = None, 0
            changed["shape"] = checked.unit
    if participants is not None:
        people = checked_participants(session, org_id=org_id, participants=participants)
        if people != list(row.participants):
            change_participants_at(row, tuple(people), now)
            changed["participants"] = people
    if clear_project:
        row.project_id = None
    elif project_id is not None:
        check_project(session, org_id=org_id, project_id=project_id)
        row.project_id = project_id
    row.updated_at = now
    if "shape" in changed or "participants" in changed:
        rotation_changed(session, org_id=org_id, rotation_id=row.id, now=now)
    _record(session, actor, AuditAction.ROTATION_UPDATED, row, now, changed)
    return row


def change_participants_at(row: Rotation, participants: tuple[str, ...], now: datetime) -> None:
    """New participants from `now` on, the shift in progress kept (rota.change_participants)."""
    if not row.participants:
        row.participants = list(participants)
        row.anchor_at, row.anchor_index = None, 0
        return
    changed = rota.change_participants(rotation_value(row), participants, now)
    row.participants = list(changed.participants)
    row.anchor_at, row.anchor_index = changed.anchor_at, changed.anchor_index


def delete_rotation(
    session: Session, *, org_id: str, rotation_id: str, actor: Actor, now: datetime
) -> None:
    """Refused (409 `rotation_in_use`) while a schedule's layer takes its people from it:
    deleting it would silently empty that layer."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    row = get_rotation(session, org_id=org_id, rotation_id=rotation_id)
    rotation_users(session, org_id=org_id, rotation_id=rotation_id).refuse("rotation", row.name)
    session.delete(row)
    _record(session, actor, AuditAction.ROTATION_DELETED, row, now, {"name": row.name})


def _record(
    session: Session,
    actor: Actor,
    action: AuditAction,
    row: Rotation,
    now: datetime,
    details: dict[str, object],
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        at=now,
        org_id=row.org_id,
        target_type="rotation",
        target_id=row.id,
        details=details or None,
    )


def upcoming_shifts(
    session: Session, *, org_id: str, rotation_id: str, now: datetime, days: int = 14
) -> list[rota.Shift]:
    """The rotation's own shifts from the one in progress, over the next `days`."""
    row = get_rotation(session, org_id=org_id, rotation_id=rotation_id)
    if not row.participants:
        return []
    return rota.rotation_shifts(rotation_value(row), now, now + timedelta(days=days))
