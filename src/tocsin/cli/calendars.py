"""Calendars from the shell: iCal feeds of shifts at secret addresses (`calendar token ...`)
and external calendars a schedule layer reads (`calendar add|list|remove|refresh`)."""

from __future__ import annotations

import asyncio
from typing import Any

import typer

from tocsin.accounts import service as accounts
from tocsin.cli.common import CLI_ACTOR, JsonOption, OrgOption, emit, friendly_errors
from tocsin.cli.database import open_runtime
from tocsin.cli.root import group
from tocsin.cli.tables import table
from tocsin.engine.calendar_refresh import refresh_calendars
from tocsin.oncall import calendar_feeds, calendar_tokens
from tocsin.oncall.models import CalendarFeed, CalendarToken, CalendarTokenKind
from tocsin.telephony.hosts import HostPolicy, looked_up_first

calendar_app = group("calendar")
token_app = typer.Typer(no_args_is_help=True, help="Secret addresses of iCal feeds of shifts.")
calendar_app.add_typer(token_app, name="token")


def _token_row(row: CalendarToken) -> dict[str, object]:
    return {
        "id": row.id,
        "kind": row.kind,
        "subject_id": row.subject_id,
        "created_at": row.created_at,
        "revoked_at": row.revoked_at,
    }


def _feed_row(feed: CalendarFeed) -> dict[str, object]:
    return {
        "id": feed.id,
        "name": feed.name,
        "url": feed.url,
        "events": len(feed.events or []),
        "last_good_at": feed.last_good_at,
        "last_error": feed.last_error,
        "next_fetch_at": feed.next_fetch_at,
    }


@token_app.command("create")
@friendly_errors
def token_create(
    org: str = OrgOption,
    member: str | None = typer.Option(None, help="A member's id or e-mail: their shifts."),
    schedule: str | None = typer.Option(None, help="A schedule's id: its shifts."),
    as_json: bool = JsonOption,
) -> None:
    """Make a feed's secret address; it is printed this once and never again."""
    if (member is None) == (schedule is None):
        raise typer.BadParameter("give one of --member or --schedule")
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        subject = schedule
        if member is not None:
            subject = (
                member if "@" not in member else accounts.find_user_by_email(session, member).id
            )
        made = calendar_tokens.create_token(
            session,
            org_id=organization.id,
            kind=CalendarTokenKind.PERSON if member else CalendarTokenKind.SCHEDULE,
            subject_id=subject,
            actor=CLI_ACTOR,
            key=runtime.calendar_token_key,
            now=runtime.clock.now(),
        )
        data = {**_token_row(made.row), "url": made.url(runtime.settings.public_base_url)}
    emit(as_json, data, f"{data['id']}: {data['url']}\n(shown once: keep it now)")


@token_app.command("list")
@friendly_errors
def token_list(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Every feed address of the organization, revoked ones too (never the address itself)."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        rows = [
            _token_row(row)
            for row in calendar_tokens.visible_tokens(
                session, org_id=organization.id, actor=CLI_ACTOR, everyone=True
            )
        ]
    columns = ["id", "kind", "subject_id", "revoked_at"]
    emit(as_json, rows, table(rows, columns, empty="no calendar feeds"))


@token_app.command("revoke")
@friendly_errors
def token_revoke(token_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """The feed's address answers 404 from now on."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        row = calendar_tokens.revoke_token(
            session,
            org_id=organization.id,
            token_id=token_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
            everyone=True,
        )
        data = _token_row(row)
    emit(as_json, data, f"revoked {token_id}")


@calendar_app.command("add")
@friendly_errors
def calendar_add(name: str, url: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """An external iCal calendar (public https) for schedule layers to read."""
    runtime = open_runtime()

    def add(hosts: HostPolicy) -> dict[str, Any]:
        with runtime.database.write() as session:
            organization = accounts.get_organization(session, org)
            feed = calendar_feeds.add_feed(
                session,
                org_id=organization.id,
                name=name,
                url=url,
                policy=hosts,
                actor=CLI_ACTOR,
                now=runtime.clock.now(),
            )
            return _feed_row(feed)

    data = looked_up_first(runtime.provider_hosts, add)
    emit(as_json, data, f"added calendar {data['name']} ({data['id']}); fetched within a minute")


@calendar_app.command("list")
@friendly_errors
def calendar_list(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Every external calendar, with its last good copy and last error."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        rows = [
            _feed_row(feed) for feed in calendar_feeds.list_feeds(session, org_id=organization.id)
        ]
    columns = ["id", "name", "events", "last_error"]
    emit(as_json, rows, table(rows, columns, empty="no calendars"))


@calendar_app.command("remove")
@friendly_errors
def calendar_remove(calendar_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Remove a calendar no schedule layer reads."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        calendar_feeds.remove_feed(
            session,
            org_id=organization.id,
            feed_id=calendar_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    emit(as_json, {"id": calendar_id, "removed": True}, f"removed {calendar_id}")


@calendar_app.command("refresh")
@friendly_errors
def calendar_refresh(calendar_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Fetch the calendar now, from this shell, and say how it went."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        org_id = accounts.get_organization(session, org).id
        calendar_feeds.refresh_soon(
            session, org_id=org_id, feed_id=calendar_id, now=runtime.clock.now()
        )
    asyncio.run(
        refresh_calendars(runtime.database, policy=runtime.provider_hosts, now=runtime.clock.now())
    )
    with runtime.database.read() as session:
        data = _feed_row(calendar_feeds.get_feed(session, org_id=org_id, feed_id=calendar_id))
    human = (
        f"{data['name']}: {data['events']} events"
        if not data["last_error"]
        else f"{data['name']}: failed: {data['last_error']}"
    )
    emit(as_json, data, human)
