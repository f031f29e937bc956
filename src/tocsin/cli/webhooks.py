"""Outgoing webhooks from the shell: `webhook create|list|show|update|delete|rotate-secret|
test|deliveries|redeliver`, each calling the same command as the API."""

from __future__ import annotations

from typing import Any

import typer

from tocsin.accounts import service as accounts
from tocsin.cli.common import CLI_ACTOR, JsonOption, OrgOption, emit, friendly_errors
from tocsin.cli.database import open_runtime
from tocsin.cli.root import group
from tocsin.cli.tables import table
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.outgoing import commands, queries
from tocsin.outgoing.commands import KEEP, Keep
from tocsin.outgoing.models import AlertEvent, WebhookDelivery, WebhookSubscription
from tocsin.outgoing.urls import vet

webhook_app = group("webhook")

EVENTS = ", ".join(event.value for event in AlertEvent)


def _row(subscription: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "name": subscription.name,
        "url": subscription.url,
        "events": subscription.events,
        "endpoint_id": subscription.endpoint_id,
        "project_id": subscription.project_id,
        "enabled": subscription.enabled,
        "disabled_reason": subscription.disabled_reason,
        "failing_since": subscription.failing_since,
        "last_delivered_at": subscription.last_delivered_at,
        "created_at": subscription.created_at,
    }


def _delivery_row(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "alert_id": delivery.alert_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "next_attempt_at": delivery.next_attempt_at,
        "attempt_log": delivery.attempt_log,
        "created_at": delivery.created_at,
    }


def _line(row: dict[str, Any]) -> str:
    state = "enabled" if row["enabled"] else f"disabled ({row['disabled_reason'] or 'by a person'})"
    return f"{row['id']}  {row['name']}  {row['url']}  [{', '.join(row['events'])}]  {state}"


@webhook_app.command("create")
@friendly_errors
def webhook_create(
    name: str,
    url: str,
    event: list[str] = typer.Option(..., help=f"An event to send ({EVENTS}); repeat."),
    endpoint: str | None = typer.Option(None, help="Only this endpoint's alerts."),
    project: str | None = typer.Option(None, help="Only this project's alerts."),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Subscribe a public https URL to alert events; the signing secret is printed once."""
    runtime = open_runtime()
    vetted = vet(runtime.webhook_hosts, url)  # looked up before the transaction
    with runtime.database.write() as session:
        made = commands.create_subscription(
            session,
            org_id=accounts.get_organization(session, org).id,
            name=name,
            url=vetted,
            events=event,
            endpoint_id=endpoint,
            project_id=project,
            box=runtime.webhook_box,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = {**_row(made.subscription), "secret": made.secret}
    emit(as_json, data, f"{_line(data)}\nsecret: {made.secret}\n(shown once: keep it now)")


@webhook_app.command("list")
@friendly_errors
def webhook_list(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Every webhook of the organization."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        rows = [_row(row) for row in queries.list_subscriptions(session, org_id=organization.id)]
    columns = ["id", "name", "url", "events", "enabled", "disabled_reason"]
    emit(as_json, rows, table(rows, columns, empty="no webhooks"))


@webhook_app.command("show")
@friendly_errors
def webhook_show(webhook_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        data = _row(
            queries.get_subscription(session, org_id=organization.id, webhook_id=webhook_id)
        )
    emit(as_json, data, _line(data))


@webhook_app.command("update")
@friendly_errors
def webhook_update(
    webhook_id: str,
    name: str | None = typer.Option(None, help="A new name."),
    url: str | None = typer.Option(None, help="A new URL."),
    event: list[str] = typer.Option([], help="The events to send from now on; repeat."),
    endpoint: str | None = typer.Option(None, help="Only this endpoint's alerts."),
    project: str | None = typer.Option(None, help="Only this project's alerts."),
    all_alerts: bool = typer.Option(False, "--all-alerts", help="Clear both filters."),
    enabled: bool | None = typer.Option(None, "--enable/--disable", help="Start or stop it."),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """Change what is given; the rest stays."""
    if all_alerts and (endpoint or project):
        raise typer.BadParameter("--all-alerts clears the filters; give it alone")
    cleared: str | Keep | None = None if all_alerts else KEEP
    runtime = open_runtime()
    vetted = KEEP if url is None else vet(runtime.webhook_hosts, url)
    with runtime.database.write() as session:
        subscription = commands.update_subscription(
            session,
            org_id=accounts.get_organization(session, org).id,
            webhook_id=webhook_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
            name=KEEP if name is None else name,
            url=vetted,
            events=event or KEEP,
            endpoint_id=endpoint or cleared,
            project_id=project or cleared,
            enabled=KEEP if enabled is None else enabled,
        )
        data = _row(subscription)
    emit(as_json, data, _line(data))


@webhook_app.command("delete")
@friendly_errors
def webhook_delete(webhook_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Delete it, with its delivery log."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        commands.delete_subscription(
            session,
            org_id=accounts.get_organization(session, org).id,
            webhook_id=webhook_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    emit(as_json, {"id": webhook_id, "deleted": True}, f"deleted {webhook_id}")


@webhook_app.command("rotate-secret")
@friendly_errors
def webhook_rotate(webhook_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """A new signing secret, printed once; the old one signs too for 24 hours."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        made = commands.rotate_secret(
            session,
            org_id=accounts.get_organization(session, org).id,
            webhook_id=webhook_id,
            box=runtime.webhook_box,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = {**_row(made.subscription), "secret": made.secret}
    emit(as_json, data, f"secret: {made.secret}\n(shown once; the old one also signs for 24 h)")


@webhook_app.command("test")
@friendly_errors
def webhook_test(webhook_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Queue a webhook.test event; the worker sends it within seconds."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        delivery = commands.send_test(
            session,
            org_id=accounts.get_organization(session, org).id,
            webhook_id=webhook_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = _delivery_row(delivery)
    emit(as_json, data, f"queued {data['id']}; see `tocsin webhook deliveries {webhook_id}`")


@webhook_app.command("deliveries")
@friendly_errors
def webhook_deliveries(
    webhook_id: str,
    limit: int = typer.Option(DEFAULT_LIMIT, help="How many, newest first."),
    status: str | None = typer.Option(None, help="Only pending, sending, delivered, ..."),
    org: str = OrgOption,
    as_json: bool = JsonOption,
) -> None:
    """The delivery log: each event's status, attempts and the receiver's last answer."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        page = queries.deliveries_page(
            session,
            org_id=accounts.get_organization(session, org).id,
            webhook_id=webhook_id,
            limit=limit,
            cursor=None,
            status=status,
        )
        rows = [_delivery_row(delivery) for delivery in page.items]
    columns = ["id", "event_type", "status", "attempts", "last_status_code", "last_error"]
    emit(as_json, rows, table(rows, columns, empty="no deliveries"))


@webhook_app.command("redeliver")
@friendly_errors
def webhook_redeliver(
    webhook_id: str, delivery_id: str, org: str = OrgOption, as_json: bool = JsonOption
) -> None:
    """Send a finished delivery's event again (same body and webhook-id)."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        delivery = commands.redeliver(
            session,
            org_id=accounts.get_organization(session, org).id,
            webhook_id=webhook_id,
            delivery_id=delivery_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = _delivery_row(delivery)
    emit(as_json, data, f"queued {data['id']} again as a new delivery")
