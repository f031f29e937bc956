"""What every command shares: one-line errors, the runtime, output, and auditing as the shell."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import typer
from pydantic import ValidationError

from tocsin.core.actors import Actor
from tocsin.core.config import Settings
from tocsin.core.errors import TocsinError
from tocsin.db.session import OperationalError
from tocsin.migrations.upgrade import upgrade
from tocsin.runtime import Runtime

P = ParamSpec("P")
R = TypeVar("R")

CLI_ACTOR = Actor("cli", "shell")


class CliError(Exception):
    pass


# The runtimes the running command opened, and how deep in decorated commands we are: each is
# closed when the outermost command returns. A shell's process ends anyway, but one that runs
# many commands (a test runner, say) would keep every command's connection pool open until
# the database refused new clients.
_opened: list[Runtime] = []
_depth = [0]


def _close_opened() -> None:
    while _opened:
        _opened.pop().database.dispose()


def fail(message: str) -> None:
    typer.echo(f"tocsin: error: {message}", err=True)
    raise typer.Exit(code=1)


def friendly_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn every expected failure into one line on stderr and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        _depth[0] += 1
        try:
            return command(*args, **kwargs)
        except TocsinError as exc:
            fail(exc.cli_message or exc.message)
        except CliError as exc:
            fail(str(exc))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            fail(f"bad setting {where.upper() and 'TOCSIN_' + where.upper()}: {first['msg']}")
        except OSError as exc:
            fail(str(exc))
        except OperationalError as exc:
            # The database is down, unreachable, locked or refuses us: its own first line says
            # which, and a traceback would only bury it.
            fail(f"database: {str(exc.orig or exc).strip().splitlines()[0]}")
        finally:
            _depth[0] -= 1
            if _depth[0] == 0:
                _close_opened()
        raise AssertionError("unreachable")

    return wrapper


def open_runtime(**settings: Any) -> Runtime:
    """The runtime on TOCSIN_* settings, with `settings` (a command's own options, such as
    `--port`) taking their place."""
    runtime = Runtime.from_settings(Settings(**settings))
    _opened.append(runtime)
    upgrade(runtime.database)
    return runtime


def emit(as_json: bool, data: Any, human: str) -> None:
    typer.echo(json.dumps(data, indent=2, default=str) if as_json else human)


JsonOption = typer.Option(False, "--json", help="Print JSON instead of text.")
OrgOption = typer.Option(..., "--org", help="Organization id or slug.")
