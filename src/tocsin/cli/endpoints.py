"""Endpoints, contacts and escalation policies from the shell: list, show, change and delete
what `endpoint create`, `contact add` and `escalation create` made.

Each command calls the command or query the API calls and prints the API's answer, with its
field names (`--json`), or a table of them.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import typer

from tocsin.accounts import service as accounts
from tocsin.cli.admin import contact_app, endpoint_app
from tocsin.cli.common import (
    CLI_ACTOR,
    JsonOption,
    OrgOption,
    emit,
    emit_item,
    emit_table,
    every,
    friendly_errors,
)
from tocsin.cli.database import open_runtime
from tocsin.cli.paging import escalation_app, steps_of
from tocsin.contacts import commands as contact_commands
from tocsin.contacts import queries as contact_queries
from tocsin.endpoints import commands, queries
from tocsin.endpoints.models import RoutingMode
from tocsin.http.api.endpoints import contact_out, endpoint_out
from tocsin.http.api.schemas.policies import EscalationOut
from tocsin.telephony.prompts import LANGUAGES

ENDPOINT_COLUMNS = ["id", "name", "routing", "contact_ids", "require_key", "project_id"]
ENDPOINT_FIELDS = [
    "id",
    "name",
    "webhook_url",
    "require_key",
    "routing",
    "contact_ids",
    "caller_id_id",
    "project_id",
    "rules",
    "template",
    "created_at",
    "updated_at",
]


# Endpoints --------------------------------------------------------------------------------------


@endpoint_app.command("list")
@friendly_errors
def endpoint_list(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """An organization's webhook endpoints."""
    runtime = open_runtime()
    base_url = runtime.settings.public_base_url
    with runtime.database.read() as session:
        org_id = accounts.get_organization(session, org).id
        rows = [
            endpoint_out(session, endpoint, base_url).model_dump(mode="json")
            for endpoint in every(
                partial(queries.list_endpoints, session, org_id=org_id, only=None)
            )
        ]
    emit_table(as_json, rows, ENDPOINT_COLUMNS, empty="no endpoints")


@endpoint_app.command("show")
@friendly_errors
def endpoint_show(endpoint_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """One endpoint: its webhook URL, contacts, rules and template."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        org_id = accounts.get_organization(session, org).id
        endpoint = queries.get_endpoint(session, org_id=org_id, endpoint_id=endpoint_id)
        data = endpoint_out(session, endpoint, runtime.settings.public_base_url)
    emit_item(as_json, data.model_dump(mode="json"), ENDPOINT_FIELDS)


@endpoint_app.command("update")
@friendly_errors
def endpoint_update(
    endpoint_id: str,
    org: str = OrgOption,
    name: str | None = typer.Option(None, help="New name."),
    require_key: bool | None = typer.Option(
        None, "--require-key/--no-key", help="Whether webhooks need X-Alert-Key."
    ),
    routing: RoutingMode | None = typer.Option(None, help="Whom the built-in actions call."),
    contact: list[str] | None = typer.Option(
        None,
        metavar="CONTACT_ID",
        help="Contacts to call, replacing them; repeat, first is primary.",
    ),
    caller_id: str | None = typer.Option(
        None, metavar="CALLER_ID_ID", help="A proven caller ID its calls present; '' clears it."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Change an endpoint (its rules and template: `tocsin endpoint configure`)."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        org_id = accounts.get_organization(session, org).id
        endpoint = commands.update_endpoint(
            session,
            org_id=org_id,
            endpoint_id=endpoint_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
            name=name,
            require_key=require_key,
            routing=routing.value if routing is not None else None,
            contact_ids=contact or None,
            caller_id_id=caller_id,
        )
        data = endpoint_out(session, endpoint, runtime.settings.public_base_url)
    emit(as_json, data.model_dump(mode="json"), f"updated endpoint {endpoint_id}")


@endpoint_app.command("delete")
@friendly_errors
def endpoint_delete(endpoint_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Delete an endpoint: its webhook URL stops taking alerts."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        org_id = accounts.get_organization(session, org).id
        commands.delete_endpoint(
            session,
            org_id=org_id,
            endpoint_id=endpoint_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    emit(as_json, {"id": endpoint_id, "deleted": True}, f"deleted endpoint {endpoint_id}")


# Contacts ---------------------------------------------------------------------------------------

CONTACT_FIELDS = [
    "id",
    "name",
    "phone_e164",
    "number_state",
    "blocked_at",
    "blocked_reason",
    "created_at",
    "updated_at",
]


@contact_app.command("show")
@friendly_errors
def contact_show(contact_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """One contact, and whether its number may be called."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        org_id = accounts.get_organization(session, org).id
        contact = contact_queries.get_contact(session, org_id=org_id, contact_id=contact_id)
        data = contact_out(session, contact).model_dump(mode="json")
    emit_item(as_json, data, CONTACT_FIELDS)


@contact_app.command("update")
@friendly_errors
def contact_update(
    contact_id: str,
    org: str = OrgOption,
    name: str | None = typer.Option(None, help="New name."),
    phone: str | None = typer.Option(
        None, help="New number; screened, and to be verified again before it is called."
    ),
    region: str | None = typer.Option(None, help="Two-letter country for a national number."),
    language: str | None = typer.Option(
        None,
        metavar="LANG",
        help=f"Language of its calls' prompts: {', '.join(LANGUAGES)}; an empty one goes "
        "back to the organization's.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Change a contact's name, number or language."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        org_id = accounts.get_organization(session, org).id
        contact = contact_commands.update_contact(
            session,
            org_id=org_id,
            contact_id=contact_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
            sanctioned_regions=runtime.settings.sanctioned_region_set(),
            name=name,
            phone=phone,
            region=region,
            language=language,
        )
        data = contact_out(session, contact).model_dump(mode="json")
    emit(
        as_json, data, f"updated contact {data['id']} {data['phone_e164']} ({data['number_state']})"
    )


@contact_app.command("delete")
@friendly_errors
def contact_delete(contact_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Delete a contact: its number is called no more, and the consent given for it goes."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        org_id = accounts.get_organization(session, org).id
        contact_commands.delete_contact(
            session, org_id=org_id, contact_id=contact_id, actor=CLI_ACTOR, now=runtime.clock.now()
        )
    emit(as_json, {"id": contact_id, "deleted": True}, f"deleted contact {contact_id}")


# Escalation policies ----------------------------------------------------------------------------


def _policy(policy: Any) -> dict[str, Any]:
    return EscalationOut.model_validate(policy).model_dump(mode="json")


@escalation_app.command("show")
@friendly_errors
def escalation_show(escalation_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """One escalation policy and its steps."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        org_id = accounts.get_organization(session, org).id
        data = _policy(queries.get_policy(session, org_id=org_id, policy_id=escalation_id))
    emit_item(as_json, data)


@escalation_app.command("update")
@friendly_errors
def escalation_update(
    escalation_id: str,
    org: str = OrgOption,
    name: str | None = typer.Option(None, help="New name."),
    step: list[str] | None = typer.Option(
        None,
        help="The new steps, replacing them all: call:ID[,ID...], notify:ID[,ID...], "
        "wait:MINUTES or repeat:TIMES; repeat, in order.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Rename an escalation policy or replace its steps."""
    steps = steps_of(step) if step else None
    runtime = open_runtime()
    with runtime.database.write() as session:
        org_id = accounts.get_organization(session, org).id
        data = _policy(
            commands.update_policy(
                session,
                org_id=org_id,
                policy_id=escalation_id,
                actor=CLI_ACTOR,
                now=runtime.clock.now(),
                name=name,
                steps=steps,
            )
        )
    emit(as_json, data, f"updated escalation policy {escalation_id}")


@escalation_app.command("delete")
@friendly_errors
def escalation_delete(escalation_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Delete an escalation policy."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        org_id = accounts.get_organization(session, org).id
        commands.delete_policy(
            session,
            org_id=org_id,
            policy_id=escalation_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    emit(
        as_json,
        {"id": escalation_id, "deleted": True},
        f"deleted escalation policy {escalation_id}",
    )
