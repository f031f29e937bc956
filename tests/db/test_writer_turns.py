"""SQLite's write lock in this process (db/writer_turns.py): the worker that places calls is
never queued behind a flood of webhooks (issue 21: 128 of 3,200 calls settled while ingest ran,
with a plain lock)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tocsin.db.writer_turns import WriterTurns


def until(condition: Callable[[], bool]) -> None:
    """Wait for another thread to reach a state this test can see (bounded)."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the other thread never got there"
        threading.Event().wait(0.001)


def take_turn(turns: WriterTurns, order: list[str], name: str, *, bulk: bool) -> threading.Thread:
    def run() -> None:
        with turns.turn(bulk=bulk):
            order.append(name)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_waiting_caller_goes_before_a_waiting_bulk_writer() -> None:
    turns, order = WriterTurns(), []
    with turns.turn():
        bulk = take_turn(turns, order, "webhooks", bulk=True)
        until(lambda: turns.waiting == (0, 1))
        calls = take_turn(turns, order, "calls", bulk=False)
        until(lambda: turns.waiting == (1, 1))
    bulk.join(10)
    calls.join(10)
    assert order == ["calls", "webhooks"]


def test_a_bulk_writer_goes_when_nobody_else_waits() -> None:
    turns, order = WriterTurns(), []
    with turns.turn():
        bulk = take_turn(turns, order, "webhooks", bulk=True)
        until(lambda: turns.waiting == (0, 1))
    bulk.join(10)
    assert order == ["webhooks"]


def test_a_turn_is_reentrant_and_exclusive() -> None:
    turns, order = WriterTurns(), []
    with turns.turn(), turns.turn(bulk=True):
        other = take_turn(turns, order, "other", bulk=False)
        until(lambda: turns.waiting == (1, 0))
        order.append("nested")
    other.join(10)
    assert order == ["nested", "other"]
    assert turns.waiting == (0, 0)
