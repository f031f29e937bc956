"""Schedules for the calendar, handoff and gap tests, made by the schedules lane's commands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tocsin.cli.common import CLI_ACTOR
from tocsin.oncall import overrides, schedules
from tocsin.runtime import Runtime


def schedule(
    runtime: Runtime, org_id: str, *layers: dict[str, Any], name: str = "Platform primary"
) -> str:
    with runtime.database.write() as session:
        row = schedules.create_schedule(
            session,
            org_id=org_id,
            name=name,
            timezone="Europe/London",
            layers=list(layers),
            project_id=None,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        return row.id


def working_hours(user_id: str, *, name: str = "Days") -> dict[str, Any]:
    """`user_id` on call on weekdays, 09:00 to 17:00 London time."""
    return {
        "name": name,
        "user_ids": [user_id],
        "restrictions": [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}],
    }


def always(user_id: str, *, name: str = "Always") -> dict[str, Any]:
    return {"name": name, "user_ids": [user_id]}


def replace(
    runtime: Runtime,
    org_id: str,
    schedule_id: str,
    *,
    user_id: str,
    replaces: str,
    starts_at: datetime,
    ends_at: datetime,
) -> str:
    with runtime.database.write() as session:
        row = overrides.add_override(
            session,
            org_id=org_id,
            schedule_id=schedule_id,
            kind="replace",
            user_id=user_id,
            replaces_user_id=replaces,
            starts_at=starts_at,
            ends_at=ends_at,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        return row.id
