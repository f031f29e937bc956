"""Heartbeat monitors from the shell: make and change them, pause and resume them, rotate their
keys, read their last pings, and ping one to try it out."""

from __future__ import annotations

from functools import partial
from typing import Any

import typer

from tocsin.accounts import service as accounts
from tocsin.cli.common import CLI_ACTOR, JsonOption, OrgOption, emit, every, friendly_errors
from tocsin.cli.database import open_runtime
from tocsin.cli.root import group
from tocsin.cli.tables import fields, table
from tocsin.heartbeats import commands, pings, queries
from tocsin.heartbeats.models import HeartbeatMonitor, HeartbeatPing, PingKind
from tocsin.heartbeats.schedule import parse_duration
from tocsin.runtime import Runtime

heartbeat_app = group("heartbeat")


def _seconds(text: str | None, option: str) -> int | None:
    """300, 300s, 5m, 2h or 1d, as seconds."""
    return parse_duration(text, option) if text is not None else None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _monitor(runtime: Runtime, row: HeartbeatMonitor) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "endpoint_id": row.endpoint_id,
        "interval_seconds": row.interval_seconds,
        "cron": row.cron,
        "timezone": row.timezone,
        "grace_seconds": row.grace_seconds,
        "max_runtime_seconds": row.max_runtime_seconds,
        "severity": row.severity,
        "key_prefix": row.key_prefix,
        "paused": row.paused,
        "state": row.state,
        "status": queries.status_of(row, runtime.clock.now()),
        "down_reason": row.down_reason,
        "last_ping_at": _iso(row.last_ping_at),
        "last_ping_kind": row.last_ping_kind,
        "next_due_at": _iso(row.next_due_at),
        "alert_at": _iso(row.alert_at),
        "alert_id": row.alert_id,
        "ping_url": queries.ping_url(runtime.settings.public_base_url, row.id),
    }


def _ping(row: HeartbeatPing) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "at": row.at.isoformat(),
        "method": row.method,
        "client_address": row.client_address,
        "user_agent": row.user_agent,
        "body": row.body,
    }


def _with_key(runtime: Runtime, made: commands.MonitorWithKey) -> dict[str, Any]:
    return {**_monitor(runtime, made.monitor), "key": made.key}


def _said_with_key(data: dict[str, Any]) -> str:
    return (
        f"{data['id']}  ping URL {data['ping_url']}\n"
        f"key (shown this once): {data['key']}\n"
        f"try it: curl -fsS '{data['ping_url']}?key={data['key']}'"
    )


@heartbeat_app.command("create")
@friendly_errors
def heartbeat_create(
    name: str,
    org: str = OrgOption,
    endpoint: str = typer.Option(..., "--endpoint", help="The endpoint whose rules page."),
    interval: str | None = typer.Option(None, help="A ping is due this long after the last."),
    cron: str | None = typer.Option(None, help="Or on this cron schedule, e.g. '30 2 * * *'."),
    timezone: str = typer.Option("UTC", "--timezone", help="IANA time zone of --cron."),
    grace: str = typer.Option("5m", help="How late a ping may be before the alert."),
    max_runtime: str | None = typer.Option(None, help="How long a run may take after /start."),
    severity: str = typer.Option("critical", help="critical, major, minor or info."),
    as_json: bool = JsonOption,
) -> None:
    """Create a monitor, e.g. --endpoint ep_... --interval 5m --grace 1m, or --cron '30 2 * * *'
    --timezone Europe/Berlin; its key is printed this once."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        made = commands.create_monitor(
            session,
            org_id=organization.id,
            endpoint_id=endpoint,
            name=name,
            interval_seconds=_seconds(interval, "--interval"),
            cron=cron,
            timezone=timezone,
            grace_seconds=_seconds(grace, "--grace") or 0,
            max_runtime_seconds=_seconds(max_runtime, "--max-runtime"),
            severity=severity,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
            digest_key=runtime.heartbeat_key_digest_key,
        )
        data = _with_key(runtime, made)
    emit(as_json, data, _said_with_key(data))


@heartbeat_app.command("list")
@friendly_errors
def heartbeat_list(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        monitors = every(partial(queries.list_monitors, session, org_id=organization.id))
        rows = [_monitor(runtime, row) for row in monitors]
    columns = ["id", "name", "status", "last_ping_at", "next_due_at"]
    emit(as_json, rows, table(rows, columns, empty="no heartbeats"))


@heartbeat_app.command("show")
@friendly_errors
def heartbeat_show(heartbeat_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """A monitor and its last pings, newest first."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        row = queries.get_monitor(session, org_id=organization.id, heartbeat_id=heartbeat_id)
        data = {
            **_monitor(runtime, row),
            "pings": [_ping(ping) for ping in queries.recent_pings(session, row.id)],
        }
    pings = table(data["pings"], ["at", "kind", "method", "client_address"], empty="no pings")
    emit(as_json, data, f"{fields(data, [key for key in data if key != 'pings'])}\n\n{pings}")


@heartbeat_app.command("update")
@friendly_errors
def heartbeat_update(
    heartbeat_id: str,
    org: str = OrgOption,
    name: str | None = typer.Option(None),
    endpoint: str | None = typer.Option(None, "--endpoint"),
    interval: str | None = typer.Option(None, help="Replaces a cron schedule."),
    cron: str | None = typer.Option(None, help="Replaces an interval."),
    timezone: str | None = typer.Option(None, "--timezone"),
    grace: str | None = typer.Option(None),
    max_runtime: str | None = typer.Option(None),
    no_max_runtime: bool = typer.Option(False, "--no-max-runtime", help="Clear it."),
    severity: str | None = typer.Option(None),
    as_json: bool = JsonOption,
) -> None:
    """Change a monitor; what is left out stays as it is."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        row = commands.update_monitor(
            session,
            org_id=organization.id,
            heartbeat_id=heartbeat_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
            name=name,
            endpoint_id=endpoint,
            interval_seconds=_seconds(interval, "--interval"),
            cron=cron,
            timezone=timezone,
            grace_seconds=_seconds(grace, "--grace"),
            max_runtime_seconds=_seconds(max_runtime, "--max-runtime"),
            clear_max_runtime=no_max_runtime,
            severity=severity,
        )
        data = _monitor(runtime, row)
    emit(as_json, data, f"updated heartbeat {data['id']}: next due {data['next_due_at']}")


@heartbeat_app.command("delete")
@friendly_errors
def heartbeat_delete(heartbeat_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        commands.delete_monitor(
            session,
            org_id=organization.id,
            heartbeat_id=heartbeat_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    emit(as_json, {"id": heartbeat_id, "deleted": True}, f"deleted heartbeat {heartbeat_id}")


@heartbeat_app.command("pause")
@friendly_errors
def heartbeat_pause(heartbeat_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Pause a monitor: it never alerts while paused; its pings are still logged."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        row = commands.pause_monitor(
            session,
            org_id=organization.id,
            heartbeat_id=heartbeat_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = _monitor(runtime, row)
    emit(as_json, data, f"paused heartbeat {data['id']}")


@heartbeat_app.command("resume")
@friendly_errors
def heartbeat_resume(heartbeat_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Resume a monitor: a ping is expected a whole period from now."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        row = commands.resume_monitor(
            session,
            org_id=organization.id,
            heartbeat_id=heartbeat_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = _monitor(runtime, row)
    emit(as_json, data, f"resumed heartbeat {data['id']}: next due {data['next_due_at']}")


@heartbeat_app.command("rotate-key")
@friendly_errors
def heartbeat_rotate_key(
    heartbeat_id: str, org: str = OrgOption, as_json: bool = JsonOption
) -> None:
    """A new ping key, printed this once; the old one stops working at once."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        made = commands.rotate_key(
            session,
            org_id=organization.id,
            heartbeat_id=heartbeat_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
            digest_key=runtime.heartbeat_key_digest_key,
        )
        data = _with_key(runtime, made)
    emit(as_json, data, _said_with_key(data))


@heartbeat_app.command("ping")
@friendly_errors
def heartbeat_ping(
    heartbeat_id: str,
    org: str = OrgOption,
    kind: PingKind = typer.Option(PingKind.SUCCESS, help="success, start or fail."),
    as_json: bool = JsonOption,
) -> None:
    """Ping a monitor as its job would, to try it out (a fail pages, as a job's would)."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        result = pings.ping_as(
            session,
            org_id=organization.id,
            heartbeat_id=heartbeat_id,
            kind=kind,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
            paging=runtime.paging,
        )
    data = {
        "heartbeat_id": result.heartbeat_id,
        "kind": result.kind.value,
        "state": result.state,
        "next_due_at": _iso(result.next_due_at),
        "alert_id": result.alert_id,
    }
    emit(as_json, data, f"{result.kind.value}: heartbeat {result.heartbeat_id} is {result.state}")
