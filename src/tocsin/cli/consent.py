"""Verifying contacts' numbers from the shell: send the code, type back what the phone heard,
and see who may be called."""

from __future__ import annotations

import asyncio

import typer

from tocsin.accounts import service as accounts
from tocsin.cli.admin import contact_app
from tocsin.cli.common import CLI_ACTOR, JsonOption, OrgOption, emit, friendly_errors
from tocsin.cli.database import open_runtime
from tocsin.contacts.queries import all_contacts
from tocsin.contacts.verify import confirm_for_contact, deliver, issue_for_contact
from tocsin.numbers import consent
from tocsin.numbers.verification import Channel, Requester


@contact_app.command("verify")
@friendly_errors
def contact_verify(
    contact_id: str,
    org: str = OrgOption,
    channel: Channel = typer.Option(Channel.CALL, help="call reads the code; sms texts it."),
    as_json: bool = JsonOption,
) -> None:
    """Send a 6-digit code to the contact's number (valid 15 minutes)."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        pending = issue_for_contact(
            session,
            runtime,
            org_id=organization.id,
            contact_id=contact_id,
            channel=channel,
            requester=Requester(CLI_ACTOR, "tocsin-cli"),
            now=runtime.clock.now(),
        )
    asyncio.run(deliver(runtime, pending))
    row = pending.issued.verification
    data = {
        "verification_id": row.id,
        "phone_e164": row.phone_e164,
        "channel": row.channel,
        "expires_at": row.expires_at.isoformat(),
    }
    emit(
        as_json,
        data,
        f"sent a code to {row.phone_e164} by {row.channel}; when its owner reads it out, run\n"
        f"  tocsin contact confirm {contact_id} CODE --org {org}",
    )


@contact_app.command("confirm")
@friendly_errors
def contact_confirm(
    contact_id: str,
    code: str,
    org: str = OrgOption,
    verification: str | None = typer.Option(None, help="Which code; the latest by default."),
    as_json: bool = JsonOption,
) -> None:
    """Check the code the number's owner received, and record their consent."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        organization = accounts.get_organization(session, org)
        result, record = confirm_for_contact(
            session,
            runtime,
            org_id=organization.id,
            contact_id=contact_id,
            code=code,
            verification_id=verification,
            actor=CLI_ACTOR,
            user_agent="tocsin-cli",
            now=runtime.clock.now(),
        )
        data = (
            {
                "consent_id": record.id,
                "phone_e164": record.phone_e164,
                "policy_version": record.policy_version,
            }
            if record
            else {}
        )
    error = result.error()
    if error is not None:
        raise error
    emit(as_json, data, f"{data['phone_e164']} verified; it can now be called")


@contact_app.command("list")
@friendly_errors
def contact_list(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Every contact, with whether its number may be called."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        organization = accounts.get_organization(session, org)
        rows = [
            {
                "id": contact.id,
                "name": contact.name,
                "phone_e164": contact.phone_e164,
                "number_state": consent.state_of(
                    session, org_id=organization.id, number=contact.phone_e164
                ).value,
            }
            for contact in all_contacts(session, org_id=organization.id)
        ]
    emit(
        as_json,
        rows,
        "\n".join(
            f"{r['id']}  {r['phone_e164']}  {r['number_state']:<11} {r['name']}" for r in rows
        )
        or "no contacts",
    )
