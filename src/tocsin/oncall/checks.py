"""What rotations, schedules, overrides and temporary schedules must pass before they are saved:
members, projects, rotations and calendars of this organization, time zones that exist, and
periods that make sense."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.core.errors import InvalidInput, NotFound
from tocsin.oncall.layers import LayerDoc, dump_layers, parse_layers
from tocsin.oncall.lookups import check_targets
from tocsin.oncall.models import CalendarFeed, Project, Rotation
from tocsin.policy.quota import check_timezone

# An override longer than this is a new rotation, not a swap; a temporary schedule longer than
# this is a new schedule.
MAX_OVERRIDE = timedelta(days=90)
MAX_TEMPORARY = timedelta(days=90)
MAX_TEMPORARY_SHIFTS = 200
MAX_PARTICIPANTS = 50


def checked_timezone(name: str) -> str:
    return check_timezone(name)


def check_members(session: Session, *, org_id: str, user_ids: Iterable[str]) -> None:
    """NotFound (`member_not_found`) for the first id that is not a member of the organization."""
    check_targets(session, org_id=org_id, user_ids=user_ids)


def check_project(session: Session, *, org_id: str, project_id: str | None) -> None:
    if project_id is None:
        return
    found = session.scalar(
        select(Project.id).where(Project.id == project_id, Project.org_id == org_id)
    )
    if found is None:
        raise NotFound(f"project not found: {project_id}", code="project_not_found")


def checked_participants(
    session: Session, *, org_id: str, participants: Sequence[str]
) -> list[str]:
    """The participants in order (one may take several turns); members of the organization."""
    if not 1 <= len(participants) <= MAX_PARTICIPANTS:
        raise InvalidInput(
            f"a rotation has 1 to {MAX_PARTICIPANTS} participants", code="invalid_participants"
        )
    check_members(session, org_id=org_id, user_ids=participants)
    return list(participants)


def checked_layers(
    session: Session, *, org_id: str, layers: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The layers to store; InvalidInput for a malformed one, NotFound for a rotation, member or
    calendar that is not this organization's."""
    parsed = parse_layers(layers)
    _check_sources(session, org_id=org_id, layers=parsed)
    return dump_layers(parsed)


def _check_sources(session: Session, *, org_id: str, layers: Sequence[LayerDoc]) -> None:
    check_members(
        session, org_id=org_id, user_ids=[u for layer in layers for u in layer.user_ids or ()]
    )
    for wanted, column, org_column, what in (
        (
            {layer.rotation_id for layer in layers} - {None},
            Rotation.id,
            Rotation.org_id,
            "rotation",
        ),
        (
            {layer.calendar_id for layer in layers} - {None},
            CalendarFeed.id,
            CalendarFeed.org_id,
            "calendar",
        ),
    ):
        if not wanted:
            continue
        found = set(session.scalars(select(column).where(org_column == org_id, column.in_(wanted))))
        missing = sorted(str(item) for item in wanted - found)
        if missing:
            raise NotFound(f"{what} not found: {missing[0]}", code=f"{what}_not_found")


def check_period(
    starts_at: datetime, ends_at: datetime, *, longest: timedelta, now: datetime, what: str
) -> None:
    """A period that ends after it starts, lasts at most `longest` and is not over already."""
    if ends_at <= starts_at:
        raise InvalidInput(f"{what} must end after it starts", code="invalid_period")
    if ends_at - starts_at > longest:
        raise InvalidInput(f"{what} lasts at most {longest.days} days", code="period_too_long")
    if ends_at <= now:
        raise InvalidInput(f"{what} would be over already", code="period_in_past")
