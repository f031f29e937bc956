"""Rotations, schedules and overrides written through the on-call commands, as an organization's
owner would make them, for tests whose subject is not the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from tests import seeded
from tocsin.accounts.models import User
from tocsin.core.actors import Actor
from tocsin.core.ids import new_id
from tocsin.endpoints.models import Endpoint
from tocsin.oncall import overrides, rotations, schedules, temporaries
from tocsin.oncall.models import Project, ProjectMember
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


def temporary(runtime: Runtime, org_id: str, schedule_id: str, *, days: float = 1) -> str:
    """A temporary schedule from now on, with nobody's shifts in it."""
    begins = runtime.clock.now()
    with runtime.database.write() as session:
        row = temporaries.add_temporary(
            session,
            org_id=org_id,
            schedule_id=schedule_id,
            starts_at=begins,
            ends_at=begins + timedelta(days=days),
            shifts=[],
            actor=Actor("user", "usr_owner"),
            now=runtime.clock.now(),
        )
        return row.id


def project(
    runtime: Runtime,
    org_id: str,
    name: str = "Platform",
    *members: str,
    timezone: str | None = None,
) -> str:
    """A project of these members, in this order."""
    now = runtime.clock.now()
    project_id = new_id("prj")
    with runtime.database.write() as session:
        session.add(
            Project(
                id=project_id,
                org_id=org_id,
                name=name,
                timezone=timezone,
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        for position, user_id in enumerate(members):
            session.add(
                ProjectMember(
                    project_id=project_id, user_id=user_id, position=position, created_at=now
                )
            )
    return project_id


def attach_endpoint(runtime: Runtime, endpoint_id: str, project_id: str) -> None:
    with runtime.database.write() as session:
        session.execute(
            update(Endpoint).where(Endpoint.id == endpoint_id).values(project_id=project_id)
        )
