"""People and projects from the shell: a member's numbers verified and ordered into rules, and a
project holding members and an endpoint."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests import seeded
from tests.factories import code_in_simulator
from tests.shell import fails, run
from tocsin.runtime import Runtime


def test_a_members_numbers_and_rules_set_from_the_shell(
    cli: CliRunner, runtime: Runtime, data_dir: Path
) -> None:
    owner = seeded.person(runtime, org_name="Shell people")
    org, ana = owner.org_id, seeded.member(runtime, owner.org_id).user_id
    mobile = run(cli, "people", "add-number", ana, "+447400600001", "--org", org)
    text = run(
        cli, "people", "add-number", ana, "+447400600002", "--org", org,
        "--method", "sms", "--name", "mobile texts",
    )  # fmt: skip
    for number in (mobile, text):
        sent = run(cli, "people", "verify", ana, number["id"], "--org", org)
        code = code_in_simulator(data_dir, sent["verification_id"])
        run(cli, "people", "verify", ana, number["id"], "--org", org, "--code", code)
    rules = run(
        cli, "people", "set-rules", ana, "--org", org,
        "--rule", f"voice:{mobile['id']}:0", "--rule", f"sms:{text['id']}:0", "--rule", "email:5",
    )  # fmt: skip
    assert [(r["method"], r["delay_minutes"]) for r in rules] == [
        ("voice", 0),
        ("sms", 0),
        ("email", 5),
    ]
    shown = run(cli, "people", "show", ana, "--org", org)
    assert [(n["method"], n["verified"]) for n in shown["numbers"]] == [
        ("voice", True),
        ("sms", True),
    ]
    assert run(cli, "people", "rules", ana, "--org", org) == rules
    assert {p["user_id"] for p in run(cli, "people", "list", "--org", org)} == {
        owner.user_id,
        ana,
    }
    wrong = fails(cli, "people", "set-rules", ana, "--org", org, "--rule", f"sms:{mobile['id']}:0")
    assert "sms" in wrong
    assert "a rule is" in fails(cli, "people", "set-rules", ana, "--org", org, "--rule", "call")
    run(cli, "people", "remove-number", ana, text["id"], "--org", org)
    assert run(cli, "people", "rules", ana, "--org", org) == [rules[0], rules[2]]


def test_a_project_from_the_shell(cli: CliRunner, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Shell projects")
    org, ana = owner.org_id, seeded.member(runtime, owner.org_id).user_id
    endpoint = seeded.endpoint(runtime, org)
    project = run(cli, "project", "create", "Platform", "--org", org, "--restricted")
    assert project["restricted"] is True
    run(cli, "project", "add-member", project["id"], ana, "--org", org, "--can-edit")
    moved = run(cli, "project", "move-endpoint", endpoint, "--org", org, "--project", project["id"])
    assert moved["project_id"] == project["id"]
    shown = run(cli, "project", "show", project["id"], "--org", org)
    assert [(m["user_id"], m["can_edit"]) for m in shown["members"]] == [(ana, True)]
    assert [e["id"] for e in shown["endpoints"]] == [endpoint]
    run(cli, "project", "update", project["id"], "--org", org, "--name", "Core", "--unrestricted")
    assert [(p["name"], p["restricted"]) for p in run(cli, "project", "list", "--org", org)] == [
        ("Core", False)
    ]
    run(cli, "project", "remove-member", project["id"], ana, "--org", org)
    run(cli, "project", "delete", project["id"], "--org", org)
    assert run(cli, "project", "list", "--org", org) == []
    assert "project not found" in fails(cli, "project", "show", project["id"], "--org", org)
