"""Which schema a database file is at, and whether this Tocsin knows that schema."""

from __future__ import annotations

import functools
import sqlite3

from alembic.config import Config
from alembic.script import ScriptDirectory


@functools.cache
def known_revisions() -> tuple[str, ...]:
    """Every schema revision this Tocsin's migrations make, oldest first; the last is head."""
    config = Config()
    config.set_main_option("script_location", "tocsin:migrations")
    newest_first = [
        script.revision for script in ScriptDirectory.from_config(config).walk_revisions()
    ]
    return tuple(reversed(newest_first))


def revision_of(connection: sqlite3.Connection) -> str | None:
    """The revision Alembic recorded in the database, or None where it recorded none (not a
    Tocsin database, or an empty file)."""
    has_table = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    if has_table is None:
        return None
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def has_tables(connection: sqlite3.Connection) -> bool:
    return (
        connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'").fetchone()
        is not None
    )


def is_known(revision: str) -> bool:
    return revision in known_revisions()
