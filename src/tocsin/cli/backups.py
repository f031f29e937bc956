"""`tocsin backup` and `tocsin restore`: the SQLite database copied out and put back."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from tocsin.backups.commands import restore_backup, take_backup
from tocsin.cli.common import CLI_ACTOR, CliError, JsonOption, emit, friendly_errors
from tocsin.cli.root import app
from tocsin.core.clock import SystemClock
from tocsin.core.config import Settings


def _secret_key_reminder(settings: Settings) -> str:
    """A backup without its secret key restores a database whose API keys, sessions and
    sealed provider credentials no longer open: say where the key is, every time."""
    if settings.secret_key is not None:
        where = "TOCSIN_SECRET_KEY"
    else:
        where = str(settings.data_dir / "secret.key")
    return (
        f"The secret key is not in the backup: keep {where} as safely, apart from it "
        "(docs/deployment.md, 'Backups')."
    )


@app.command("backup")
@friendly_errors
def backup(
    path: str = typer.Argument(
        ..., metavar="PATH", help="File to write, or a folder to write tocsin-<UTC time>.db in."
    ),
    force: bool = typer.Option(False, "--force", help="Replace the file if it exists."),
    as_json: bool = JsonOption,
) -> None:
    """Copy the SQLite database while Tocsin runs (SQLite's online backup API).

    PostgreSQL: use pg_dump (docs/deployment.md).
    """
    # Path() drops a trailing slash, which says a folder was meant: never a file of its name.
    if path.endswith(os.sep) and not Path(path).is_dir():
        raise CliError(f"{path}: no such folder")
    settings = Settings()
    taken = take_backup(settings.database_url, Path(path), now=SystemClock().now(), overwrite=force)
    newest = taken.newest_event_at.isoformat() if taken.newest_event_at else None
    emit(
        as_json,
        {"path": str(taken.path), "revision": taken.revision, "newest_event_at": newest},
        f"Backed up to {taken.path} (schema {taken.revision}).\n{_secret_key_reminder(settings)}",
    )


@app.command("restore")
@friendly_errors
def restore(
    path: Path = typer.Argument(..., metavar="PATH", help="A backup made by `tocsin backup`."),
    force: bool = typer.Option(
        False, "--force", help="Replace the database TOCSIN_DATABASE_URL names if it exists."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Put a backup in place of the SQLite database; stop every Tocsin process first.

    The backup must be a Tocsin database of a schema this version knows; it is brought up to
    date as it is restored.
    """
    settings = Settings()
    restored = restore_backup(
        settings.database_url, path, actor=CLI_ACTOR, now=SystemClock().now(), replace=force
    )
    newest = restored.snapshot.newest_event_at
    notes = (
        f"Anything after {newest:%Y-%m-%d %H:%M:%S} UTC (its newest event) is not in it."
        if newest
        else "It holds no audit events."
    )
    if restored.set_aside is not None:
        notes += f"\nThe unreadable database it replaced is kept as {restored.set_aside}."
    emit(
        as_json,
        {
            "database": str(restored.database),
            "backup": str(path),
            "backup_revision": restored.snapshot.revision,
            "revision": restored.revision,
            "replaced_revision": restored.replaced_revision,
            "newest_event_at": newest.isoformat() if newest else None,
            "set_aside": str(restored.set_aside) if restored.set_aside else None,
        },
        f"Restored {path} into {restored.database} (schema {restored.snapshot.revision}, "
        f"now {restored.revision}).\n{notes}\nStart Tocsin again with the secret key this "
        "backup was made under.",
    )
