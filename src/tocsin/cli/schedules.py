"""Rotations and schedules from the shell: make and change them, set a schedule's layers, add and
remove overrides and temporary schedules, and ask who is on call and their next shifts."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import typer

from tocsin.accounts import service as accounts
from tocsin.cli.common import (
    CLI_ACTOR,
    CliError,
    JsonOption,
    OrgOption,
    emit,
    every,
    friendly_errors,
)
from tocsin.cli.database import open_runtime
from tocsin.cli.root import group
from tocsin.cli.tables import table
from tocsin.oncall import overrides, rotations, schedules, temporaries, who
from tocsin.oncall.evaluation import OnCallNow
from tocsin.oncall.models import Rotation, Schedule, ScheduleOverride, ScheduleTemporary
from tocsin.oncall.rotations import Shape
from tocsin.oncall.temporaries import TemporaryShift

rotation_app = group("rotation")
schedule_app = group("schedule")
override_app = typer.Typer(no_args_is_help=True, help="Overrides: replace, add or remove someone.")
temporary_app = typer.Typer(no_args_is_help=True, help="Temporary schedules (holidays).")
schedule_app.add_typer(override_app, name="override")
schedule_app.add_typer(temporary_app, name="temporary")


def _instant(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CliError(f"{what}: {text!r} is not an ISO 8601 date and time") from exc
    if value.tzinfo is None:
        raise CliError(f"{what}: {text!r} needs an offset, e.g. 2026-01-05T09:00+00:00")
    return value


def _people(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _rotation(row: Rotation) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "unit": row.unit,
        "count": row.count,
        "handoff_time": row.handoff_time,
        "timezone": row.timezone,
        "start_at": row.start_at.isoformat(),
        "participants": list(row.participants),
        "project_id": row.project_id,
    }


def _schedule(row: Schedule) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "timezone": row.timezone,
        "project_id": row.project_id,
        "layers": row.layers,
        "gap_starts_at": row.gap_starts_at.isoformat() if row.gap_starts_at else None,
    }


def _override(row: ScheduleOverride) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "user_id": row.user_id,
        "replaces_user_id": row.replaces_user_id,
        "starts_at": row.starts_at.isoformat(),
        "ends_at": row.ends_at.isoformat(),
        "note": row.note,
    }


def _temporary(row: ScheduleTemporary) -> dict[str, Any]:
    return {
        "id": row.id,
        "starts_at": row.starts_at.isoformat(),
        "ends_at": row.ends_at.isoformat(),
        "shifts": row.shifts,
        "note": row.note,
    }


# Rotations ---------------------------------------------------------------------------------------


@rotation_app.command("create")
@friendly_errors
def rotation_create(
    name: str,
    org: str = OrgOption,
    participants: str = typer.Option(..., "--participants", help="Member ids, in turn order."),
    unit: str = typer.Option("weeks", help="hours, days or weeks."),
    count: int = typer.Option(1, help="How many units a shift lasts."),
    handoff: str = typer.Option("09:00", help="Local handoff time, HH:MM."),
    timezone: str = typer.Option(..., "--timezone", help="IANA time zone, e.g. Europe/London."),
    start: str = typer.Option(..., help="First shift's start, ISO 8601 with an offset."),
    as_json: bool = JsonOption,
) -> None:
    """Create a rotation, e.g. --participants usr_a,usr_b --timezone Europe/London
    --start 2026-01-05T09:00+00:00."""
    shape = Shape(unit, count, handoff, timezone, _instant(start, "--start"))
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        row = rotations.create_rotation(
            session,
            org_id=organization.id,
            name=name,
            shape=shape,
            participants=_people(participants),
            project_id=None,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = _rotation(row)
    emit(as_json, data, f"created rotation {data['id']}")


@rotation_app.command("list")
@friendly_errors
def rotation_list(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        found = every(partial(rotations.list_rotations, session, org_id=organization.id))
        rows = [_rotation(row) for row in found]
    columns = ["id", "name", "count", "unit", "participants", "timezone"]
    emit(as_json, rows, table(rows, columns, empty="no rotations"))


@rotation_app.command("show")
@friendly_errors
def rotation_show(rotation_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        data = _rotation(
            rotations.get_rotation(session, org_id=organization.id, rotation_id=rotation_id)
        )
    emit(as_json, data, json.dumps(data, indent=2))


@rotation_app.command("update")
@friendly_errors
def rotation_update(
    rotation_id: str,
    org: str = OrgOption,
    name: str | None = typer.Option(None),
    participants: str | None = typer.Option(
        None, help="The new turn order; the shift in progress is kept."
    ),
    unit: str | None = typer.Option(None),
    count: int | None = typer.Option(None),
    handoff: str | None = typer.Option(None),
    timezone: str | None = typer.Option(None, "--timezone"),
    start: str | None = typer.Option(None),
    as_json: bool = JsonOption,
) -> None:
    """Change a rotation; what is left out stays as it is."""
    start_at = _instant(start, "--start") if start else None
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        row = rotations.update_rotation(
            session,
            org_id=organization.id,
            rotation_id=rotation_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
            name=name,
            unit=unit,
            count=count,
            handoff_time=handoff,
            timezone=timezone,
            start_at=start_at,
            participants=_people(participants) if participants is not None else None,
        )
        data = _rotation(row)
    emit(as_json, data, f"updated rotation {data['id']}")


@rotation_app.command("delete")
@friendly_errors
def rotation_delete(rotation_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Delete a rotation no schedule uses."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        rotations.delete_rotation(
            session,
            org_id=organization.id,
            rotation_id=rotation_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    emit(as_json, {"id": rotation_id, "deleted": True}, f"deleted rotation {rotation_id}")


# Schedules ---------------------------------------------------------------------------------------


def _layer(text: str) -> dict[str, Any]:
    """NAME=rotation:ID, NAME=users:ID[,ID...] or NAME=calendar:ID."""
    name, _, source = text.partition("=")
    kind, _, value = source.partition(":")
    if not name.strip() or not value.strip():
        raise CliError(
            f"--layer {text!r}: use NAME=rotation:ID, NAME=users:ID,ID or NAME=calendar:ID"
        )
    if kind == "rotation":
        return {"name": name, "rotation_id": value.strip()}
    if kind == "users":
        return {"name": name, "user_ids": _people(value)}
    if kind == "calendar":
        return {"name": name, "calendar_id": value.strip()}
    raise CliError(f"--layer {text!r}: the source is rotation, users or calendar")


def _layers_file(path: Path) -> list[dict[str, Any]]:
    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    try:
        layers = json.loads(text)
    except ValueError as exc:
        raise CliError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(layers, list):
        raise CliError(f"{path} must hold a JSON list of layers")
    return layers


@schedule_app.command("create")
@friendly_errors
def schedule_create(
    name: str,
    org: str = OrgOption,
    timezone: str = typer.Option(..., "--timezone", help="IANA time zone of restrictions."),
    layer: list[str] = typer.Option(
        [], help="NAME=rotation:ID, NAME=users:ID,ID or NAME=calendar:ID; lowest first."
    ),
    project: str | None = typer.Option(None, help="The project it belongs to."),
    as_json: bool = JsonOption,
) -> None:
    """Create a schedule, e.g. --layer Primary=rotation:rot_x --layer Office=users:usr_a."""
    layers = [_layer(item) for item in layer]
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        row = schedules.create_schedule(
            session,
            org_id=organization.id,
            name=name,
            timezone=timezone,
            layers=layers,
            project_id=project,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = _schedule(row)
    emit(as_json, data, f"created schedule {data['id']}")


@schedule_app.command("list")
@friendly_errors
def schedule_list(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        listed = every(partial(schedules.list_schedules, session, org_id=organization.id))
        rows = [_schedule(row) for row in listed]
    shown = [{**r, "layers": len(r["layers"])} for r in rows]
    columns = ["id", "name", "layers", "timezone"]
    emit(as_json, rows, table(shown, columns, empty="no schedules"))


@schedule_app.command("show")
@friendly_errors
def schedule_show(schedule_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        data = _schedule(
            schedules.get_schedule(session, org_id=organization.id, schedule_id=schedule_id)
        )
    emit(as_json, data, json.dumps(data, indent=2))


@schedule_app.command("layers")
@friendly_errors
def schedule_layers(
    schedule_id: str,
    org: str = OrgOption,
    file: Path = typer.Option(
        ..., "--file", help="A JSON list of layers (with restrictions), or - for stdin."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Replace a schedule's layers, lowest first."""
    layers = _layers_file(file)
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        row = schedules.update_schedule(
            session,
            org_id=organization.id,
            schedule_id=schedule_id,
            layers=layers,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = _schedule(row)
    emit(as_json, data, f"schedule {schedule_id} has {len(data['layers'])} layers")


@schedule_app.command("update")
@friendly_errors
def schedule_update(
    schedule_id: str,
    org: str = OrgOption,
    name: str | None = typer.Option(None, help="New name."),
    timezone: str | None = typer.Option(None, metavar="TZ", help="IANA time zone of its layers."),
    project: str | None = typer.Option(
        None, metavar="PROJECT_ID", help="Move it into this project; '' takes it out of any."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Rename a schedule, move its time zone or its project (its layers: `schedule layers`)."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        row = schedules.update_schedule(
            session,
            org_id=organization.id,
            schedule_id=schedule_id,
            name=name,
            timezone=timezone,
            project_id=project or None,
            clear_project=project == "",
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = _schedule(row)
    emit(as_json, data, f"updated schedule {schedule_id}")


@schedule_app.command("delete")
@friendly_errors
def schedule_delete(schedule_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Delete a schedule no endpoint or escalation policy pages."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        schedules.delete_schedule(
            session,
            org_id=organization.id,
            schedule_id=schedule_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    emit(as_json, {"id": schedule_id, "deleted": True}, f"deleted schedule {schedule_id}")


def _on_call(now: OnCallNow, at: datetime) -> dict[str, Any]:
    return {
        "schedule_id": now.schedule_id,
        "at": at.isoformat(),
        "user_ids": now.user_ids,
        "names": [now.names.get(user_id, user_id) for user_id in now.user_ids],
        "description": now.describe(),
    }


@schedule_app.command("oncall")
@friendly_errors
def schedule_oncall(
    schedule_id: str,
    org: str = OrgOption,
    at: str | None = typer.Option(None, help="ISO 8601 instant; now when left out."),
    as_json: bool = JsonOption,
) -> None:
    """Who is on call, and why."""
    runtime = open_runtime()
    instant = _instant(at, "--at") if at else runtime.clock.now()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        now = who.on_call_now(session, org_id=organization.id, schedule_id=schedule_id, at=instant)
        data = _on_call(now, instant)
    emit(as_json, data, data["description"])


@schedule_app.command("shifts")
@friendly_errors
def schedule_shifts(
    schedule_id: str,
    org: str = OrgOption,
    next_count: int = typer.Option(10, "--next", help="How many shifts, from the one in progress."),
    as_json: bool = JsonOption,
) -> None:
    """The shift in progress and the next ones."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        found = who.schedule_shifts(
            session,
            org_id=organization.id,
            schedule_id=schedule_id,
            window=None,
            now=runtime.clock.now(),
            count=next_count,
        )
    rows = [
        {
            "user_id": shift.user_id,
            "name": found.names.get(shift.user_id, shift.user_id),
            "starts_at": shift.starts_at.isoformat(),
            "ends_at": shift.ends_at.isoformat(),
        }
        for _, shift in found.items
    ]
    lines = [f"{r['starts_at']} .. {r['ends_at']}  {r['name']}" for r in rows]
    emit(as_json, rows, "\n".join(lines) or "nobody on call in the next 62 days")


# Overrides ---------------------------------------------------------------------------------------


@override_app.command("add")
@friendly_errors
def override_add(
    schedule_id: str,
    org: str = OrgOption,
    kind: str = typer.Option(..., help="replace, add or remove."),
    user: str = typer.Option(..., help="Who takes over, is added or is removed."),
    replaces: str | None = typer.Option(None, help="replace: who is replaced."),
    starts: str | None = typer.Option(None, "--from", help="ISO 8601; now when left out."),
    until: str = typer.Option(..., help="ISO 8601 end."),
    note: str = typer.Option("", help="Why, for the team."),
    as_json: bool = JsonOption,
) -> None:
    """Override a schedule for a period, e.g. --kind replace --user usr_ben --replaces usr_ana."""
    runtime = open_runtime()
    starts_at = _instant(starts, "--from") if starts else runtime.clock.now()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        row = overrides.add_override(
            session,
            org_id=organization.id,
            schedule_id=schedule_id,
            kind=kind,
            user_id=user,
            replaces_user_id=replaces,
            starts_at=starts_at,
            ends_at=_instant(until, "--until"),
            note=note,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = _override(row)
    emit(as_json, data, f"added override {data['id']}")


@override_app.command("list")
@friendly_errors
def override_list(schedule_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """The overrides not over yet."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        rows = [
            _override(row)
            for row in overrides.list_overrides(
                session,
                org_id=organization.id,
                schedule_id=schedule_id,
                ending_after=runtime.clock.now(),
            )
        ]
    columns = ["id", "kind", "user_id", "starts_at", "ends_at"]
    emit(as_json, rows, table(rows, columns, empty="no overrides"))


@override_app.command("remove")
@friendly_errors
def override_remove(
    schedule_id: str, override_id: str, org: str = OrgOption, as_json: bool = JsonOption
) -> None:
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        overrides.remove_override(
            session,
            org_id=organization.id,
            schedule_id=schedule_id,
            override_id=override_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    emit(as_json, {"id": override_id, "removed": True}, f"removed override {override_id}")


# Temporary schedules -----------------------------------------------------------------------------


def _temporary_shift(text: str) -> TemporaryShift:
    """USER@FROM/UNTIL."""
    user, _, period = text.partition("@")
    starts, _, ends = period.partition("/")
    if not user or not starts or not ends:
        raise CliError(f"--shift {text!r}: use USER@FROM/UNTIL (ISO 8601 with offsets)")
    return TemporaryShift(user, _instant(starts, "--shift"), _instant(ends, "--shift"))


@temporary_app.command("add")
@friendly_errors
def temporary_add(
    schedule_id: str,
    org: str = OrgOption,
    starts: str = typer.Option(..., "--from", help="ISO 8601 start of the period."),
    until: str = typer.Option(..., help="ISO 8601 end of the period."),
    shift: list[str] = typer.Option([], help="USER@FROM/UNTIL; repeat. Outside them, nobody."),
    note: str = typer.Option(""),
    as_json: bool = JsonOption,
) -> None:
    """A temporary schedule: for the period, these shifts replace every layer."""
    shifts = [_temporary_shift(item) for item in shift]
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        row = temporaries.add_temporary(
            session,
            org_id=organization.id,
            schedule_id=schedule_id,
            starts_at=_instant(starts, "--from"),
            ends_at=_instant(until, "--until"),
            shifts=shifts,
            note=note,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = _temporary(row)
    emit(as_json, data, f"added temporary schedule {data['id']}")


@temporary_app.command("list")
@friendly_errors
def temporary_list(schedule_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        rows = [
            _temporary(row)
            for row in temporaries.list_temporaries(
                session,
                org_id=organization.id,
                schedule_id=schedule_id,
                ending_after=runtime.clock.now(),
            )
        ]
    shown = [{**r, "shifts": len(r["shifts"])} for r in rows]
    columns = ["id", "starts_at", "ends_at", "shifts"]
    emit(as_json, rows, table(shown, columns, empty="no temporary schedules"))


@temporary_app.command("remove")
@friendly_errors
def temporary_remove(
    schedule_id: str, temporary_id: str, org: str = OrgOption, as_json: bool = JsonOption
) -> None:
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        temporaries.remove_temporary(
            session,
            org_id=organization.id,
            schedule_id=schedule_id,
            temporary_id=temporary_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    emit(
        as_json,
        {"id": temporary_id, "removed": True},
        f"removed temporary schedule {temporary_id}",
    )
