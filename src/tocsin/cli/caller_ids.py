"""An organization's caller IDs from the shell: add a number, prove it (a code to the number,
or the provider account's own records), list and remove them. `provider add --caller-id`
chooses one for an account."""

from __future__ import annotations

import asyncio
from typing import Any

import typer

from tocsin.accounts import service as accounts
from tocsin.callerids import commands
from tocsin.callerids.ownership import check_with_provider
from tocsin.cli.common import CLI_ACTOR, JsonOption, OrgOption, emit, friendly_errors
from tocsin.cli.database import open_runtime
from tocsin.cli.root import group
from tocsin.cli.tables import table
from tocsin.contacts.verify import deliver
from tocsin.http.api.caller_ids import CallerIdOut
from tocsin.numbers.verification import Channel, Requester
from tocsin.providers.caller_ids import list_caller_ids
from tocsin.providers.models import CallerId

caller_id_app = group("caller-id")


def _row(caller_id: CallerId) -> dict[str, Any]:
    """As the API shows it (CallerIdOut)."""
    return CallerIdOut.of(caller_id).model_dump(mode="json")


@caller_id_app.command("add")
@friendly_errors
def caller_id_add(
    number: str,
    org: str = OrgOption,
    region: str | None = typer.Option(None, help="Country of a national number."),
    as_json: bool = JsonOption,
) -> None:
    """Add a number; it is usable once proven (`send-code`, or `check` with an account)."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        caller_id = commands.add_caller_id(
            session,
            org_id=organization.id,
            number=number,
            region=region,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = _row(caller_id)
    emit(as_json, data, f"added caller ID {data['number']} ({data['id']}); prove it next")


@caller_id_app.command("list")
@friendly_errors
def caller_id_list(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Every caller ID, with how it was proven."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        rows = [_row(row) for row in list_caller_ids(session, org_id=organization.id)]
    columns = ["id", "number", "proven_how"]
    emit(as_json, rows, table(rows, columns, empty="no caller IDs"))


@caller_id_app.command("send-code")
@friendly_errors
def caller_id_send_code(
    caller_id: str,
    org: str = OrgOption,
    channel: Channel = typer.Option(Channel.CALL, help="call reads the code; sms texts it."),
    as_json: bool = JsonOption,
) -> None:
    """Send a 6-digit code to the number, from the platform's own number (valid 15 minutes)."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        pending = commands.issue_code(
            session,
            runtime,
            org_id=organization.id,
            caller_id_id=caller_id,
            channel=channel,
            requester=Requester(CLI_ACTOR, "tocsin-cli"),
            now=runtime.clock.now(),
        )
    asyncio.run(deliver(runtime, pending))
    row = pending.issued.verification
    data = {"verification_id": row.id, "phone_e164": row.phone_e164, "channel": row.channel}
    emit(
        as_json,
        data,
        f"sent a code to {row.phone_e164} by {row.channel}; then run\n"
        f"  tocsin caller-id confirm {caller_id} CODE --org {org}",
    )


@caller_id_app.command("confirm")
@friendly_errors
def caller_id_confirm(
    caller_id: str, code: str, org: str = OrgOption, as_json: bool = JsonOption
) -> None:
    """Check the code the number received; when right, the caller ID is proven."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        result = commands.confirm_code(
            session,
            runtime,
            org_id=organization.id,
            caller_id_id=caller_id,
            code=code,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    # Outside the transaction, so the wrong guess it counted is kept.
    error = result.error()
    if error is not None:
        raise error
    data = {"id": caller_id, "number": result.verification.phone_e164, "proof": "code"}
    emit(as_json, data, f"{data['number']} is proven; choose it for provider accounts")


@caller_id_app.command("check")
@friendly_errors
def caller_id_check(
    caller_id: str,
    org: str = OrgOption,
    account: str = typer.Option(..., help="The provider account whose records prove it."),
    as_json: bool = JsonOption,
) -> None:
    """Ask a Twilio, Plivo, Telnyx or Vonage account whether it owns the number."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        org_id = accounts.get_organization(session, org).id
    result = asyncio.run(
        check_with_provider(
            runtime, org_id=org_id, caller_id_id=caller_id, account_id=account, actor=CLI_ACTOR
        )
    )
    error = result.error()
    if error is not None:
        raise error
    data = _row(result.caller_id)
    emit(as_json, data, f"{data['number']} is proven: {result.how}, usable through {account}")


@caller_id_app.command("remove")
@friendly_errors
def caller_id_remove(caller_id: str, org: str = OrgOption) -> None:
    """Remove a caller ID no provider account or endpoint has chosen."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        commands.remove_caller_id(
            session,
            org_id=organization.id,
            caller_id_id=caller_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    emit(False, {}, f"removed caller ID {caller_id}")


@caller_id_app.command("attest")
@friendly_errors
def caller_id_attest(
    caller_id: str,
    org: str = OrgOption,
    reason: str = typer.Option(..., help="Why the number is the organization's (kept)."),
    as_json: bool = JsonOption,
) -> None:
    """Vouch, as this server's operator, that the organization may show the number: for an
    install whose only carrier is the organization's own trunk, which a code cannot reach."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        attested = commands.attest_caller_id(
            session,
            org_id=organization.id,
            caller_id_id=caller_id,
            reason=reason,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = _row(attested)
    emit(as_json, data, f"caller ID {data['number']} vouched for; usable through every account")
