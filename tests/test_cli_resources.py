"""Every resource the API has, from the shell: list, show, change and remove it; the API's field
names in --json; aligned tables for people; one line and exit 1 for what is not there, and for
another organization's things."""

from __future__ import annotations

import re
from typing import Any

from typer.testing import CliRunner

from tests import seeded
from tests.shell import fails, run
from tocsin.accounts.models import Role
from tocsin.cli import app
from tocsin.http.api.providers import ProviderAccountOut
from tocsin.http.api.schemas.accounts import ApiKeyCreatedOut, OrgOut
from tocsin.http.api.schemas.endpoints import ContactOut, EndpointOut
from tocsin.http.api.schemas.policies import EscalationOut
from tocsin.runtime import Runtime

PASSWORD = "correct horse battery staple\n"


def human(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def assert_aligned(text: str, columns: list[str]) -> list[str]:
    """A table: the header names `columns`, and every row's cells start under their header."""
    header, *rows = text.splitlines()
    assert header.split() == columns
    starts = [header.index(column) for column in columns]
    for row in rows:
        for start in starts[1:]:
            assert row[start - 2 : start] == "  ", (row, start)
            assert row[start] != " ", (row, start)
    return rows


def assert_no_python(text: str) -> None:
    assert not re.search(r"[{}\[\]]|\bNone\b|\bTrue\b|\bFalse\b|datetime\(", text), text


def test_organizations_from_the_shell(cli: CliRunner) -> None:
    made = run(cli, "org", "create", "Acme Ops", "--country", "GB")
    assert set(made) >= {"id", "name", "slug", "timezone", "plan", "created_at"}
    run(cli, "org", "create", "Beta Ops", "--country", "GB")

    listed = run(cli, "org", "list")
    assert sorted(org["slug"] for org in listed) == ["acme-ops", "beta-ops"]
    table = human(cli, "org", "list")
    rows = assert_aligned(table, ["id", "slug", "name", "timezone", "plan", "created_at"])
    assert len(rows) == 2
    assert_no_python(table)

    assert run(cli, "org", "show", "acme-ops") == made
    shown = human(cli, "org", "show", made["id"])
    assert re.search(r"^slug +acme-ops$", shown, flags=re.MULTILINE)

    updated = run(
        cli, "org", "update", "acme-ops", "--name", "Acme Operations", "--timezone", "Europe/London"
    )
    assert (updated["name"], updated["slug"], updated["timezone"]) == (
        "Acme Operations",
        "acme-ops",
        "Europe/London",
    )
    assert fails(cli, "org", "show", "nowhere") == "tocsin: error: organization not found"
    assert "unknown time zone" in fails(cli, "org", "update", "acme-ops", "--timezone", "Moon/Base")


def test_members_invites_and_users(cli: CliRunner) -> None:
    run(cli, "org", "create", "Acme Ops", "--country", "GB")
    run(cli, "org", "create", "Beta Ops", "--country", "GB")
    user = run(
        cli, "user", "create", "ops@acme.example", "--password-stdin", "--org", "acme-ops",
        "--role", "admin", stdin=PASSWORD,
    )  # fmt: skip
    [member] = run(cli, "member", "list", "--org", "acme-ops")
    assert (member["user_id"], member["email"], member["role"]) == (
        user["id"],
        "ops@acme.example",
        "admin",
    )
    assert_aligned(
        human(cli, "member", "list", "--org", "acme-ops"),
        ["user_id", "email", "display_name", "role", "created_at"],
    )
    run(cli, "member", "role", user["id"], "--org", "acme-ops", "--role", "owner")
    assert run(cli, "member", "list", "--org", "acme-ops")[0]["role"] == "owner"

    [listed] = run(cli, "user", "list")
    assert (listed["id"], listed["email_verified"], listed["platform_role"]) == (
        user["id"],
        False,
        None,
    )
    shown = run(cli, "user", "show", "ops@acme.example")
    assert shown["organizations"] == [
        {"org_id": shown["organizations"][0]["org_id"], "slug": "acme-ops", "role": "owner"}
    ]
    assert run(cli, "user", "show", user["id"])["email"] == "ops@acme.example"
    assert "user not found" in fails(cli, "user", "show", "usr_nobody")

    invite = run(cli, "invite", "create", "--org", "acme-ops", "--email", "new@acme.example")
    assert invite["code"]
    [open_invite] = run(cli, "invite", "list", "--org", "acme-ops")
    assert (open_invite["id"], open_invite["revoked_at"]) == (invite["id"], None)
    assert "code" not in open_invite
    assert run(cli, "invite", "list", "--org", "beta-ops") == []
    assert "not found" in fails(cli, "invite", "revoke", invite["id"], "--org", "beta-ops")
    run(cli, "invite", "revoke", invite["id"], "--org", "acme-ops")
    assert run(cli, "invite", "list", "--org", "acme-ops")[0]["revoked_at"] is not None

    # The last owner stays one.
    assert "owner" in fails(cli, "member", "remove", user["id"], "--org", "acme-ops")
    assert "at least one owner" in fails(
        cli, "member", "role", user["id"], "--org", "acme-ops", "--role", "member"
    )


def test_member_remove(cli: CliRunner, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Acme Ops")
    joined = seeded.member(runtime, owner.org_id, role=Role.MEMBER)
    assert "not found" in fails(cli, "member", "remove", "usr_nobody", "--org", owner.org_id)
    run(cli, "member", "remove", joined.user_id, "--org", owner.org_id)
    assert [m["user_id"] for m in run(cli, "member", "list", "--org", owner.org_id)] == [
        owner.user_id
    ]


def test_api_keys_list_and_revoke(cli: CliRunner) -> None:
    run(cli, "org", "create", "Acme Ops", "--country", "GB")
    run(cli, "org", "create", "Beta Ops", "--country", "GB")
    made = run(cli, "key", "create", "--org", "acme-ops", "--name", "alertmanager")
    assert set(made) >= {"id", "public_id", "name", "scopes", "endpoint_id", "key"}
    [listed] = run(cli, "key", "list", "--org", "acme-ops")
    assert "key" not in listed
    assert (listed["id"], listed["name"], listed["revoked_at"]) == (
        made["id"],
        "alertmanager",
        None,
    )
    table = human(cli, "key", "list", "--org", "acme-ops")
    assert_aligned(
        table, ["id", "name", "scopes", "endpoint_id", "created_at", "last_used_at", "revoked_at"]
    )
    assert made["key"] not in table

    # Another organization's key is not there for it.
    assert "API key not found" in fails(cli, "key", "revoke", made["id"], "--org", "beta-ops")
    assert run(cli, "key", "list", "--org", "beta-ops") == []
    run(cli, "key", "revoke", made["id"], "--org", "acme-ops")
    assert run(cli, "key", "list", "--org", "acme-ops")[0]["revoked_at"] is not None


def test_endpoints_and_contacts(cli: CliRunner, runtime: Runtime) -> None:
    org = seeded.person(runtime, org_name="Acme Ops").org_id
    other = seeded.person(runtime, org_name="Beta Ops").org_id
    contact = seeded.contact(runtime, org, phone="+447400123456")
    second = seeded.contact(runtime, org, phone="+447400123457", name="Second")
    endpoint = seeded.endpoint(runtime, org, contact)

    [listed] = run(cli, "endpoint", "list", "--org", org)
    assert (listed["id"], listed["contact_ids"], listed["require_key"]) == (
        endpoint,
        [contact],
        True,
    )
    assert listed["webhook_url"].endswith(f"/v1/hooks/{endpoint}")
    assert_aligned(
        human(cli, "endpoint", "list", "--org", org),
        ["id", "name", "routing", "contact_ids", "require_key", "project_id"],
    )
    assert run(cli, "endpoint", "show", endpoint, "--org", org) == listed
    shown = human(cli, "endpoint", "show", endpoint, "--org", org)
    assert re.search(rf"^contact_ids +{contact}$", shown, flags=re.MULTILINE)

    updated = run(
        cli, "endpoint", "update", endpoint, "--org", org, "--name", "Staging", "--no-key",
        "--routing", "all", "--contact", second, "--contact", contact,
    )  # fmt: skip
    assert (updated["name"], updated["require_key"], updated["routing"]) == (
        "Staging",
        False,
        "all",
    )
    assert updated["contact_ids"] == [second, contact]

    [shown_contact] = [c for c in run(cli, "contact", "list", "--org", org) if c["id"] == contact]
    assert run(cli, "contact", "show", contact, "--org", org)["phone_e164"] == "+447400123456"
    renamed = run(cli, "contact", "update", contact, "--org", org, "--name", "Primary")
    assert (renamed["name"], renamed["phone_e164"]) == ("Primary", shown_contact["phone_e164"])
    moved = run(cli, "contact", "update", second, "--org", org, "--phone", "+447400123458")
    assert (moved["phone_e164"], moved["number_state"]) == ("+447400123458", "unverified")

    # Another organization's endpoint and contact are not there for it.
    assert "endpoint not found" in fails(cli, "endpoint", "show", endpoint, "--org", other)
    assert "endpoint not found" in fails(cli, "endpoint", "delete", endpoint, "--org", other)
    assert "contact not found" in fails(cli, "contact", "show", contact, "--org", other)
    assert "contact not found" in fails(cli, "contact", "delete", contact, "--org", other)

    run(cli, "endpoint", "delete", endpoint, "--org", org)
    assert run(cli, "endpoint", "list", "--org", org) == []
    run(cli, "contact", "delete", second, "--org", org)
    assert [c["id"] for c in run(cli, "contact", "list", "--org", org)] == [contact]
    assert "contact not found" in fails(cli, "contact", "show", second, "--org", org)


def test_escalation_policies(cli: CliRunner, runtime: Runtime) -> None:
    org = seeded.person(runtime, org_name="Acme Ops").org_id
    other = seeded.person(runtime, org_name="Beta Ops").org_id
    contact = seeded.contact(runtime, org, phone="+447400123456")
    made = run(
        cli, "escalation", "create", "Night", "--org", org, "--step", f"call:{contact}",
        "--step", "wait:5",
    )  # fmt: skip
    assert set(made) == set(EscalationOut.model_fields)
    assert run(cli, "escalation", "show", made["id"], "--org", org) == made
    table = human(cli, "escalation", "list", "--org", org)
    [row] = assert_aligned(table, ["id", "name", "steps", "project_id", "updated_at"])
    assert row.split()[2] == "2"

    updated = run(
        cli, "escalation", "update", made["id"], "--org", org, "--name", "Day",
        "--step", f"call:{contact}",
    )  # fmt: skip
    assert (updated["name"], len(updated["steps"])) == ("Day", 1)
    assert "escalation policy not found" in fails(
        cli, "escalation", "show", made["id"], "--org", other
    )
    run(cli, "escalation", "delete", made["id"], "--org", org)
    assert run(cli, "escalation", "list", "--org", org) == []
    assert "escalation policy not found" in fails(
        cli, "escalation", "delete", made["id"], "--org", org
    )


def test_provider_accounts(cli: CliRunner, runtime: Runtime) -> None:
    org = seeded.person(runtime, org_name="Acme Ops").org_id
    other = seeded.person(runtime, org_name="Beta Ops").org_id
    made = run(
        cli, "provider", "add", "--org", org, "--kind", "simulator", "--name", "Sim",
        "--credential", "token=s3cret",
    )  # fmt: skip
    assert set(made) >= {"id", "kind", "name", "priority", "enabled", "settings", "warnings"}
    [listed] = run(cli, "provider", "list", "--org", org)
    assert listed["id"] == made["id"]
    assert "s3cret" not in str(listed)
    table = human(cli, "provider", "list", "--org", org)
    assert_aligned(table, ["id", "kind", "name", "priority", "enabled", "caller_id_id", "warnings"])
    shown: dict[str, Any] = run(cli, "provider", "show", made["id"], "--org", org)
    assert (shown["name"], shown["priority"]) == ("Sim", 1)

    updated = run(
        cli, "provider", "update", made["id"], "--org", org, "--name", "Sim 2", "--priority", "2",
        "--disable",
    )  # fmt: skip
    assert (updated["name"], updated["priority"], updated["enabled"]) == ("Sim 2", 2, False)
    assert "provider account not found" in fails(
        cli, "provider", "show", made["id"], "--org", other
    )
    assert "provider account not found" in fails(
        cli, "provider", "remove", made["id"], "--org", other
    )
    run(cli, "provider", "remove", made["id"], "--org", org)
    assert run(cli, "provider", "list", "--org", org) == []


def test_tables_say_when_there_is_nothing(cli: CliRunner) -> None:
    run(cli, "org", "create", "Acme Ops", "--country", "GB")
    assert human(cli, "endpoint", "list", "--org", "acme-ops") == "no endpoints\n"
    assert human(cli, "key", "list", "--org", "acme-ops") == "no API keys\n"
    assert human(cli, "number", "list", "--org", "acme-ops") == "no numbers\n"


def test_schedule_update(cli: CliRunner, runtime: Runtime) -> None:
    org = seeded.person(runtime, org_name="Acme Ops").org_id
    other = seeded.person(runtime, org_name="Beta Ops").org_id
    schedule = run(cli, "schedule", "create", "Platform", "--org", org, "--timezone", "UTC")
    project = run(cli, "project", "create", "Core", "--org", org)
    updated = run(
        cli, "schedule", "update", schedule["id"], "--org", org, "--name", "Core",
        "--timezone", "Europe/Berlin", "--project", project["id"],
    )  # fmt: skip
    assert (updated["name"], updated["timezone"], updated["project_id"]) == (
        "Core",
        "Europe/Berlin",
        project["id"],
    )
    cleared = run(cli, "schedule", "update", schedule["id"], "--org", org, "--project", "")
    assert (cleared["name"], cleared["project_id"]) == ("Core", None)
    assert "schedule not found" in fails(cli, "schedule", "update", schedule["id"], "--org", other)


def test_what_the_shell_makes_it_shows_as_the_api_does(cli: CliRunner, runtime: Runtime) -> None:
    """The same fields, by the same names (once `contact add` said `phone`, and
    `endpoint create` `url`)."""
    org = run(cli, "org", "create", "Acme Ops", "--country", "GB")
    assert set(org) == set(OrgOut.model_fields)
    contact = run(cli, "contact", "add", "Alice", "+447400123456", "--org", "acme-ops")
    assert set(contact) == set(ContactOut.model_fields)
    endpoint = run(cli, "endpoint", "create", "Prod", "--org", "acme-ops")
    assert set(endpoint) == set(EndpointOut.model_fields)
    key = run(cli, "key", "create", "--org", "acme-ops")
    assert set(key) == set(ApiKeyCreatedOut.model_fields)
    provider = run(
        cli, "provider", "add", "--org", "acme-ops", "--kind", "simulator", "--name", "Sim"
    )
    assert set(provider) == set(ProviderAccountOut.model_fields)
