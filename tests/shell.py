"""Running `tocsin` commands in tests: JSON out on success, one error line on failure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tests.factories import code_in_simulator
from tocsin.cli import app


def run(cli: CliRunner, *args: str, stdin: str | None = None) -> Any:
    result = cli.invoke(app, [*args, "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def fails(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    [line] = lines
    assert line.startswith("tocsin: error: ")
    return line


def add_verified_contact(cli: CliRunner, data_dir: Path, *args: str) -> Any:
    """`tocsin contact add ARGS`, then verify the number from the shell: send the code, read
    what the simulated phone heard, confirm it."""
    contact = run(cli, "contact", "add", *args)
    org = args[args.index("--org") + 1]
    sent = run(cli, "contact", "verify", contact["id"], "--org", org)
    code = code_in_simulator(data_dir, sent["verification_id"])
    run(cli, "contact", "confirm", contact["id"], code, "--org", org)
    return contact
