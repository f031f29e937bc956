"""Rotations and schedules from the shell: build a schedule, ask who is on call, override it,
add a holiday, and the one-line refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from tests import seeded
from tests.oncall.schedule_rows import named_member
from tests.shell import fails, run
from tocsin.runtime import Runtime


def test_a_schedule_from_the_shell(cli: CliRunner, runtime: Runtime, tmp_path: Path) -> None:
    org = seeded.person(runtime, org_name="Shell Ops").org_id
    ana = named_member(runtime, org, "Ana")
    ben = named_member(runtime, org, "Ben")
    rotation = run(
        cli, "rotation", "create", "Daily", "--org", org, "--participants", f"{ana},{ben}",
        "--unit", "days", "--timezone", "Europe/London", "--start", "2026-01-01T09:00+00:00",
    )  # fmt: skip
    assert rotation["participants"] == [ana, ben]
    assert [row["id"] for row in run(cli, "rotation", "list", "--org", org)] == [rotation["id"]]
    assert run(cli, "rotation", "show", rotation["id"], "--org", org)["unit"] == "days"
    updated = run(cli, "rotation", "update", rotation["id"], "--org", org, "--name", "Nightly")
    assert updated["name"] == "Nightly"

    schedule = run(
        cli, "schedule", "create", "Platform", "--org", org, "--timezone", "Europe/London",
        "--layer", f"Primary=rotation:{rotation['id']}",
    )  # fmt: skip
    sid = schedule["id"]
    now = run(cli, "schedule", "oncall", sid, "--org", org)
    assert len(now["user_ids"]) == 1
    on_call = now["user_ids"][0]
    other = ben if on_call == ana else ana
    assert now["description"].startswith("Platform: ")
    assert len(run(cli, "schedule", "shifts", sid, "--org", org, "--next", "3")) == 3

    until = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    override = run(
        cli, "schedule", "override", "add", sid, "--org", org, "--kind", "replace",
        "--user", other, "--replaces", on_call, "--until", until,
    )  # fmt: skip
    swapped = run(cli, "schedule", "oncall", sid, "--org", org)
    assert swapped["user_ids"] == [other]
    assert "(override for " in swapped["description"]
    assert [row["id"] for row in run(cli, "schedule", "override", "list", sid, "--org", org)] == [
        override["id"]
    ]
    run(cli, "schedule", "override", "remove", sid, override["id"], "--org", org)
    assert run(cli, "schedule", "override", "list", sid, "--org", org) == []

    begins = datetime.now(UTC) + timedelta(days=3)
    period = (begins.isoformat(), (begins + timedelta(days=1)).isoformat())
    holiday = run(
        cli, "schedule", "temporary", "add", sid, "--org", org, "--from", period[0],
        "--until", period[1], "--shift", f"{ana}@{period[0]}/{period[1]}",
    )  # fmt: skip
    assert len(holiday["shifts"]) == 1
    assert len(run(cli, "schedule", "temporary", "list", sid, "--org", org)) == 1
    run(cli, "schedule", "temporary", "remove", sid, holiday["id"], "--org", org)

    layers = tmp_path / "layers.json"
    layers.write_text(
        json.dumps(
            [
                {"name": "Primary", "rotation_id": rotation["id"]},
                {
                    "name": "Office",
                    "user_ids": [ana],
                    "restrictions": [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}],
                },
            ]
        )
    )
    changed = run(cli, "schedule", "layers", sid, "--org", org, "--file", str(layers))
    assert [layer["name"] for layer in changed["layers"]] == ["Primary", "Office"]
    assert run(cli, "schedule", "show", sid, "--org", org)["layers"][1]["user_ids"] == [ana]

    assert "is still used by schedule 'Platform'" in fails(
        cli, "rotation", "delete", rotation["id"], "--org", org
    )
    run(cli, "schedule", "delete", sid, "--org", org)
    run(cli, "rotation", "delete", rotation["id"], "--org", org)
    assert run(cli, "schedule", "list", "--org", org) == []


def test_shell_refusals_are_one_line(cli: CliRunner, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Shell Ops")
    org = owner.org_id
    assert "unknown time zone" in fails(
        cli, "rotation", "create", "R", "--org", org, "--participants", owner.user_id,
        "--timezone", "Mars/Base", "--start", "2026-01-01T09:00+00:00",
    )  # fmt: skip
    assert "needs an offset" in fails(
        cli, "rotation", "create", "R", "--org", org, "--participants", owner.user_id,
        "--timezone", "UTC", "--start", "2026-01-01T09:00",
    )  # fmt: skip
    assert "member not found" in fails(
        cli, "schedule", "create", "S", "--org", org, "--timezone", "UTC",
        "--layer", "Fixed=users:usr_nobody",
    )  # fmt: skip
    assert "use NAME=rotation:ID" in fails(
        cli, "schedule", "create", "S", "--org", org, "--timezone", "UTC", "--layer", "oops"
    )
    assert "schedule not found" in fails(cli, "schedule", "oncall", "sch_nowhere", "--org", org)
