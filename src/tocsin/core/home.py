"""Tocsin's home: the folder that holds the SQLite database and the data directory when
TOCSIN_DATABASE_URL and TOCSIN_DATA_DIR do not say where they are.

It is found the same way from any working directory, so `tocsin` run from another folder reads
the same database instead of making a new, empty one (and a new secret key) where it stands:
1. TOCSIN_HOME;
2. else the `home` that the config file names (`$XDG_CONFIG_HOME/tocsin/config.toml`, written
   by the first `tocsin quickstart` or `tocsin serve` that found no config file);
3. else a fixed folder per user, `$XDG_DATA_HOME/tocsin` (`~/.local/share/tocsin`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tocsin.core.errors import InvalidInput
from tocsin.core.private_files import private_dir, write_private

DATABASE_FILE = "tocsin.db"
DATA_FOLDER = "tocsin-data"


@dataclass(frozen=True)
class Home:
    path: Path
    # How it was found, said wherever the database is named: "TOCSIN_HOME", the config
    # file's path, or "the default".
    found_by: str

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.path / DATABASE_FILE}"

    @property
    def data_dir(self) -> Path:
        return self.path / DATA_FOLDER


def _user_folder(environ: Mapping[str, str], variable: str, fallback: str) -> Path:
    """An XDG base directory: the variable when it holds an absolute path (the specification
    says to ignore a relative one), else its fallback under the user's home."""
    given = environ.get(variable, "")
    if given and Path(given).is_absolute():
        return Path(given)
    return Path(environ.get("HOME") or Path.home()) / fallback


def config_file(environ: Mapping[str, str] = os.environ) -> Path:
    return _user_folder(environ, "XDG_CONFIG_HOME", ".config") / "tocsin" / "config.toml"


def default_home(environ: Mapping[str, str] = os.environ) -> Path:
    return _user_folder(environ, "XDG_DATA_HOME", ".local/share") / "tocsin"


def find_home(given: Path | None, environ: Mapping[str, str] = os.environ) -> Home:
    """The home TOCSIN_HOME (`given`) names, else the config file's, else the default."""
    if given is not None:
        return Home(given.expanduser().absolute(), "TOCSIN_HOME")
    path = config_file(environ)
    named = _home_in(path)
    if named is not None:
        return Home(named, str(path))
    return Home(default_home(environ), "the default")


def _home_in(path: Path) -> Path | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise InvalidInput(f"config file {path}: {error.strerror}", code="bad_config") from None
    try:
        home = tomllib.loads(text).get("home")
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"config file {path}: {error}", code="bad_config") from None
    if home is None:
        return None
    if not isinstance(home, str) or not Path(home).expanduser().is_absolute():
        raise InvalidInput(
            f'config file {path}: home must be an absolute path, e.g. home = "/srv/tocsin"',
            code="bad_config",
        )
    return Path(home).expanduser()


def remember(home: Home, environ: Mapping[str, str] = os.environ) -> Path | None:
    """Write a config file naming `home` when there is none, so that later commands find this
    home from any directory without TOCSIN_HOME. An existing config file is the person's own
    choice and is never rewritten. Returns the file written, if any."""
    path = config_file(environ)
    if path.exists():
        return None
    private_dir(path.parent)
    # json.dumps would quote the same way; TOML basic strings share JSON's escapes.
    quoted = str(home.path).replace("\\", "\\\\").replace('"', '\\"')
    text = (
        "# Where Tocsin keeps its database and data directory when TOCSIN_HOME,\n"
        "# TOCSIN_DATABASE_URL and TOCSIN_DATA_DIR are not set (`tocsin where` shows it).\n"
        f'home = "{quoted}"\n'
    )
    try:
        write_private(path, text.encode("utf-8"), exclusive=True)
    except FileExistsError:
        return None  # another command wrote one meanwhile: theirs stands
    return path
