"""What every command shares: one-line errors, the runtime, output, and auditing as the shell."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar

import typer
from pydantic import ValidationError

from tocsin.cli.tables import fields, table
from tocsin.core.actors import Actor
from tocsin.core.errors import TocsinError
from tocsin.core.pagination import MAX_LIMIT, Page

if TYPE_CHECKING:
    # Only a type here: importing the runtime would import the whole server into every
    # command, `tocsin screen` included (cli/database.py opens runtimes).
    from tocsin.runtime import Runtime

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

CLI_ACTOR = Actor("cli", "shell")


class CliError(Exception):
    pass


# The runtimes the running command opened, and how deep in decorated commands we are: each is
# closed when the outermost command returns. A shell's process ends anyway, but one that runs
# many commands (a test runner, say) would keep every command's connection pool open until
# the database refused new clients.
_opened: list[Runtime] = []
_depth = [0]


def close_after_command(runtime: Runtime) -> None:
    """Close this runtime's database when the outermost running command returns."""
    _opened.append(runtime)


def _close_opened() -> None:
    while _opened:
        _opened.pop().database.dispose()


def _database_refusal(exc: Exception) -> str | None:
    """The first line of the database's own message when `exc` says it is down, unreachable,
    locked or refuses us, else None.

    Only SQLAlchemy raises that, and only once a command has imported it: a command that never
    opens a database (`screen`, `where`) does not import SQLAlchemy merely to recognise it.
    """
    session = sys.modules.get("tocsin.db.session")
    if session is None or not isinstance(exc, session.OperationalError):
        return None
    return str(exc.orig or exc).strip().splitlines()[0]


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
        except Exception as exc:
            # The database's own first line says what is wrong; a traceback would bury it.
            refusal = _database_refusal(exc)
            if refusal is None:
                raise
            fail(f"database: {refusal}")
        finally:
            _depth[0] -= 1
            if _depth[0] == 0:
                _close_opened()
        raise AssertionError("unreachable")

    return wrapper


def say(text: str) -> None:
    """A note for the person at the terminal, on stderr: --json output stays clean."""
    typer.echo(f"tocsin: {text}", err=True)


def emit(as_json: bool, data: Any, human: str) -> None:
    typer.echo(json.dumps(data, indent=2, default=str) if as_json else human)


class PagedList(Protocol[T]):
    def __call__(self, *, limit: int, cursor: str | None) -> Page[T]: ...


def every(fetch: PagedList[T]) -> list[T]:
    """Every item of a paged list, page after page: a shell lists them all, where the API
    hands out a page at a time."""
    items: list[T] = []
    cursor: str | None = None
    while True:
        page = fetch(limit=MAX_LIMIT, cursor=cursor)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


def emit_table(
    as_json: bool, rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, empty: str
) -> None:
    """A list: the rows as JSON, or as an aligned table of some of their fields."""
    emit(as_json, list(rows), table(rows, columns, empty=empty))


def emit_item(as_json: bool, item: Mapping[str, Any], keys: Sequence[str] | None = None) -> None:
    """One thing: as JSON, or as aligned `field  value` lines (`keys`, else every field)."""
    emit(as_json, item, fields(item, keys))


JsonOption = typer.Option(False, "--json", help="Print JSON instead of text.")
OrgOption = typer.Option(..., "--org", help="Organization id or slug.")
