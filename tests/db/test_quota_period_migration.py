"""Migration 0015_evidence turns usage counters keyed by local date into periods keyed by their
UTC start, in each organization's zone, and back."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tocsin.db.engine import Database, normalise_url
from tocsin.migrations.upgrade import alembic_config, upgrade

# The revision before the one under test.
BEFORE = "0014_sms"


@pytest.fixture
def fresh_database(backend: str, tmp_path: Path) -> Iterator[Database]:
    """An empty database of its own (the run's shared one stays at the newest revision)."""
    if backend == "sqlite":
        database = Database(f"sqlite:///{tmp_path}/old.db")
        yield database
        database.dispose()
        return
    server = make_url(normalise_url(os.environ["TOCSIN_TEST_DATABASE_URL"]))
    name = f"tocsin_migration_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(server.set(database=name).render_as_string(hide_password=False))
    yield database
    database.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def moment(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def test_counters_keyed_by_local_dates_become_periods_of_the_organizations_zone(
    fresh_database: Database,
) -> None:
    database = fresh_database
    upgrade(database, BEFORE)
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organizations (id, name, slug, created_at, timezone) "
                "VALUES ('org_ny', 'NY', 'ny', '2026-01-01 00:00:00', 'America/New_York')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO usage_counters (org_id, period, calls, spend_cents) VALUES "
                "('org_ny', '2026-01-31', 3, 6), ('org_ny', '2026-01', 9, 18)"
            )
        )

    upgrade(database)

    with database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT kind, starts_at, ends_at, label, calls, spend_cents FROM usage_counters "
                "ORDER BY kind"
            )
        ).all()
    # Naive UTC on both backends (SQLite returns its text).
    assert [(k, moment(s), moment(e), label, c, sp) for k, s, e, label, c, sp in rows] == [
        ("day", datetime(2026, 1, 31, 5), datetime(2026, 2, 1, 5), "2026-01-31", 3, 6),
        ("month", datetime(2026, 1, 1, 5), datetime(2026, 2, 1, 5), "2026-01", 9, 18),
    ]

    if database.is_postgres:
        config = alembic_config(database)
        command.downgrade(config, BEFORE)
    else:
        with database.write_engine.begin() as connection:
            config = alembic_config(database)
            config.attributes["connection"] = connection
            command.downgrade(config, BEFORE)
    with database.engine.connect() as connection:
        back = connection.execute(
            text("SELECT period, calls, spend_cents FROM usage_counters ORDER BY period")
        ).all()
    assert [tuple(row) for row in back] == [("2026-01", 9, 18), ("2026-01-31", 3, 6)]
