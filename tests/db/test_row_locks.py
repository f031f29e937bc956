"""Row locks taken once per transaction (db/locks.py): a row already locked as strongly as asked
is not selected again in the same transaction, a stronger lock is taken anew (PostgreSQL; on
SQLite a row once read in a write transaction is never read again in it), and the next
transaction locks it again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tests import seeded
from tocsin.accounts.models import Organization
from tocsin.db.engine import Database
from tocsin.db.locks import Lock, get_locked
from tocsin.runtime import Runtime


@contextmanager
def selects_of_organizations(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM organizations" in statement:
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def test_a_row_locked_once_is_not_selected_again_in_its_transaction(runtime: Runtime) -> None:
    org_id = seeded.person(runtime, org_name="Locked").org_id
    with selects_of_organizations(runtime.database) as selects, runtime.database.write() as session:
        first = get_locked(session, Organization, org_id, Lock.UPDATE)
        again = get_locked(session, Organization, org_id, Lock.SHARE)
        assert first is not None
        assert again is first
        assert len(selects) == 1


def test_a_stronger_lock_than_the_one_held_is_taken_anew(runtime: Runtime) -> None:
    org_id = seeded.person(runtime, org_name="Locked").org_id
    with selects_of_organizations(runtime.database) as selects, runtime.database.write() as session:
        get_locked(session, Organization, org_id, Lock.SHARE)
        get_locked(session, Organization, org_id, Lock.UPDATE)
        if runtime.database.is_postgres:
            assert len(selects) == 2
            assert "FOR UPDATE" in selects[1]
        else:
            # SQLite's writer excludes every other from BEGIN IMMEDIATE on: the row read first
            # is the row as it is, and there is no lock to take.
            assert len(selects) == 1


def test_the_next_transaction_locks_the_row_again(runtime: Runtime) -> None:
    org_id = seeded.person(runtime, org_name="Locked").org_id
    with selects_of_organizations(runtime.database) as selects:
        for _ in range(2):
            with runtime.database.write() as session:
                assert get_locked(session, Organization, org_id, Lock.UPDATE) is not None
        assert len(selects) == 2


def test_no_row_is_none_and_holds_nothing(runtime: Runtime) -> None:
    with selects_of_organizations(runtime.database) as selects, runtime.database.write() as session:
        assert get_locked(session, Organization, "org_missing", Lock.UPDATE) is None
        assert get_locked(session, Organization, "org_missing", Lock.UPDATE) is None
        assert len(selects) == 2
