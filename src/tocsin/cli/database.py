"""The database a command works on: found, made only by the commands that set a server up, its
schema brought up to date, and opened as the runtime the command uses."""

from __future__ import annotations

from typing import Any

from tocsin.cli.common import CliError, close_after_command, say
from tocsin.core.config import Settings
from tocsin.core.home import config_file, remember
from tocsin.core.private_files import private_dir
from tocsin.db.engine import database_file, shown_url
from tocsin.migrations.current import upgrade_unless_current
from tocsin.runtime import Runtime


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
    close_after_command(runtime)
    upgrade_unless_current(runtime.database)
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
