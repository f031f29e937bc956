"""Group commit: webhooks that arrive together share one write transaction.

A commit is the dearest part of accepting an alert (on PostgreSQL a WAL flush and a round trip;
on SQLite the write lock taken and given back, and a session made for each), and while one
transaction commits, the next webhooks are already waiting for theirs. So each writer thread
takes every unit of work that is waiting (up to `most`), runs each in a savepoint of one
transaction, commits once, and only then answers each unit's caller: a caller still hears
back only after its own work is committed, and a unit that fails (a refusal, a broken row)
rolls back its savepoint alone. A lone unit gets a transaction of its own with no savepoint, so
a quiet server pays nothing for this.

If the group's transaction itself fails (the commit, a lost connection, a deadlock with another
process), nothing of it was stored and nobody was answered: each unit is run again alone, as it
would have been without grouping, and its caller hears how that went.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import queue
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session, SessionTransaction

from tocsin.core import metrics
from tocsin.core.errors import TocsinError
from tocsin.db.after_commit import drop_effects_since, pending_effects

log = logging.getLogger(__name__)

T = TypeVar("T")

# A write transaction of the bulk kind (SQLite: behind every other writer, db/writer_turns.py).
BulkTransaction = Callable[[], AbstractContextManager[Session]]


@dataclass
class _Unit(Generic[T]):
    work: Callable[[Session], T]
    context: contextvars.Context
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[T]

    def settle(self, result: Any = None, error: BaseException | None = None) -> None:
        try:
            self.loop.call_soon_threadsafe(_settle, self.future, result, error)
        except RuntimeError:
            # The caller's event loop has closed (its server stopped): nobody is left to
            # answer, and the writer thread must go on for everyone else.
            log.warning("a write finished after its caller's event loop closed")


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    # A caller that went away (the client hung up) still had its work committed.
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


@dataclass(frozen=True)
class _Outcome:
    result: Any = None
    error: BaseException | None = None


class GroupCommit:
    """Writer threads that run waiting units of work together, one transaction a group."""

    def __init__(self, transaction: BulkTransaction, *, writers: int, most: int = 64) -> None:
        self._transaction = transaction
        self._writers = writers
        self._most = most
        self._waiting: queue.SimpleQueue[_Unit[Any] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._starting = threading.Lock()

    async def run(self, work: Callable[[Session], T]) -> T:
        """`work(session)` inside a write transaction shared with whatever else is waiting;
        its result (or its exception) once that transaction has committed (or not)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        unit = _Unit(work, contextvars.copy_context(), loop, future)
        self._start()
        self._waiting.put(unit)
        return await unit.future

    def close(self) -> None:
        """Let every writer finish what is queued, then stop."""
        with self._starting:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._waiting.put(None)
        for thread in threads:
            thread.join()

    def _start(self) -> None:
        if self._threads:
            return
        with self._starting:
            while len(self._threads) < self._writers:
                thread = threading.Thread(
                    target=self._serve, name=f"group-commit-{len(self._threads)}", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def _serve(self) -> None:
        while (group := self._next_group()) is not None:
            metrics.WRITE_GROUP_SIZE.observe(len(group))
            if len(group) == 1:
                self._run_alone(group[0])
            else:
                self._run_together(group)

    def _next_group(self) -> list[_Unit[Any]] | None:
        first = self._waiting.get()
        if first is None:
            return None
        group = [first]
        while len(group) < self._most:
            try:
                unit = self._waiting.get_nowait()
            except queue.Empty:
                break
            if unit is None:
                # Stopping: this group is still run; the stop is seen on the next turn.
                self._waiting.put(None)
                break
            group.append(unit)
        return group

    def _run_alone(self, unit: _Unit[Any]) -> None:
        try:
            with self._transaction() as session:
                result = unit.context.run(unit.work, session)
        except BaseException as error:
            # Whatever a unit raises goes to its caller: a writer thread that died with it
            # would leave every later webhook waiting for ever.
            unit.settle(error=error)
        else:
            unit.settle(result)

    def _run_together(self, group: list[_Unit[Any]]) -> None:
        try:
            with self._transaction() as session:
                outcomes = [_in_savepoint(session, unit) for unit in group]
        except Exception:
            log.warning("%d writes failed together; running each alone", len(group), exc_info=True)
            for unit in group:
                self._run_alone(unit)
            return
        for unit, outcome in zip(group, outcomes, strict=True):
            unit.settle(outcome.result, outcome.error)


def _in_savepoint(session: Session, unit: _Unit[Any]) -> _Outcome:
    """Run one unit in a savepoint of the group's transaction. A refusal that keeps its own
    record (`TocsinError.keeps_record`) keeps what it wrote, as a transaction of its own would
    (Database.write); any other exception undoes the unit's writes and its after-commit
    effects. A failure to roll the savepoint back is the whole transaction's: it is raised."""
    mark = pending_effects(session)
    savepoint = session.begin_nested()
    try:
        result = unit.context.run(unit.work, session)
    except TocsinError as refusal:
        if refusal.keeps_record:
            savepoint.commit()
        else:
            _undo(session, savepoint, mark)
        return _Outcome(error=refusal)
    except BaseException as error:
        _undo(session, savepoint, mark)
        return _Outcome(error=error)
    savepoint.commit()
    return _Outcome(result)


def _undo(session: Session, savepoint: SessionTransaction, mark: int) -> None:
    savepoint.rollback()
    drop_effects_since(session, mark)
