"""Organizations, their members, invites and API keys, and the server's users, from the shell:
list, show, change and remove what `tocsin org create`, `user create` and `key create` made.

Each command calls the command or query the API calls, and prints what the API answers, with
its field names (`--json`), or a table of them.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import typer

from tocsin.accounts import service as accounts
from tocsin.accounts.models import Role
from tocsin.cli.admin import key_app, org_app, user_app
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
from tocsin.cli.root import group
from tocsin.cli.tables import fields
from tocsin.http.api.schemas.accounts import (
    ApiKeyOut,
    InviteCreatedOut,
    InviteOut,
    MemberOut,
    OrgOut,
    UserOut,
)
from tocsin.organizations import api_keys, queries
from tocsin.organizations import commands as organizations
from tocsin.telephony.prompts import LANGUAGES

member_app = group("member")
invite_app = group("invite")

ORG_COLUMNS = ["id", "slug", "name", "timezone", "plan", "created_at"]


def _org(org: Any) -> dict[str, Any]:
    return OrgOut.model_validate(org).model_dump(mode="json")


@org_app.command("list")
@friendly_errors
def org_list(as_json: bool = JsonOption) -> None:
    """Every organization on this server."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        rows = [_org(org) for org in every(partial(queries.organizations_page, session))]
    emit_table(as_json, rows, ORG_COLUMNS, empty="no organizations")


@org_app.command("show")
@friendly_errors
def org_show(
    org: str = typer.Argument(..., metavar="ORG", help="Organization id or slug."),
    as_json: bool = JsonOption,
) -> None:
    """One organization."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        data = _org(accounts.get_organization(session, org))
    emit_item(as_json, data)


@org_app.command("update")
@friendly_errors
def org_update(
    org: str = typer.Argument(..., metavar="ORG", help="Organization id or slug."),
    name: str | None = typer.Option(None, help="New name (the slug stays)."),
    timezone: str | None = typer.Option(
        None, metavar="TZ", help="IANA time zone; daily caps reset at its midnight."
    ),
    language: str | None = typer.Option(
        None, metavar="LANG", help=f"Language of its calls' prompts: {', '.join(LANGUAGES)}."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Rename an organization, move its time zone or change the language its calls speak
    (contacts and members may choose their own; the calling policy: `tocsin org policy`)."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        org_id = accounts.get_organization(session, org).id
        data = _org(
            organizations.update_organization(
                session,
                org_id=org_id,
                name=name,
                timezone=timezone,
                language=language,
                actor=CLI_ACTOR,
                now=runtime.clock.now(),
            )
        )
    emit(as_json, data, f"updated organization {data['slug']} ({data['id']})")


# Members ----------------------------------------------------------------------------------------

MEMBER_COLUMNS = ["user_id", "email", "display_name", "role", "created_at"]


@member_app.command("list")
@friendly_errors
def member_list(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """An organization's members and their roles."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        org_id = accounts.get_organization(session, org).id
        rows = [
            MemberOut(
                user_id=member.user.id,
                email=member.user.email,
                display_name=member.user.display_name,
                role=member.role,
                created_at=member.user.created_at,
            ).model_dump(mode="json")
            for member in every(partial(queries.members_page, session, org_id=org_id))
        ]
    emit_table(as_json, rows, MEMBER_COLUMNS, empty="no members")


@member_app.command("role")
@friendly_errors
def member_role(
    user_id: str,
    org: str = OrgOption,
    role: Role = typer.Option(..., help="The member's new role."),
    as_json: bool = JsonOption,
) -> None:
    """Change a member's role (the last owner stays an owner)."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        org_id = accounts.get_organization(session, org).id
        organizations.change_member_role(
            session,
            org_id=org_id,
            user_id=user_id,
            role=role,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    data = {"org_id": org_id, "user_id": user_id, "role": role.value}
    emit(as_json, data, f"{user_id} is now {role.value} of {org}")


@member_app.command("remove")
@friendly_errors
def member_remove(user_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Remove a member: out of on-call, and the consent they gave for numbers withdrawn."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        org_id = accounts.get_organization(session, org).id
        organizations.remove_member(
            session,
            org_id=org_id,
            user_id=user_id,
            # The operator's shell acts with an owner's authority.
            removed_by=f"{CLI_ACTOR.type}:{CLI_ACTOR.id}",
            remover_role=Role.OWNER,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    emit(as_json, {"org_id": org_id, "user_id": user_id, "removed": True}, f"removed {user_id}")


# Invites ----------------------------------------------------------------------------------------

INVITE_COLUMNS = ["id", "role", "email", "created_at", "expires_at", "used_at", "revoked_at"]


@invite_app.command("create")
@friendly_errors
def invite_create(
    org: str = OrgOption,
    role: Role = typer.Option(Role.MEMBER, help="Role the invite gives (never owner)."),
    email: str | None = typer.Option(None, help="Only this address may accept it."),
    as_json: bool = JsonOption,
) -> None:
    """Create an invite; its code is printed once (nothing is mailed)."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        org_id = accounts.get_organization(session, org).id
        invite, code = organizations.create_invite(
            session,
            runtime,
            org_id=org_id,
            role=role,
            email=email,
            created_by=None,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        data = InviteCreatedOut(
            **InviteOut.model_validate(invite).model_dump(), code=code
        ).model_dump(mode="json")
    emit(as_json, data, f"invite {data['id']} ({data['role']}): {code}\n(shown once: keep it now)")


@invite_app.command("list")
@friendly_errors
def invite_list(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """An organization's invites, used, revoked and open."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        org_id = accounts.get_organization(session, org).id
        rows = [
            InviteOut.model_validate(invite).model_dump(mode="json")
            for invite in every(partial(queries.invites_page, session, org_id=org_id))
        ]
    emit_table(as_json, rows, INVITE_COLUMNS, empty="no invites")


@invite_app.command("revoke")
@friendly_errors
def invite_revoke(invite_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Revoke an invite: its code no longer works."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        org_id = accounts.get_organization(session, org).id
        organizations.revoke_invite(
            session, org_id=org_id, invite_id=invite_id, actor=CLI_ACTOR, now=runtime.clock.now()
        )
    emit(as_json, {"id": invite_id, "revoked": True}, f"revoked invite {invite_id}")


# API keys ---------------------------------------------------------------------------------------

KEY_COLUMNS = ["id", "name", "scopes", "endpoint_id", "created_at", "last_used_at", "revoked_at"]


@key_app.command("list")
@friendly_errors
def key_list(org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """An organization's API keys (never the keys themselves), revoked ones too."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        org_id = accounts.get_organization(session, org).id
        rows = [
            ApiKeyOut.model_validate(key).model_dump(mode="json")
            for key in every(partial(api_keys.keys_page, session, org_id=org_id))
        ]
    emit_table(as_json, rows, KEY_COLUMNS, empty="no API keys")


@key_app.command("revoke")
@friendly_errors
def key_revoke(key_id: str, org: str = OrgOption, as_json: bool = JsonOption) -> None:
    """Revoke an API key: requests with it are refused from now on."""
    runtime = open_runtime()
    with runtime.database.write() as session:
        org_id = accounts.get_organization(session, org).id
        api_keys.revoke_api_key(
            session, org_id=org_id, key_id=key_id, actor=CLI_ACTOR, now=runtime.clock.now()
        )
    emit(as_json, {"id": key_id, "revoked": True}, f"revoked API key {key_id}")


# Users ------------------------------------------------------------------------------------------

USER_COLUMNS = ["id", "email", "display_name", "email_verified", "platform_role", "created_at"]


def _user(user: Any) -> dict[str, Any]:
    return {
        **UserOut.model_validate(user).model_dump(mode="json"),
        "platform_role": user.platform_role,
    }


@user_app.command("list")
@friendly_errors
def user_list(as_json: bool = JsonOption) -> None:
    """Every user on this server."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        rows = [_user(user) for user in every(partial(queries.users_page, session))]
    emit_table(as_json, rows, USER_COLUMNS, empty="no users")


@user_app.command("show")
@friendly_errors
def user_show(
    user: str = typer.Argument(..., metavar="USER", help="User id or e-mail address."),
    as_json: bool = JsonOption,
) -> None:
    """One user, and the organizations they belong to."""
    runtime = open_runtime()
    with runtime.database.read() as session:
        found = (
            accounts.find_user_by_email(session, user)
            if "@" in user
            else accounts.get_user(session, user)
        )
        data = _user(found)
        data["organizations"] = [
            {"org_id": org.id, "slug": org.slug, "role": role.value}
            for org, role in accounts.list_user_memberships(session, found.id)
        ]
    shown = {**data, "organizations": [f"{o['slug']} ({o['role']})" for o in data["organizations"]]}
    emit(as_json, data, fields(shown))
