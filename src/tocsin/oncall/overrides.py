"""Overrides of a schedule for a period: someone replaces a person (a swap), someone is added
(an extra pair of hands), someone is removed (a day off). They win over every layer and over
temporary schedules, and paging reads them when each step runs, so an override made while an
alert escalates changes who its next step calls."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput, NotFound
from tocsin.core.ids import new_id
from tocsin.oncall.changes import schedule_changed
from tocsin.oncall.checks import MAX_OVERRIDE, check_members, check_period
from tocsin.oncall.models import OverrideKind, ScheduleOverride
from tocsin.oncall.schedules import get_schedule
from tocsin.restrictions.blocks import require_writable

MAX_NOTE = 500
# Overrides not over yet, per schedule: every timeline, feed and page reads them, and a year of
# daily swaps is 365.
MAX_LIVE_OVERRIDES = 500


def list_overrides(
    session: Session, *, org_id: str, schedule_id: str, ending_after: datetime
) -> list[ScheduleOverride]:
    """The schedule's overrides not over by `ending_after`, by start."""
    get_schedule(session, org_id=org_id, schedule_id=schedule_id)
    return list(
        session.scalars(
            select(ScheduleOverride)
            .where(
                ScheduleOverride.schedule_id == schedule_id,
                ScheduleOverride.ends_at > ending_after,
            )
            .order_by(ScheduleOverride.starts_at, ScheduleOverride.id)
        )
    )


def _checked_kind(kind: str, user_id: str, replaces_user_id: str | None) -> OverrideKind:
    try:
        checked = OverrideKind(kind)
    except ValueError as exc:
        allowed = ", ".join(item.value for item in OverrideKind)
        raise InvalidInput(f"kind must be one of: {allowed}", code="invalid_override") from exc
    if checked == OverrideKind.REPLACE:
        if replaces_user_id is None:
            raise InvalidInput(
                "a replacement names who it replaces (replaces_user_id)", code="invalid_override"
            )
        if replaces_user_id == user_id:
            raise InvalidInput("nobody replaces themself", code="invalid_override")
    elif replaces_user_id is not None:
        raise InvalidInput("only a replacement names who it replaces", code="invalid_override")
    return checked


def add_override(
    session: Session,
    *,
    org_id: str,
    schedule_id: str,
    kind: str,
    user_id: str,
    starts_at: datetime,
    ends_at: datetime,
    actor: Actor,
    now: datetime,
    replaces_user_id: str | None = None,
    note: str = "",
) -> ScheduleOverride:
    """An override of members of the organization for [starts_at, ends_at): ending after it
    starts, at most 90 days long, and not over already."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    schedule = get_schedule(session, org_id=org_id, schedule_id=schedule_id)
    checked = _checked_kind(kind, user_id, replaces_user_id)
    check_period(starts_at, ends_at, longest=MAX_OVERRIDE, now=now, what="an override")
    check_members(
        session,
        org_id=org_id,
        user_ids=[user_id, *([replaces_user_id] if replaces_user_id else [])],
    )
    live = session.scalar(
        select(func.count())
        .select_from(ScheduleOverride)
        .where(ScheduleOverride.schedule_id == schedule_id, ScheduleOverride.ends_at > now)
    )
    if (live or 0) >= MAX_LIVE_OVERRIDES:
        raise Conflict(
            f"a schedule has at most {MAX_LIVE_OVERRIDES} overrides not over yet;"
            " remove some, or change a layer instead",
            code="too_many_overrides",
        )
    row = ScheduleOverride(
        id=new_id("ovr"),
        org_id=org_id,
        schedule_id=schedule_id,
        kind=checked.value,
        user_id=user_id,
        replaces_user_id=replaces_user_id,
        starts_at=starts_at,
        ends_at=ends_at,
        note=" ".join(note.split())[:MAX_NOTE],
        created_by=actor.id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    schedule_changed(session, schedule, now=now, since=starts_at, until=ends_at)
    _record(session, actor, AuditAction.SCHEDULE_OVERRIDE_ADDED, row, now)
    return row


def remove_override(
    session: Session,
    *,
    org_id: str,
    schedule_id: str,
    override_id: str,
    actor: Actor,
    now: datetime,
) -> None:
    require_writable(session, org_id=org_id, actor=actor, now=now)
    schedule = get_schedule(session, org_id=org_id, schedule_id=schedule_id)
    row = session.scalar(
        select(ScheduleOverride).where(
            ScheduleOverride.id == override_id,
            ScheduleOverride.schedule_id == schedule_id,
            ScheduleOverride.org_id == org_id,
        )
    )
    if row is None:
        raise NotFound("override not found", code="override_not_found")
    session.delete(row)
    schedule_changed(session, schedule, now=now, since=row.starts_at, until=row.ends_at)
    _record(session, actor, AuditAction.SCHEDULE_OVERRIDE_REMOVED, row, now)


def _record(
    session: Session, actor: Actor, action: AuditAction, row: ScheduleOverride, now: datetime
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
            "override_id": row.id,
            "kind": row.kind,
            "user_id": row.user_id,
            "replaces_user_id": row.replaces_user_id,
            "starts_at": row.starts_at.isoformat(),
            "ends_at": row.ends_at.isoformat(),
        },
    )
