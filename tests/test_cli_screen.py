"""`tocsin screen`: a table of verdicts, and an exit status a script can act on."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tocsin.cli import app

ALLOWED = "+447400123456"
FICTIONAL = "+441632960000"  # Ofcom's drama range: never a real phone


def test_exit_status_is_0_only_when_every_number_is_allowed() -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["screen", ALLOWED]).exit_code == 0
    mixed = runner.invoke(app, ["screen", ALLOWED, FICTIONAL])
    assert mixed.exit_code == 1
    assert runner.invoke(app, ["screen", FICTIONAL, "--json"]).exit_code == 1


def test_verdicts_are_an_aligned_table_in_input_order() -> None:
    result = CliRunner().invoke(app, ["screen", FICTIONAL, ALLOWED])
    header, blocked, allowed = result.stdout.splitlines()
    assert header.split() == ["verdict", "e164", "number", "reasons"]
    assert blocked.startswith("block ")
    assert "test_number" in blocked
    assert allowed.startswith("allow ")
    # Each column starts where its header does.
    assert header.index("e164") == blocked.index("+") == allowed.index("+")
    assert header.index("reasons") == blocked.index("test_number")


def test_json_is_one_verdict_a_line() -> None:
    result = CliRunner().invoke(app, ["screen", ALLOWED, FICTIONAL, "--json"])
    verdicts = [json.loads(line) for line in result.stdout.splitlines()]
    assert [v["verdict"] for v in verdicts] == ["allow", "block"]
