"""Group commit (db/group_commit.py): webhooks that arrive together share one transaction, yet
each caller is answered only once its own work is committed, a unit that fails undoes only its
own writes, and a group whose transaction fails is run again unit by unit."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tocsin.core import metrics
from tocsin.core.errors import InvalidInput, TocsinError
from tocsin.db.after_commit import on_commit
from tocsin.db.engine import Database
from tocsin.db.group_commit import GroupCommit

PROBE = "group_commit_probe"
INSERT = text("INSERT INTO group_commit_probe (name) VALUES (:name)")
NAMES = text("SELECT name FROM group_commit_probe")


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    with database.write() as session:
        session.execute(text(f"CREATE TABLE {PROBE} (name VARCHAR(40) PRIMARY KEY)"))
    yield database
    with database.write() as session:
        session.execute(text(f"DROP TABLE {PROBE}"))
    database.dispose()


class CountedTransactions:
    """Database.write(bulk=True), counting the transactions begun, with a way to hold the
    writer thread inside the first one until the test has queued what should group."""

    def __init__(self, database: Database, *, fail_groups: bool = False) -> None:
        self.database = database
        self.begun = 0
        self.fail_groups = fail_groups
        self.inside_first = threading.Event()
        self.release_first = threading.Event()

    @contextmanager
    def __call__(self) -> Iterator[Session]:
        self.begun += 1
        with self.database.write(bulk=True) as session:
            yield session
            if self.fail_groups and len(session.info.get("units", ())) > 1:
                raise RuntimeError("the group's commit failed")


def insert(name: str) -> Callable[[Session], str]:
    def work(session: Session) -> str:
        session.info.setdefault("units", []).append(name)
        session.execute(INSERT, {"name": name})
        return name

    return work


def holding(transactions: CountedTransactions) -> Callable[[Session], str]:
    def work(session: Session) -> str:
        transactions.inside_first.set()
        assert transactions.release_first.wait(10)
        return "first"

    return work


def stored(database: Database) -> set[str]:
    with database.read() as session:
        return set(session.scalars(NAMES))


async def run_grouped(
    group: GroupCommit, transactions: CountedTransactions, works: list[Callable[[Session], str]]
) -> list[str | BaseException]:
    """Hold the writer in a first transaction, queue `works` behind it, then let it go: they
    are all waiting when it next looks, so they form one group."""
    first = asyncio.ensure_future(group.run(holding(transactions)))
    await asyncio.to_thread(transactions.inside_first.wait, 10)
    rest = [asyncio.ensure_future(group.run(work)) for work in works]
    await asyncio.sleep(0)  # each task puts its unit on the queue when it first runs
    transactions.release_first.set()
    await first
    return await asyncio.gather(*rest, return_exceptions=True)


def groups_of_five_or_more() -> float:
    above_four = metrics.REGISTRY.get_sample_value("tocsin_write_group_units_bucket", {"le": "4.0"})
    total = metrics.REGISTRY.get_sample_value("tocsin_write_group_units_count")
    return (total or 0) - (above_four or 0)


def test_work_arriving_together_shares_one_transaction(database: Database) -> None:
    transactions = CountedTransactions(database)
    group = GroupCommit(transactions, writers=1)
    names = [f"alert-{n}" for n in range(5)]
    large_groups_before = groups_of_five_or_more()
    results = asyncio.run(run_grouped(group, transactions, [insert(name) for name in names]))
    group.close()
    assert results == names
    assert transactions.begun == 2  # the held one, then the five together
    assert stored(database) == set(names)
    # Operators see it: one more group of five in the metric.
    assert groups_of_five_or_more() == large_groups_before + 1


def test_a_caller_is_answered_only_once_its_work_is_committed(database: Database) -> None:
    group = GroupCommit(lambda: database.write(bulk=True), writers=1)

    async def send_and_look() -> set[str]:
        await group.run(insert("answered"))
        # Another connection sees it the moment the caller hears back.
        return await asyncio.to_thread(stored, database)

    assert asyncio.run(send_and_look()) == {"answered"}
    group.close()


def test_a_failing_unit_undoes_only_its_own_writes_and_effects(database: Database) -> None:
    transactions = CountedTransactions(database)
    group = GroupCommit(transactions, writers=1)
    effects: list[str] = []

    def refused_after_writing(session: Session) -> str:
        insert("refused")(session)
        on_commit(session, lambda: effects.append("refused"))
        raise InvalidInput("rate limited after the insert", code="rate_limited")

    def kept(name: str) -> Callable[[Session], str]:
        def work(session: Session) -> str:
            on_commit(session, lambda: effects.append(name))
            return insert(name)(session)

        return work

    results = asyncio.run(
        run_grouped(group, transactions, [kept("before"), refused_after_writing, kept("after")])
    )
    group.close()
    assert [results[0], results[2]] == ["before", "after"]
    refusal = results[1]
    assert isinstance(refusal, InvalidInput)
    assert refusal.code == "rate_limited"
    assert stored(database) == {"before", "after"}
    assert effects == ["before", "after"]
    assert transactions.begun == 2


def test_a_refusal_that_keeps_its_record_keeps_its_writes_in_a_group(database: Database) -> None:
    transactions = CountedTransactions(database)
    group = GroupCommit(transactions, writers=1)

    def recorded_refusal(session: Session) -> str:
        insert("the record")(session)
        raise TocsinError("refused, and the refusal is kept").on_record()

    results = asyncio.run(run_grouped(group, transactions, [insert("other"), recorded_refusal]))
    group.close()
    assert results[0] == "other"
    assert isinstance(results[1], TocsinError)
    assert stored(database) == {"other", "the record"}


def test_a_group_whose_transaction_fails_is_run_again_unit_by_unit(database: Database) -> None:
    transactions = CountedTransactions(database, fail_groups=True)
    group = GroupCommit(transactions, writers=1)
    names = ["one", "two", "three"]
    results = asyncio.run(run_grouped(group, transactions, [insert(name) for name in names]))
    group.close()
    assert results == names
    assert stored(database) == set(names)  # each once: the failed group left nothing behind
    assert transactions.begun == 1 + 1 + len(names)


def test_a_lone_unit_fails_alone_and_leaves_nothing(database: Database) -> None:
    group = GroupCommit(lambda: database.write(bulk=True), writers=1)

    def broken(session: Session) -> str:
        insert("half done")(session)
        raise RuntimeError("a bug in the middle")

    async def send() -> None:
        await group.run(broken)

    with pytest.raises(RuntimeError, match="a bug in the middle"):
        asyncio.run(send())
    group.close()
    assert stored(database) == set()


def test_database_write_together_commits_before_answering(database: Database) -> None:
    async def send() -> str:
        return await database.write_together(insert("through the database"))

    assert asyncio.run(send()) == "through the database"
    assert stored(database) == {"through the database"}


def test_close_lets_queued_work_finish(database: Database) -> None:
    transactions = CountedTransactions(database)
    group = GroupCommit(transactions, writers=1)
    asyncio.run(run_grouped(group, transactions, [insert("queued")]))
    group.close()
    group.close()  # closing twice is harmless
    assert stored(database) == {"queued"}


def test_a_caller_whose_event_loop_closed_does_not_stop_the_writer(database: Database) -> None:
    """A server that stops while its last write is queued must not take the writer thread
    with it: the next caller is still answered."""
    transactions = CountedTransactions(database)
    group = GroupCommit(transactions, writers=1)

    async def leave_a_write_behind() -> None:
        left = asyncio.ensure_future(group.run(holding(transactions)))
        await asyncio.to_thread(transactions.inside_first.wait, 10)
        left.cancel()

    asyncio.run(leave_a_write_behind())  # its loop is closed before the write is answered
    transactions.release_first.set()

    async def next_caller() -> str:
        # Bounded: a dead writer would leave this waiting for ever.
        return await asyncio.wait_for(group.run(insert("after")), 10)

    assert asyncio.run(next_caller()) == "after"
    group.close()
    assert stored(database) == {"after"}


def test_a_unit_raising_past_exception_still_answers_and_keeps_the_writer(
    database: Database,
) -> None:
    group = GroupCommit(lambda: database.write(bulk=True), writers=1)

    def exits(session: Session) -> str:
        insert("never kept")(session)
        raise SystemExit("a unit that exits")

    async def send(work: Callable[[Session], str]) -> str:
        return await group.run(work)

    with pytest.raises(SystemExit):
        asyncio.run(send(exits))
    assert asyncio.run(send(insert("next"))) == "next"
    group.close()
    assert stored(database) == {"next"}
