"""The lazy command table (cli/root.py COMMANDS) against what the command modules declare."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from typing import Any

import typer
import typer.main

import tocsin.cli
from tocsin.cli.root import COMMANDS, app


def _import_every_command_module() -> None:
    for module in pkgutil.iter_modules(tocsin.cli.__path__):
        importlib.import_module(f"tocsin.cli.{module.name}")


def _declaring_modules(sub: typer.Typer) -> set[str]:
    modules = {info.callback.__module__ for info in sub.registered_commands if info.callback}
    for nested in sub.registered_groups:
        assert nested.typer_instance is not None
        modules |= _declaring_modules(nested.typer_instance)
    return modules


def _declared() -> dict[str, set[str]]:
    """Every top-level command and group, with the modules that declare it or its commands."""
    _import_every_command_module()
    declared: dict[str, set[str]] = {}
    for command in app.registered_commands:
        assert command.callback is not None
        name = command.name or command.callback.__name__.replace("_", "-")
        declared[name] = {command.callback.__module__}
    for group in app.registered_groups:
        assert group.name is not None
        assert group.typer_instance is not None
        declared[group.name] = _declaring_modules(group.typer_instance)
    return declared


def test_the_table_names_every_command_and_every_module_that_declares_one() -> None:
    declared = _declared()
    assert set(COMMANDS) == set(declared)
    for name, entry in COMMANDS.items():
        # Importing an entry's modules must declare all of its commands.
        assert {f"tocsin.cli.{module}" for module in entry.modules} >= declared[name], name


def test_the_listed_summary_is_the_commands_own() -> None:
    _import_every_command_module()
    built: Any = typer.main.get_command(app)
    for name, entry in COMMANDS.items():
        command = built.get_command(None, name)
        assert command.get_short_help_str(limit=1000) == entry.summary, name


def _modules_after(*argv: str) -> set[str]:
    """The modules a fresh `tocsin ARGV` process has imported when it exits."""
    script = (
        "import sys\n"
        f"sys.argv = ['tocsin', *{list(argv)!r}]\n"
        "from tocsin.cli import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    print('\\n'.join(sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    return set(done.stderr.splitlines())


def test_help_imports_no_command_module() -> None:
    loaded = _modules_after("--help")
    assert "tocsin.cli.root" in loaded
    assert not {name for name in loaded if name.startswith("tocsin.cli.")} - {"tocsin.cli.root"}
    assert "pydantic" not in loaded


def test_screen_imports_neither_the_server_nor_the_database() -> None:
    loaded = _modules_after("screen", "+447400123456")
    assert "tocsin.cli.screening" in loaded
    assert not {"tocsin.runtime", "tocsin.cli.admin", "sqlalchemy", "alembic"} & loaded


def test_a_group_another_command_loaded_in_part_is_complete_when_run() -> None:
    # `key` loads admin.py, which declares `contact add`; the rest of `contact` is elsewhere.
    script = (
        "from typer.testing import CliRunner\n"
        "from tocsin.cli import app\n"
        "runner = CliRunner()\n"
        "assert runner.invoke(app, ['key', '--help']).exit_code == 0\n"
        "print(runner.invoke(app, ['contact', '--help']).stdout)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert "verify" in done.stdout
    assert "add" in done.stdout
