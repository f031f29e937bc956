"""Calendars from the shell: feed addresses made, listed and revoked; external calendars
refused when not public https, added, listed and removed."""

from __future__ import annotations

from typer.testing import CliRunner

from tests import seeded
from tests.oncall import oncall_rows
from tests.shell import fails, run
from tocsin.cli.database import open_runtime


def test_a_schedule_feed_address_is_shown_once_listed_without_it_and_revoked(
    cli: CliRunner,
) -> None:
    runtime = open_runtime()
    owner = seeded.person(runtime, org_name="Acme Ops")
    org = {"id": owner.org_id}
    schedule_id = oncall_rows.schedule(runtime, owner.org_id, oncall_rows.always(owner.user_id))
    made = run(cli, "calendar", "token", "create", "--org", org["id"], "--schedule", schedule_id)
    assert made["url"].endswith(".ics")
    listed = run(cli, "calendar", "token", "list", "--org", org["id"])
    assert [row["id"] for row in listed] == [made["id"]]
    assert "url" not in listed[0]
    revoked = run(cli, "calendar", "token", "revoke", made["id"], "--org", org["id"])
    assert revoked["revoked_at"] is not None
    assert "no calendar feed" in fails(
        cli, "calendar", "token", "revoke", "calt_x", "--org", org["id"]
    )


def test_an_external_calendar_must_be_public_https(cli: CliRunner) -> None:
    org = run(cli, "org", "create", "Acme Ops", "--country", "GB")
    assert "https" in fails(
        cli, "calendar", "add", "Rota", "http://93.184.216.34/r.ics", "--org", org["id"]
    )
    assert "not allowed" in fails(
        cli, "calendar", "add", "Rota", "https://10.1.2.3/r.ics", "--org", org["id"]
    )
    added = run(cli, "calendar", "add", "Rota", "https://93.184.216.34/r.ics", "--org", org["id"])
    assert [row["id"] for row in run(cli, "calendar", "list", "--org", org["id"])] == [added["id"]]
    run(cli, "calendar", "remove", added["id"], "--org", org["id"])
    assert run(cli, "calendar", "list", "--org", org["id"]) == []
