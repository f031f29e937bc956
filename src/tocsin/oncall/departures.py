"""A member who leaves the organization leaves its on-call too: out of every rotation (the shift
in progress kept as a change of participants keeps it), every layer of fixed members, every
override and every temporary shift still ahead, and out of every external calendar's kept copy
(which schedules read for as long as its fetches fail). Nobody stays on call who can no longer
be told; a layer left with nobody lets the layers below show through, and a schedule left with
nobody is said on the timeline when it is paged (escalation.nobody_on_call)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.oncall.changes import organization_changed
from tocsin.oncall.models import (
    CalendarFeed,
    Rotation,
    Schedule,
    ScheduleOverride,
    ScheduleTemporary,
)
from tocsin.oncall.removal import forget_member
from tocsin.oncall.rotations import change_participants_at


def member_left(
    session: Session, *, org_id: str, user_id: str, actor: Actor, now: datetime
) -> None:
    """Everything on-call does when a membership goes (organizations.commands.remove_member):
    out of every schedule, then their own numbers, rules and projects forgotten."""
    _leave_on_call(session, org_id=org_id, user_id=user_id, actor=actor, now=now)
    forget_member(session, org_id=org_id, user_id=user_id, actor=actor, now=now)


def _leave_on_call(
    session: Session, *, org_id: str, user_id: str, actor: Actor, now: datetime
) -> None:
    rotations = _leave_rotations(session, org_id, user_id, now)
    schedules = _leave_layers(session, org_id, user_id, now)
    removed = session.execute(
        delete(ScheduleOverride).where(
            ScheduleOverride.org_id == org_id,
            or_(ScheduleOverride.user_id == user_id, ScheduleOverride.replaces_user_id == user_id),
            ScheduleOverride.ends_at > now,
        )
    )
    overrides = int(removed.rowcount)  # type: ignore[attr-defined]
    temporaries = _leave_temporaries(session, org_id, user_id, now)
    calendars = _leave_calendars(session, org_id, user_id, now)
    if not (rotations or schedules or overrides or temporaries or calendars):
        return
    organization_changed(session, org_id=org_id, now=now)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ONCALL_MEMBER_LEFT,
        at=now,
        org_id=org_id,
        target_type="user",
        target_id=user_id,
        details={
            "rotation_ids": rotations,
            "schedule_ids": schedules,
            "overrides_removed": overrides,
            "temporary_ids": temporaries,
            "calendar_ids": calendars,
        },
    )


def _leave_rotations(session: Session, org_id: str, user_id: str, now: datetime) -> list[str]:
    changed: list[str] = []
    for row in session.scalars(select(Rotation).where(Rotation.org_id == org_id)):
        if user_id not in row.participants:
            continue
        remaining = tuple(person for person in row.participants if person != user_id)
        if remaining:
            change_participants_at(row, remaining, now)
        else:
            row.participants, row.anchor_at, row.anchor_index = [], None, 0
        row.updated_at = now
        changed.append(row.id)
    return changed


def _leave_layers(session: Session, org_id: str, user_id: str, now: datetime) -> list[str]:
    changed: list[str] = []
    for row in session.scalars(select(Schedule).where(Schedule.org_id == org_id)):
        if not any(user_id in layer.get("user_ids", ()) for layer in row.layers):
            continue
        layers = []
        for layer in row.layers:
            if user_id in layer.get("user_ids", ()):
                layer = {**layer, "user_ids": [u for u in layer["user_ids"] if u != user_id]}
            layers.append(layer)
        row.layers = layers
        row.updated_at = now
        changed.append(row.id)
    return changed


def _leave_temporaries(session: Session, org_id: str, user_id: str, now: datetime) -> list[str]:
    changed: list[str] = []
    rows = session.scalars(
        select(ScheduleTemporary).where(
            ScheduleTemporary.org_id == org_id, ScheduleTemporary.ends_at > now
        )
    )
    for row in rows:
        kept = [shift for shift in row.shifts if shift["user_id"] != user_id]
        if len(kept) != len(row.shifts):
            row.shifts = kept
            changed.append(row.id)
    return changed


def _leave_calendars(session: Session, org_id: str, user_id: str, now: datetime) -> list[str]:
    changed: list[str] = []
    for row in session.scalars(select(CalendarFeed).where(CalendarFeed.org_id == org_id)):
        kept = [event for event in row.events or [] if event.get("user_id") != user_id]
        if len(kept) != len(row.events or []):
            row.events = kept
            row.updated_at = now
            changed.append(row.id)
    return changed
