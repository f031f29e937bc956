"""Waking workers (db/wakeup.py): one NOTIFY per transaction that announced work, sent as it
commits; none for a transaction rolled back."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import text

from tocsin.db.engine import Database
from tocsin.db.wakeup import CHANNEL, _libpq_url, announce_work


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    if not database_url.startswith("postgresql"):
        pytest.skip("workers listen for work on PostgreSQL only; SQLite's worker is in-process")
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def listener(database: Database) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with psycopg.connect(_libpq_url(database.url), autocommit=True) as connection:
        connection.execute(f"LISTEN {CHANNEL}")
        yield connection


def heard(listener: psycopg.Connection[tuple[object, ...]]) -> int:
    # A notification is queued on the listener's socket by the time the commit returns.
    listener.execute("SELECT 1")
    return len(list(listener.notifies(timeout=0.2)))


def test_a_transaction_announcing_work_twice_notifies_once(
    database: Database, listener: psycopg.Connection[tuple[object, ...]]
) -> None:
    with database.write() as session:
        announce_work(session)
        with session.begin_nested():
            announce_work(session)
        session.execute(text("SELECT 1"))
        assert heard(listener) == 0  # nothing before the commit
    assert heard(listener) == 1


def test_a_rolled_back_transaction_notifies_nobody(
    database: Database, listener: psycopg.Connection[tuple[object, ...]]
) -> None:
    def failing_webhook() -> None:
        with database.write() as session:
            announce_work(session)
            raise RuntimeError("the webhook's transaction failed")

    with pytest.raises(RuntimeError):
        failing_webhook()
    with database.write() as session:
        session.execute(text("SELECT 1"))
    assert heard(listener) == 0
