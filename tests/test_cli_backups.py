"""`tocsin backup` and `tocsin restore` on SQLite, through the real command line.

The copy is taken with SQLite's online backup API (https://www.sqlite.org/backup.html; Python's
`sqlite3.Connection.backup`): what other connections committed is in it, also while it is only
in the write-ahead log, and what a writer has not committed is not, and the writer is not made
to wait. A restore takes only undamaged Tocsin databases of a schema this Tocsin knows, and
never replaces a database without --force, nor one of a newer schema at all.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests import seeded
from tests.conftest import TEST_SECRET, settings_for
from tests.shell import fails, run
from tocsin.backups.revisions import known_revisions
from tocsin.cli import app
from tocsin.cli.common import CLI_ACTOR
from tocsin.core.clock import ManualClock
from tocsin.db.engine import Database
from tocsin.migrations.upgrade import upgrade
from tocsin.organizations import commands as organizations
from tocsin.runtime import Runtime


@pytest.fixture
def live(tmp_path: Path, sqlite_template: Path) -> Path:
    """A migrated SQLite database, the file TOCSIN_DATABASE_URL names."""
    path = tmp_path / "live" / "tocsin.db"
    path.parent.mkdir(mode=0o700)
    shutil.copyfile(sqlite_template, path)
    path.chmod(0o600)
    return path


@pytest.fixture
def shell(live: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """`tocsin` on the live SQLite file, whatever backend the rest of the suite runs on."""
    monkeypatch.setenv("TOCSIN_DATABASE_URL", f"sqlite:///{live}")
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TOCSIN_SECRET_KEY", TEST_SECRET)
    return CliRunner()


@pytest.fixture
def server(live: Path, data_dir: Path) -> Iterator[Runtime]:
    """The database as a running Tocsin holds it: its engine open, so what it commits stays
    in the write-ahead log until a checkpoint."""
    runtime = Runtime.from_settings(
        settings_for(f"sqlite:///{live}", data_dir), clock=ManualClock()
    )
    yield runtime
    runtime.database.dispose()


def organization_names(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {name for (name,) in connection.execute("SELECT name FROM organizations")}


def add_organization(runtime: Runtime, name: str) -> None:
    seeded.person(runtime, org_name=name)


def revision_in(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        [(revision,)] = connection.execute("SELECT version_num FROM alembic_version")
    return str(revision)


def test_backup_holds_what_was_committed_and_not_what_a_writer_holds_open(
    shell: CliRunner, server: Runtime, live: Path, tmp_path: Path
) -> None:
    add_organization(server, "Committed Ops")
    # Committed but not yet checkpointed: a plain copy of the file misses it.
    naive = tmp_path / "naive-copy.db"
    shutil.copyfile(live, naive)
    assert "Committed Ops" not in organization_names(naive)
    backup = tmp_path / "backup.db"
    with server.database.write() as session:
        organizations.create_organization(
            session,
            server,
            name="Uncommitted Ops",
            owner_id=None,
            country="GB",
            actor=CLI_ACTOR,
            now=server.clock.now(),
        )
        # The writer holds SQLite's write lock while the backup runs: it neither waits for
        # the writer nor sees its rows.
        taken = run(shell, "backup", str(backup))
    assert taken["revision"] == known_revisions()[-1]
    names = organization_names(backup)
    assert "Committed Ops" in names
    assert "Uncommitted Ops" not in names
    assert "Uncommitted Ops" in organization_names(live)
    # A backup is one private, self-contained file: no -wal beside it, readable by its owner.
    assert backup.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(backup) as connection:
        [(mode,)] = connection.execute("PRAGMA journal_mode")
    assert mode == "delete"
    assert sorted(path.name for path in tmp_path.iterdir() if "backup" in path.name) == [
        "backup.db"
    ]


def test_restore_puts_the_backup_back_and_records_it(
    shell: CliRunner, server: Runtime, live: Path, tmp_path: Path
) -> None:
    add_organization(server, "Before Ops")
    backup = tmp_path / "backup.db"
    run(shell, "backup", str(backup))
    add_organization(server, "After Ops")
    server.database.dispose()  # Tocsin stopped, as a restore asks

    refused = fails(shell, "restore", str(backup))
    assert "add --force" in refused
    assert "After Ops" in organization_names(live)

    restored = run(shell, "restore", str(backup), "--force")
    assert restored["replaced_revision"] == restored["revision"] == known_revisions()[-1]
    names = organization_names(live)
    assert "Before Ops" in names
    assert "After Ops" not in names
    with sqlite3.connect(live) as connection:
        [(details,)] = connection.execute(
            "SELECT details FROM audit_events WHERE action = 'database.restored'"
        )
    assert f'"backup":"{backup}"' in details
    assert restored["newest_event_at"] is not None


def test_backup_into_a_folder_names_the_file_by_time_and_never_overwrites(
    shell: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    taken = run(shell, "backup", str(folder))
    path = Path(taken["path"])
    assert path.parent == folder
    assert path.name.startswith("tocsin-")
    assert path.name.endswith("Z.db")
    before = path.read_bytes()
    assert "exists" in fails(shell, "backup", str(path))
    assert path.read_bytes() == before
    run(shell, "backup", str(path), "--force")
    # A folder that is not there is not taken for a file's name.
    assert "no such folder" in fails(shell, "backup", f"{tmp_path / 'missing'}/")
    assert not (tmp_path / "missing").exists()


def test_backup_says_the_secret_key_is_not_in_it(shell: CliRunner, tmp_path: Path) -> None:
    result = shell.invoke(app, ["backup", str(tmp_path / "backup.db")])
    assert result.exit_code == 0, result.output
    assert "TOCSIN_SECRET_KEY" in result.stdout
    assert "not in the backup" in result.stdout


def test_restore_into_a_new_file_upgrades_an_older_schema(
    shell: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    older = known_revisions()[-5]
    backup = tmp_path / "older.db"
    database = Database(f"sqlite:///{backup}")
    upgrade(database, older)
    database.dispose()
    target = tmp_path / "new" / "tocsin.db"
    monkeypatch.setenv("TOCSIN_DATABASE_URL", f"sqlite:///{target}")
    restored = run(shell, "restore", str(backup))
    assert restored["backup_revision"] == older
    assert restored["replaced_revision"] is None
    assert revision_in(target) == known_revisions()[-1]
    assert target.stat().st_mode & 0o777 == 0o600
    # The backup itself is left as it was.
    assert revision_in(backup) == older


def test_restore_refuses_a_backup_from_a_newer_tocsin(
    shell: CliRunner, live: Path, tmp_path: Path
) -> None:
    backup = tmp_path / "future.db"
    shutil.copyfile(live, backup)
    with sqlite3.connect(backup) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    before = live.read_bytes()
    line = fails(shell, "restore", str(backup), "--force")
    assert "newer Tocsin" in line
    assert live.read_bytes() == before


def test_restore_never_replaces_a_database_of_a_newer_schema(
    shell: CliRunner, live: Path, tmp_path: Path
) -> None:
    backup = tmp_path / "backup.db"
    run(shell, "backup", str(backup))
    with sqlite3.connect(live) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    line = fails(shell, "restore", str(backup), "--force")
    assert "newer than this Tocsin knows" in line
    assert revision_in(live) == "9999_from_the_future"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "not a Tocsin database"),
        (b"SQLite format 3\x00" + b"\xff" * 4080, "not an SQLite database"),
        (b"#!/bin/sh\necho not a database\n" * 200, "not an SQLite database"),
    ],
    ids=["empty", "bad-header", "script"],
)
def test_restore_refuses_what_is_not_a_tocsin_database(
    shell: CliRunner, live: Path, tmp_path: Path, content: bytes, words: str
) -> None:
    backup = tmp_path / "odd.db"
    backup.write_bytes(content)
    before = live.read_bytes()
    line = fails(shell, "restore", str(backup), "--force")
    assert words in line
    assert live.read_bytes() == before


def test_restore_refuses_another_applications_database(
    shell: CliRunner, live: Path, tmp_path: Path
) -> None:
    backup = tmp_path / "other.db"
    with sqlite3.connect(backup) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
    assert "not a Tocsin database" in fails(shell, "restore", str(backup), "--force")


def test_restore_refuses_a_damaged_backup(shell: CliRunner, live: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backup.db"
    run(shell, "backup", str(backup))
    data = bytearray(backup.read_bytes())
    page = 4096
    # Every page after the schema's first few: b-tree pages of tables and indexes, whose
    # headers no longer parse.
    for start in range(page * 8, len(data), page):
        data[start : start + 16] = b"\xee" * 16
    backup.write_bytes(bytes(data))
    before = live.read_bytes()
    line = fails(shell, "restore", str(backup), "--force")
    assert str(backup) in line
    assert "is damaged" in line
    assert live.read_bytes() == before


def test_restore_refuses_the_live_database_itself(shell: CliRunner, live: Path) -> None:
    assert "is the database" in fails(shell, "restore", str(live), "--force")


def test_restore_of_a_missing_file_creates_nothing(shell: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-backup.db"
    assert "no such file" in fails(shell, "restore", str(missing))
    assert not missing.exists()


def test_postgresql_is_pointed_at_pg_dump(
    shell: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_DATABASE_URL", "postgresql://tocsin@db.invalid:5432/tocsin")
    for command in ("backup", "restore"):
        line = fails(shell, command, str(tmp_path / "backup.db"))
        assert "pg_dump" in line
    assert not (tmp_path / "backup.db").exists()


def test_restore_over_an_unreadable_database_keeps_it_aside(
    shell: CliRunner, live: Path, tmp_path: Path
) -> None:
    backup = tmp_path / "backup.db"
    run(shell, "backup", str(backup))
    wreck = b"\x00" * 100 + b"what a failing disk left" * 500
    live.write_bytes(wreck)
    assert "unreadable" in fails(shell, "restore", str(backup))
    restored = run(shell, "restore", str(backup), "--force")
    kept = Path(restored["set_aside"])
    assert kept.parent == live.parent
    assert kept.read_bytes() == wreck
    assert revision_in(live) == known_revisions()[-1]
