"""Maintenance windows from the shell: a silence for an hour, a weekly window with matchers,
the list by state, extending, ending and deleting, and one-line refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from tests import seeded
from tests.shell import fails, run
from tocsin.runtime import Runtime


def test_windows_from_the_shell(cli: CliRunner, runtime: Runtime) -> None:
    org = seeded.person(runtime, org_name="Shell Ops").org_id
    silence = run(cli, "maintenance", "create", "--org", org, "--for", "1h", "--reason", "Deploy")
    assert (silence["state"], silence["created_by"]) == ("active", "the server's shell")
    starts = datetime.fromisoformat(silence["occurrence"]["starts_at"])
    ends = datetime.fromisoformat(silence["occurrence"]["ends_at"])
    assert ends - starts == timedelta(hours=1)
    assert abs(datetime.now(UTC) - starts) < timedelta(minutes=1)

    weekly = run(
        cli, "maintenance", "create", "--org", org, "--reason", "Sunday patching",
        "--starts", "2025-12-07T02:00+01:00", "--for", "2h", "--rrule", "FREQ=WEEKLY;BYDAY=SU",
        "--tz", "Europe/Berlin", "--match", "severity=critical", "--match", 'instance=~"db.*"',
        "--no-page-after",
    )  # fmt: skip
    assert weekly["matchers"] == [
        {"name": "severity", "op": "=", "value": "critical"},
        {"name": "instance", "op": "=~", "value": "db.*"},
    ]
    assert weekly["page_after"] is False
    assert weekly["timezone"] == "Europe/Berlin"
    next_start = datetime.fromisoformat(weekly["occurrence"]["starts_at"])
    assert next_start.astimezone(UTC).weekday() == 6  # Sunday, 02:00 in Berlin
    assert [
        row["id"] for row in run(cli, "maintenance", "list", "--org", org, "--state", "active")
    ] in (
        [silence["id"]],
        [silence["id"], weekly["id"]],  # should the test run on a Sunday night in Berlin
    )
    assert (
        run(cli, "maintenance", "show", weekly["id"], "--org", org)["reason"] == "Sunday patching"
    )

    longer = run(cli, "maintenance", "update", silence["id"], "--org", org, "--for", "3h")
    assert longer["occurrence"]["ends_at"] > silence["occurrence"]["ends_at"]
    ended = run(cli, "maintenance", "end", silence["id"], "--org", org)
    assert ended["state"] == "past"
    assert ended["ended_by"] == "the server's shell"
    past = run(cli, "maintenance", "list", "--org", org, "--state", "past")
    assert [row["id"] for row in past] == [silence["id"]]
    assert run(cli, "maintenance", "delete", weekly["id"], "--org", org) == {
        "deleted": weekly["id"]
    }
    assert [row["id"] for row in run(cli, "maintenance", "list", "--org", org)] == [silence["id"]]


def test_shell_refusals_are_one_line(cli: CliRunner, runtime: Runtime) -> None:
    org = seeded.person(runtime, org_name="Shell Ops").org_id
    create = ("maintenance", "create", "--org", org, "--reason", "x")
    assert "say how long" in fails(cli, *create)
    assert "not both" in fails(cli, *create, "--for", "1h", "--ends", "2030-01-01T00:00+00:00")
    assert "not a length" in fails(cli, *create, "--for", "an hour")
    assert "needs an offset" in fails(cli, *create, "--for", "1h", "--starts", "2030-01-01T00:00")
    assert "at most daily" in fails(cli, *create, "--for", "1h", "--rrule", "FREQ=HOURLY")
    assert "unknown time zone" in fails(cli, *create, "--for", "1h", "--tz", "Mars/Olympus")
    assert "exponential" in fails(cli, *create, "--for", "1h", "--match", "instance=~(a+)+")
    assert "not NAME=VALUE" in fails(cli, *create, "--for", "1h", "--match", "severity")
    assert "not found" in fails(cli, "maintenance", "end", "mw_nowhere", "--org", org)
    made = run(cli, *create, "--starts", "2030-01-01T00:00+00:00", "--for", "1h")
    assert "not in force" in fails(cli, "maintenance", "end", made["id"], "--org", org)
