"""Telephony provider accounts from the shell: list, show, change and remove what
`tocsin provider add` made. Credentials are never shown, as the API never returns them."""

from __future__ import annotations

from typing import Any

import typer

from tocsin.accounts import service as accounts
from tocsin.cli.admin import pairs, provider_app
from tocsin.cli.common import (
    CLI_ACTOR,
    JsonOption,
    OrgOption,
    emit,
    emit_item,
    emit_table,
    friendly_errors,
)
from tocsin.cli.database import open_runtime
from tocsin.http.api.providers import ProviderAccountOut
from tocsin.providers import commands, queries
from tocsin.telephony.hosts import HostPolicy, looked_up_first

PROVIDER_COLUMNS = ["id", "kind", "name", "priority", "enabled", "caller_id_id", "warnings"]


def _shown(data: dict[str, Any]) -> str:
    return "\n".join(
        [f"{data['kind']} provider {data['id']} ({data['name']}), priority {data['priority']}"]
        + [f"warning: {warning}" for warning in data["warnings"]]
    )


@provider_app.command("list")
@friendly_errors
def provider_list(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """An organization's provider accounts, in the order they are tried."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        org_id = accounts.get_organization(session, org).id
        rows = [
            ProviderAccountOut.of(session, account, runtime.settings.public_base_url).model_dump(
                mode="json"
            )
            for account in queries.list_accounts(session, org_id=org_id)
        ]
    emit_table(as_json, rows, PROVIDER_COLUMNS, empty="no provider accounts")


@provider_app.command("show")
@friendly_errors
def provider_show(account_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """One provider account: its settings (never its credentials) and warnings."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        org_id = accounts.get_organization(session, org).id
        account = queries.get_account(session, org_id=org_id, account_id=account_id)
        data = ProviderAccountOut.of(session, account, runtime.settings.public_base_url)
    emit_item(as_json, data.model_dump(mode="json"))


@provider_app.command("update")
@friendly_errors
def provider_update(
    account_id: str,
    org: str = OrgOption,
    name: str | None = typer.Option(None, help="New name."),
    priority: int | None = typer.Option(None, help="1 is tried first."),
    enabled: bool | None = typer.Option(
        None, "--enable/--disable", help="Whether calls may go through it."
    ),
    setting: list[str] | None = typer.Option(
        None, metavar="KEY=VALUE", help="The settings, replacing them all; repeat."
    ),
    credential: list[str] | None = typer.Option(
        None, metavar="KEY=VALUE", help="The credentials, replacing them all; repeat."
    ),
    caller_id: str | None = typer.Option(
        None, metavar="CALLER_ID_ID", help="A proven caller ID its calls present; '' clears it."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Change a provider account. New settings or credentials are checked before they are
    kept, and withdraw the caller IDs that the account's own records proved."""
    runtime = open_runtime()
    settings = pairs(setting, "--setting") if setting else None
    credentials = pairs(credential, "--credential") if credential else None

    def update(hosts: HostPolicy) -> dict[str, Any]:
        with runtime.database.write() as session:
            org_id = accounts.get_organization(session, org).id
            change = commands.update_account(
                session,
                org_id=org_id,
                account_id=account_id,
                factory=runtime.provider_factory,
                box=runtime.credentials_box,
                context=runtime.build_context.reaching(hosts),
                actor=CLI_ACTOR,
                now=runtime.clock.now(),
                name=name,
                priority=priority,
                enabled=enabled,
                settings=settings,
                credentials=credentials,
                caller_id_id=caller_id,
            )
            return ProviderAccountOut.of(
                session, change.account, runtime.settings.public_base_url, change.unproven
            ).model_dump(mode="json")

    data = looked_up_first(runtime.provider_hosts, update)
    emit(as_json, data, "updated " + _shown(data))


@provider_app.command("remove")
@friendly_errors
def provider_remove(account_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Remove a provider account: calls go through the next one, or the platform's."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        org_id = accounts.get_organization(session, org).id
        commands.delete_account(
            session, org_id=org_id, account_id=account_id, actor=CLI_ACTOR, now=runtime.clock.now()
        )
    emit(as_json, {"id": account_id, "removed": True}, f"removed provider account {account_id}")
