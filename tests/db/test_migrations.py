"""Migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from tocsin.db.engine import Database
from tocsin.migrations.current import head_revision, is_current, upgrade_unless_current
from tocsin.migrations.upgrade import alembic_config, upgrade
from tocsin.tables import Base


def test_models_and_migrations_agree(database_url: str) -> None:
    database = Database(database_url)
    try:
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        database.dispose()


def test_upgrade_is_idempotent(database_url: str) -> None:
    database = Database(database_url)
    try:
        upgrade(database)
        upgrade(database)
        with database.engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        assert len(versions) == 1
    finally:
        database.dispose()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}/wal.db")
    try:
        with database.read() as session:
            assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert session.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        database.dispose()


def test_sqlite_write_transactions_take_the_write_lock_up_front(tmp_path: Path) -> None:
    path = tmp_path / "lock.db"
    database = Database(f"sqlite:///{path}")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with database.read() as session:
            session.execute(text("SELECT 1"))
            other.execute("BEGIN IMMEDIATE")  # a reader blocks no writer
            other.execute("ROLLBACK")
        with database.write() as session:
            session.execute(text("SELECT 1"))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
        database.dispose()


def test_sqlite_upgrades_rebuild_tables_without_cascading_deletes(tmp_path: Path) -> None:
    """0031 rebuilds `organizations` in batch mode (copy, DROP, rename): with foreign keys
    enforced, the DROP deleted every organization's contacts; the upgrade turns them off,
    checks nothing was left dangling, and hands the connection back with them on."""
    database = Database(f"sqlite:///{tmp_path}/rebuild.db")
    try:
        upgrade(database, "0030_prompt_language")
        with database.write() as session:
            session.execute(
                text(
                    "INSERT INTO organizations (id, name, slug, created_at) "
                    "VALUES ('org_a', 'A', 'a', '2026-01-01 00:00:00')"
                )
            )
            session.execute(
                text(
                    "INSERT INTO contacts (id, org_id, name, phone_e164, created_at, updated_at) "
                    "VALUES ('ct_a', 'org_a', 'On call', '+447400123456', "
                    "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            )
        upgrade(database)
        with database.write() as session:
            assert session.execute(text("SELECT id FROM contacts")).scalars().all() == ["ct_a"]
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        database.dispose()


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(Database("sqlite://")))


def test_the_head_read_from_the_version_files_is_alembics() -> None:
    assert head_revision() == _scripts().get_current_head()


def _record(database: Database, revision: str | None) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})


def test_only_a_database_at_head_counts_as_current(database_url: str) -> None:
    database = Database(database_url)
    head = head_revision()
    assert head is not None
    try:
        assert is_current(database)  # the fixture's database is upgraded
        previous = _scripts().get_revision(head).down_revision
        assert isinstance(previous, str)
        _record(database, previous)
        assert not is_current(database)
        _record(database, "9999_from_a_newer_tocsin")
        assert not is_current(database)
        _record(database, head)
        assert is_current(database)
    finally:
        database.dispose()


def test_a_current_database_is_not_upgraded_by_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/current.db"
    database = Database(url)
    upgrade(database)
    database.dispose()
    script = (
        "import sys\n"
        "from tocsin.db.engine import Database\n"
        "from tocsin.migrations.current import upgrade_unless_current\n"
        f"upgrade_unless_current(Database({url!r}))\n"
        "print('alembic' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "False"


def test_a_new_database_is_not_current_until_upgraded(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}/new.db")
    try:
        assert not is_current(database)
        upgrade_unless_current(database)
        assert is_current(database)
    finally:
        database.dispose()
