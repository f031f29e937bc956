"""`tocsin backup` and `tocsin restore`: an SQLite database copied whole while Tocsin runs, and
put back in place of the one Tocsin uses.

Both copy with SQLite's online backup API (https://www.sqlite.org/backup.html, Python's
`sqlite3.Connection.backup`): a copy of one consistent moment of the database, taken page by
page while other processes go on reading and writing it, where copying the file could catch a
write half done and miss what is still in the write-ahead log.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tocsin.audit.actions import AuditAction
from tocsin.audit.log import record
from tocsin.backups.files import (
    NotRestorable,
    Snapshot,
    opened,
    snapshot_of,
    sqlite_path,
    tocsin_revision,
)
from tocsin.backups.revisions import has_tables, is_known, known_revisions, revision_of
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict
from tocsin.core.private_files import private_dir, write_private
from tocsin.db.engine import Database
from tocsin.migrations.upgrade import upgrade


@dataclass(frozen=True)
class Restored:
    snapshot: Snapshot
    database: Path
    # The schema of the database it replaced, None where there was none.
    replaced_revision: str | None
    # The schema it has now: this Tocsin's newest, whatever the backup's was.
    revision: str
    # Where the database it replaced was moved, when SQLite could not read it.
    set_aside: Path | None


def backup_name(now: datetime) -> str:
    """The file name of a backup written into a folder: sorts by time, names no host."""
    return f"tocsin-{now:%Y%m%dT%H%M%SZ}.db"


def take_backup(
    database_url: str, destination: Path, *, now: datetime, overwrite: bool
) -> Snapshot:
    """Copy the database `database_url` names into `destination` (a file, or a folder to write
    a time-stamped file in), and return what the copy holds.

    The copy is a plain database file, 0600 (it holds everything Tocsin knows but the secret
    key), written under a temporary name and given its own only once it is whole and checked,
    so a backup that failed or was interrupted never looks like one that worked."""
    source = sqlite_path(database_url)
    if destination.is_dir():
        destination = destination / backup_name(now)
    if destination.exists() and not overwrite:
        raise Conflict(f"{destination} exists; name another file, or add --force to replace it")
    draft = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
    write_private(draft, b"", exclusive=True)
    try:
        with opened(source, read_only=False) as live, opened(draft, read_only=False) as copy:
            # Checked first, so a TOCSIN_DATABASE_URL that names the wrong file is said at once.
            tocsin_revision(live, source)
            live.backup(copy)
            # One self-contained file: the live database's write-ahead log mode would make
            # every reader of the copy create -wal and -shm files beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
            taken = snapshot_of(copy, destination)
        os.replace(draft, destination)
    finally:
        draft.unlink(missing_ok=True)
    return taken


def restore_backup(
    database_url: str, backup: Path, *, actor: Actor, now: datetime, replace: bool
) -> Restored:
    """Put the backup `backup` in place of the database `database_url` names, bring it to this
    Tocsin's schema, and record the restore in it.

    Refused unless the backup is an undamaged Tocsin database of a schema this Tocsin knows; a
    database already there is replaced only when `replace` says so, and never one of a schema
    newer than this Tocsin knows: that is the only copy of what a newer version wrote, so it is
    moved aside by hand, on purpose, or not at all.
    Tocsin's processes must be stopped: a worker that goes on running would go on from what it
    held in memory, against a database that no longer says so."""
    target = sqlite_path(database_url)
    if target.exists() and target.resolve() == backup.resolve():
        raise NotRestorable(f"{backup} is the database TOCSIN_DATABASE_URL names")
    with opened(backup, read_only=True) as source:
        snapshot = snapshot_of(source, backup)
        replaced, set_aside = _make_room(target, replace=replace, now=now)
        if not target.exists():
            private_dir(target.parent)
            write_private(target, b"", exclusive=True)  # 0600 from its first byte
        with opened(target, read_only=False) as destination:
            source.backup(destination)
    database = Database(f"sqlite:///{target}")
    try:
        upgrade(database)
        with database.write() as session:
            record(
                session,
                actor=actor,
                action=AuditAction.DATABASE_RESTORED,
                at=now,
                details={
                    "backup": str(backup),
                    "backup_revision": snapshot.revision,
                    "newest_event_at": snapshot.newest_event_at
                    and snapshot.newest_event_at.isoformat(),
                    "replaced_revision": replaced,
                    "set_aside": set_aside and str(set_aside),
                },
            )
    finally:
        database.dispose()
    return Restored(
        snapshot=snapshot,
        database=target,
        replaced_revision=replaced,
        revision=known_revisions()[-1],
        set_aside=set_aside,
    )


def _make_room(target: Path, *, replace: bool, now: datetime) -> tuple[str | None, Path | None]:
    """Check the database at `target` may be replaced, and set it aside if SQLite cannot read
    it (a restore's usual reason): the backup API can only write into a database it can read.
    Returns its schema revision (None where it had none) and where it was set aside."""
    if not target.exists():
        return None, None
    unreadable: str | None = None
    with opened(target, read_only=True) as current:
        try:
            revision = revision_of(current)
            occupied = has_tables(current)
        except sqlite3.DatabaseError as exc:
            revision, occupied, unreadable = None, True, str(exc)
    if revision is not None and not is_known(revision):
        raise Conflict(
            f"{target} has schema {revision}, newer than this Tocsin knows: it holds what a "
            "newer version wrote, so it is never replaced here; move it aside yourself if you "
            "mean to, then restore again",
            code="newer_schema",
        )
    if occupied and not replace:
        held = (
            f"unreadable: {unreadable}"
            if unreadable
            else f"schema {revision}"
            if revision
            else "not one of Tocsin's"
        )
        raise Conflict(
            f"{target} holds a database ({held}); stop every Tocsin process, then add --force "
            "to replace it with the backup",
            code="database_exists",
        )
    if unreadable is None:
        return revision, None
    return None, _set_aside(target, now)


def _set_aside(target: Path, now: datetime) -> Path:
    """Move an unreadable database and its journal files to a name of their own, kept for
    whoever wants to know what broke it."""
    kept = target.with_name(f"{target.name}.unreadable-{now:%Y%m%dT%H%M%SZ}")
    for suffix in ("", "-wal", "-shm", "-journal"):
        companion = target.with_name(target.name + suffix)
        if companion.exists():
            os.replace(companion, kept.with_name(kept.name + suffix))
    return kept
