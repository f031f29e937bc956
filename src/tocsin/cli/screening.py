"""`tocsin screen`: judge numbers under the platform policy, without a database or a server.

It imports only the screen and the settings, so a script can call it for each number."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from tocsin.cli.common import CliError, JsonOption, friendly_errors
from tocsin.cli.root import app
from tocsin.cli.tables import table
from tocsin.core.config import Settings
from tocsin.safety import ScreeningContext, screen


@app.command("screen")
@friendly_errors
def screen_numbers(
    numbers: list[str] = typer.Argument(None, metavar="NUMBER", help="Numbers to judge, as typed."),
    region: str | None = typer.Option(None, help="Country (ISO 3166) for national formats."),
    file: Path | None = typer.Option(None, help="Lines of REGION<TAB>NUMBER ('-' for stdin)."),
    as_json: bool = JsonOption,
) -> None:
    """Judge numbers under the platform policy (every non-sanctioned country allowed).

    Prints one line per number in input order; with --json, one JSON object per line. Exits 0
    when every number is allowed, 1 when any is blocked.
    """
    requests: list[tuple[str | None, str]] = [(region, number) for number in numbers or []]
    if file is not None:
        requests += _screen_file_lines(file)
    if not requests:
        raise CliError("give numbers to screen, or --file")
    context = ScreeningContext(sanctioned_regions=Settings().sanctioned_region_set())
    verdicts = [(number, screen(number, line_region, context)) for line_region, number in requests]
    if as_json:
        for _, verdict in verdicts:
            typer.echo(json.dumps(verdict.as_dict(), ensure_ascii=False))
    else:
        rows = [
            {
                "verdict": verdict.verdict,
                "e164": verdict.e164,
                "number": number,
                "reasons": "; ".join(f"{r.code.value}: {r.message}" for r in verdict.reasons),
            }
            for number, verdict in verdicts
        ]
        typer.echo(table(rows, ["verdict", "e164", "number", "reasons"], empty=""))
    if any(not verdict.allowed for _, verdict in verdicts):
        # A script asks `tocsin screen N && add N`: a blocked number must stop it.
        raise typer.Exit(code=1)


def _screen_file_lines(file: Path) -> list[tuple[str | None, str]]:
    text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    requests: list[tuple[str | None, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        line_region, tab, number = line.partition("\t")
        if not tab:
            line_region, number = "", line
        requests.append((line_region.strip() or None, number.strip()))
    return requests
