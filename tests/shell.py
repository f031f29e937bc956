"""Running `tocsin` commands in tests: JSON out on success, one error line on failure."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from tocsin.cli import app


def run(cli: CliRunner, *args: str, stdin: str | None = None) -> Any:
    result = cli.invoke(app, [*args, "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def fails(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 1, result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("tocsin: error: ")
    return line
