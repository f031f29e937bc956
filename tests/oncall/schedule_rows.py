"""Rotations, schedules and overrides written through the on-call commands, as an organization's
owner would make them, for tests whose subject is not the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from tests import seeded
from tocsin.accounts.models import User
from tocsin.core.actors import Actor
from tocsin.oncall import overrides, rotations, schedules
from tocsin.oncall.rotations import Shape
from tocsin.runtime import Runtime


def named_member(runtime: Runtime, org_id: str, name: str) -> str:
    user_id = seeded.member(runtime, org_id).user_id
    with runtime.database.write() as session:
        session.execute(update(User).where(User.id == user_id).values(display_name=name))
    return user_id


def rotation(
    runtime: Runtime,
    org_id: str,
    *participants: str,
    unit: str = "weeks",
    count: int = 1,
    handoff: str = "09:00",
    timezone: str = "Europe/London",
    start: datetime | None = None,
    name: str = "Primary",
) -> str:
    with runtime.database.write() as session:
        row = rotations.create_rotation(
            session,
            org_id=org_id,
            name=name,
            shape=Shape(
                unit=unit,
                count=count,
                handoff_time=handoff,
                timezone=timezone,
                start_at=start or runtime.clock.now() - timedelta(hours=1),
            ),
            participants=participants,
            project_id=None,
            actor=Actor("user", "usr_owner"),
            now=runtime.clock.now(),
        )
        return row.id


def schedule(
    runtime: Runtime,
    org_id: str,
    *layers: dict[str, Any],
    name: str = "Platform primary",
    timezone: str = "Europe/London",
    project_id: str | None = None,
) -> str:
    with runtime.database.write() as session:
        row = schedules.create_schedule(
            session,
            org_id=org_id,
            name=name,
            timezone=timezone,
            layers=list(layers),
            project_id=project_id,
            actor=Actor("user", "usr_owner"),
            now=runtime.clock.now(),
        )
        return row.id


def override(
    runtime: Runtime,
    org_id: str,
    schedule_id: str,
    kind: str,
    user_id: str,
    *,
    hours: float = 4,
    replaces: str | None = None,
    starts_at: datetime | None = None,
) -> str:
    begins = starts_at or runtime.clock.now()
    with runtime.database.write() as session:
        row = overrides.add_override(
            session,
            org_id=org_id,
            schedule_id=schedule_id,
            kind=kind,
            user_id=user_id,
            replaces_user_id=replaces,
            starts_at=begins,
            ends_at=begins + timedelta(hours=hours),
            actor=Actor("user", "usr_owner"),
            now=runtime.clock.now(),
        )
        return row.id
