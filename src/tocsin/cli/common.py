"""What every command shares: one-line errors, the runtime, output, and auditing as the shell."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec, Protocol, TypeVar

import typer
from pydantic import ValidationError

from tocsin.cli.tables import fields, table
from tocsin.core.actors import Actor
from tocsin.core.config import Settings
from tocsin.core.errors import TocsinError
from tocsin.core.home import config_file, remember
from tocsin.core.pagination import MAX_LIMIT, Page
from tocsin.core.private_files import private_dir
from tocsin.db.engine import database_file, shown_url
from tocsin.db.session import OperationalError
from tocsin.migrations.upgrade import upgrade
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


def say(text: str) -> None:
    """A note for the person at the terminal, on stderr: --json output stays clean."""
    typer.echo(f"tocsin: {text}", err=True)


def database_named(settings: Settings) -> str:
    """The database the settings name, and how it was found."""
    url = shown_url(settings.database_url)
    home = settings.found_home
    if home is not None and settings.database_url == home.database_url:
        return f"{url} (home {home.path}, from {home.found_by})"
    return f"{url} (TOCSIN_DATABASE_URL)"


def open_runtime(*, create: bool = False, **overrides: Any) -> Runtime:
    """The runtime on the database the settings name, its schema brought up to date.

    Only the commands that set a server up or run one (`create`: quickstart, serve, worker,
    db upgrade) may make an SQLite database that is not there; every other command refuses,
    naming the database it looked for, instead of starting a new, empty one (and a new secret
    key) wherever it ran.
    `overrides` are a command's own options (such as `--port`), taking their settings' place.
    """
    settings = Settings(**overrides)
    file = database_file(settings.database_url)
    if file is not None and not file.exists():
        if not create:
            raise CliError(
                f"no database at {database_named(settings)}; set TOCSIN_HOME (or "
                "TOCSIN_DATABASE_URL) to where Tocsin's database is, or make one with "
                "`tocsin quickstart` or `tocsin db upgrade` (`tocsin where` shows the search)"
            )
        if not file.parent.exists():
            # Only a folder made here is made private: the home may be a repository, or /srv.
            private_dir(file.parent)
        say(f"creating database {database_named(settings)}")
    elif not create:
        _require_secret_key(settings)
    runtime = Runtime.from_settings(settings)
    _opened.append(runtime)
    upgrade(runtime.database)
    return runtime


def _require_secret_key(settings: Settings) -> None:
    """A database without its secret key: a new one would be generated, and every API key,
    session and sealed credential made under the old one would stop working."""
    if settings.secret_key is None and not (settings.data_dir / "secret.key").exists():
        raise CliError(
            f"no secret key at {settings.data_dir / 'secret.key'} for the database "
            f"{database_named(settings)}; give the server's TOCSIN_SECRET_KEY or "
            "TOCSIN_DATA_DIR"
        )


def remember_home(settings: Settings) -> None:
    """Name this home in the config file when there is none yet, so that `tocsin` finds the
    same database from any directory later without TOCSIN_HOME."""
    home = settings.found_home
    if home is None or home.found_by == str(config_file()):
        return
    try:
        written = remember(home)
    except OSError as error:
        say(f"could not write {config_file()} ({error.strerror}); set TOCSIN_HOME={home.path}")
        return
    if written is not None:
        say(f"wrote {written}: later commands use the home {home.path} from any directory")


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
