"""Every command's --help, read as a person would: no Python types, no Python reprs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import typer
from typer.testing import CliRunner

from tocsin.cli import app

# What typer prints when a parameter has no placeholder (`<list[str]>`, `<int>`, `<path>`),
# and the reprs of enums and containers a default would show.
PYTHON_IN_HELP = re.compile(
    r"<(?:str|int|float|bool|path|file|datetime|list\[[^>]*\]|[\w|]+ range)>"
    r"|\b(?:list|dict|tuple|set)\[|\b[A-Z][A-Za-z]+\.[A-Z_]{2,}\b|\bNone\b"
)


def _command_lines(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    if hasattr(command, "list_commands"):
        # Through the group's own lookup: `tocsin` builds its commands when asked for them.
        context = typer.Context(command)
        for name in command.list_commands(context):
            yield from _command_lines(command.get_command(context, name), (*path, name))


def test_no_help_text_shows_python_types() -> None:
    runner = CliRunner()
    commands = list(_command_lines(typer.main.get_command(app)))
    assert len(commands) > 100  # the walk reached the nested groups too
    offending = {}
    for path in commands:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        found = PYTHON_IN_HELP.findall(result.stdout)
        if found:
            offending[" ".join(path)] = found
    assert offending == {}


def test_options_and_arguments_have_placeholders() -> None:
    shown = CliRunner().invoke(app, ["key", "create", "--help"]).stdout
    assert "--org ORG " in shown
    assert "--scope [ingest|read|write]" in shown
    shown = CliRunner().invoke(app, ["endpoint", "create", "--help"]).stdout
    assert "endpoint create [OPTIONS] NAME\n" in shown


def test_the_pattern_catches_what_typer_printed_before() -> None:
    assert PYTHON_IN_HELP.search("--contact <list[str]>  Contact id")
    assert PYTHON_IN_HELP.search("--role <member|admin|owner>  [default: Role.MEMBER]")
    assert not PYTHON_IN_HELP.search("--file FILE  Lines of REGION<TAB>NUMBER ('-' for stdin).")
