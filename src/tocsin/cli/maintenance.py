"""`tocsin maintenance ...`: maintenance windows and silences from the shell. Alerts a window
covers are recorded and call nobody until it ends (docs/maintenance.md)."""

from __future__ import annotations

import json
from datetime import datetime
from functools import partial
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
from tocsin.http.api.schemas.maintenance import WindowOut
from tocsin.maintenance import commands, matchers, queries
from tocsin.maintenance.windows import parse_duration

maintenance_app = group("maintenance")


def _instant(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CliError(f"{what}: {text!r} is not an ISO 8601 date and time") from exc
    if value.tzinfo is None:
        raise CliError(f"{what}: {text!r} needs an offset, e.g. 2026-01-04T02:00+01:00")
    return value


def _shown(data: dict[str, Any]) -> str:
    occurrence = data["occurrence"]
    when = "no occurrence left"
    if occurrence:
        when = f"{occurrence['starts_at']} to {occurrence['ends_at']}"
    target = f" {data['target_id']}" if data["target_id"] else ""
    match = " ".join(f"{m['name']}{m['op']}{json.dumps(m['value'])}" for m in data["matchers"])
    return (
        f"{data['id']}  {data['state']:<8} {data['scope']}{target}  {when}"
        f"{'  ' + data['rrule'] if data['rrule'] else ''}{'  ' + match if match else ''}"
        f'  "{data["reason"]}" by {data["created_by"]}'
    )


def _out(view: queries.WindowView) -> dict[str, Any]:
    return WindowOut.of(view).model_dump(mode="json")


@maintenance_app.command("create")
@friendly_errors
def maintenance_create(
    org: str = OrgOption,
    reason: str = typer.Option(..., "--reason", help="Why: shown on every alert it mutes."),
    for_: str | None = typer.Option(
        None, "--for", help="Starting now (or at --starts), for 30m, 1h, 2h30m, 1d..."
    ),
    starts: str | None = typer.Option(None, "--starts", help="ISO 8601 with an offset."),
    ends: str | None = typer.Option(None, "--ends", help="ISO 8601 with an offset."),
    rrule: str | None = typer.Option(
        None, "--rrule", help="RFC 5545 rule repeating the start, e.g. FREQ=WEEKLY;BYDAY=SU"
    ),
    tz: str = typer.Option("UTC", "--tz", help="IANA time zone the rule is read in."),
    match: list[str] = typer.Option(
        [], "--match", help="A label matcher: severity=critical, instance=~db.* (repeatable)."
    ),
    scope: str = typer.Option(
        "organization", "--scope", help="organization, project, endpoint or monitor."
    ),
    target: str | None = typer.Option(None, "--target", help="The project, endpoint or monitor."),
    page_after: bool = typer.Option(
        True, "--page-after/--no-page-after", help="Page alerts still open when it ends."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create a window, e.g. --for 1h --reason "Deploy", or --starts 2026-01-04T02:00+01:00
    --for 2h --rrule FREQ=WEEKLY;BYDAY=SU --tz Europe/Berlin."""
    if for_ is not None and ends is not None:
        raise CliError("give --for or --ends, not both")
    if for_ is None and ends is None:
        raise CliError("say how long: --for 1h, or --ends")
    spec = commands.WindowSpec(
        reason=reason,
        scope=scope,
        target_id=target,
        matchers=tuple(matchers.parse_text(text) for text in match),
        starts_at=_instant(starts, "--starts") if starts else None,
        ends_at=_instant(ends, "--ends") if ends else None,
        duration=parse_duration(for_) if for_ is not None else None,
        rrule=rrule,
        timezone=tz,
        page_after=page_after,
    )
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        window = commands.create_window(
            session, org_id=organization.id, spec=spec, actor=CLI_ACTOR, now=now
        )
        data = _out(queries.view(window, now))
    emit(as_json, data, f"created {_shown(data)}")


@maintenance_app.command("list")
@friendly_errors
def maintenance_list(
    org: str = OrgOption,
    state: str | None = typer.Option(None, "--state", help="active, upcoming or past."),
    as_json: bool = JsonOption,
) -> None:
    """The organization's windows (newest first; active and upcoming ones soonest first)."""
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        windows = every(
            partial(queries.list_windows, session, org_id=organization.id, now=now, state=state)
        )
        rows = [_out(view) for view in windows]
    emit(as_json, rows, "\n".join(_shown(row) for row in rows) or "no maintenance windows")


@maintenance_app.command("show")
@friendly_errors
def maintenance_show(window_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        window = queries.get_window(session, org_id=organization.id, window_id=window_id)
        data = _out(queries.view(window, now))
    emit(as_json, data, _shown(data))


@maintenance_app.command("update")
@friendly_errors
def maintenance_update(
    window_id: str,
    org: str = OrgOption,
    reason: str | None = typer.Option(None, "--reason"),
    for_: str | None = typer.Option(None, "--for", help="A new length, from its start."),
    ends: str | None = typer.Option(None, "--ends", help="A new end, ISO 8601 with an offset."),
    as_json: bool = JsonOption,
) -> None:
    """Extend or shorten a window, or say why anew; alerts it muted wait for the new end."""
    if for_ is not None and ends is not None:
        raise CliError("give --for or --ends, not both")
    change = commands.WindowChange(
        reason=reason,
        ends_at=_instant(ends, "--ends") if ends else None,
        duration=parse_duration(for_) if for_ is not None else None,
    )
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        window = commands.update_window(
            session,
            org_id=organization.id,
            window_id=window_id,
            change=change,
            actor=CLI_ACTOR,
            now=now,
        )
        data = _out(queries.view(window, now))
    emit(as_json, data, f"updated {_shown(data)}")


@maintenance_app.command("end")
@friendly_errors
def maintenance_end(window_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """End the occurrence in force now; alerts it muted page now unless it says not to."""
    runtime = open_runtime()
    now = runtime.clock.now()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        window = commands.end_window(
            session, org_id=organization.id, window_id=window_id, actor=CLI_ACTOR, now=now
        )
        data = _out(queries.view(window, now))
    emit(as_json, data, f"ended {_shown(data)}")


@maintenance_app.command("delete")
@friendly_errors
def maintenance_delete(window_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Delete a window; alerts it muted that are still open page now."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        commands.delete_window(
            session,
            org_id=organization.id,
            window_id=window_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    emit(as_json, {"deleted": window_id}, f"deleted {window_id}")
