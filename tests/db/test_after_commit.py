"""Effects after commit (db/after_commit.py): a metric or a log line about a change happens only
once the change is committed, never for one rolled back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from tocsin.core.errors import InvalidInput
from tocsin.db.after_commit import on_commit
from tocsin.db.engine import Database


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def test_an_effect_runs_once_the_transaction_commits(database: Database) -> None:
    seen: list[str] = []
    with database.write() as session:
        session.execute(text("SELECT 1"))
        on_commit(session, lambda: seen.append("counted"))
        assert seen == []  # not before the commit
    assert seen == ["counted"]


def test_an_effect_of_a_rolled_back_transaction_never_runs(database: Database) -> None:
    seen: list[str] = []

    def refused_after_the_change() -> None:
        with database.write() as session:
            on_commit(session, lambda: seen.append("counted"))
            raise InvalidInput("refused after the change was made")

    with pytest.raises(InvalidInput):
        refused_after_the_change()
    with database.write() as session:
        session.execute(text("SELECT 1"))
    assert seen == []


def test_a_failing_effect_does_not_undo_the_commit_or_stop_the_others(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    def broken() -> None:
        raise RuntimeError("metric registry gone")

    with database.write() as session:
        on_commit(session, broken)
        on_commit(session, lambda: seen.append("logged"))
    assert seen == ["logged"]
    assert "an effect after commit failed" in caplog.text
