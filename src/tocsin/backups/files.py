"""The SQLite file a database URL names, and what a copy of one holds."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import make_url

from tocsin.backups.revisions import is_known, known_revisions, revision_of
from tocsin.core.errors import InvalidInput
from tocsin.db.engine import SQLITE_BUSY_TIMEOUT_MS, normalise_url

PG_DUMP_ADVICE = (
    "TOCSIN_DATABASE_URL names a PostgreSQL database: back it up with pg_dump and restore it "
    "with pg_restore (docs/deployment.md, 'Backups')"
)


class NotRestorable(InvalidInput):
    default_code = "not_restorable"


@dataclass(frozen=True)
class Snapshot:
    """What a Tocsin database file holds, as far as a backup or a restore needs to know."""

    path: Path
    revision: str
    newest_event_at: datetime | None


def sqlite_path(database_url: str) -> Path:
    """The file of an SQLite URL; refused, in a line that says what to use, for PostgreSQL."""
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() != "sqlite":
        raise InvalidInput(PG_DUMP_ADVICE, code="not_sqlite")
    if not url.database or url.database == ":memory:" or url.query.get("uri"):
        raise InvalidInput(f"{database_url} is not a database file", code="not_a_file")
    return Path(url.database)


@contextmanager
def opened(path: Path, *, read_only: bool) -> Iterator[sqlite3.Connection]:
    """An existing database file, never created by opening it (a mistyped path must not
    become a new, empty database). SQLite's errors become a line that names the file."""
    if not path.is_file():
        raise NotRestorable(f"{path}: no such file", code="no_such_file")
    mode = "ro" if read_only else "rw"
    try:
        connection = sqlite3.connect(
            f"file:{quote(str(path.absolute()))}?mode={mode}",
            uri=True,
            timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
        )
    except sqlite3.Error as exc:
        raise NotRestorable(f"{path}: {exc}", code="unreadable") from exc
    try:
        yield connection
    except sqlite3.Error as exc:
        raise NotRestorable(f"{path}: {exc}", code="unreadable") from exc
    finally:
        connection.close()


def tocsin_revision(connection: sqlite3.Connection, path: Path) -> str:
    """The schema revision of the Tocsin database `connection` opened; refused for any other
    file."""
    try:
        revision = revision_of(connection)
    except sqlite3.DatabaseError as exc:
        if exc.sqlite_errorcode == sqlite3.SQLITE_NOTADB:
            raise NotRestorable(f"{path} is not an SQLite database ({exc})") from exc
        raise NotRestorable(f"{path} is damaged ({exc})", code="damaged") from exc
    if revision is None:
        raise NotRestorable(f"{path} is not a Tocsin database: it records no schema revision")
    return revision


def snapshot_of(connection: sqlite3.Connection, path: Path) -> Snapshot:
    """What `connection` holds, refused unless it is an undamaged Tocsin database whose schema
    this Tocsin knows."""
    revision = tocsin_revision(connection, path)
    if not is_known(revision):
        raise NotRestorable(
            f"{path} was made by a newer Tocsin (schema {revision}; this one knows up to "
            f"{known_revisions()[-1]}): restore it with that version",
            code="newer_schema",
        )
    problems = [row[0] for row in connection.execute("PRAGMA quick_check")]
    if problems != ["ok"]:
        raise NotRestorable(f"{path} is damaged: {problems[0]}", code="damaged")
    return Snapshot(path=path, revision=revision, newest_event_at=_newest_event_at(connection))


def _newest_event_at(connection: sqlite3.Connection) -> datetime | None:
    """When the newest audit event in it was written: about when the copy was taken, so what
    happened after it is known to be missing from a restore."""
    row = connection.execute("SELECT max(created_at) FROM audit_events").fetchone()
    if row is None or row[0] is None:
        return None
    # Stored as naive UTC text (db/base.py, UTCDateTime).
    return datetime.fromisoformat(str(row[0])).replace(tzinfo=UTC)
