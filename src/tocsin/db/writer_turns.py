"""SQLite's one write lock, as this process hands it out: paging before bulk.

SQLite runs one write transaction at a time. Queueing this process's writers on a lock hands
the write lock straight to the next thread, where SQLite's own busy handler would make each
waiter sleep and retry (seconds of tail latency under load). A plain lock is not enough either:
the webhook writer takes it again the instant it lets go, and under a flood of webhooks the
worker that places the calls waited for the flood to end (issue 21: 128 of 3,200 calls settled
while ingest ran). So a bulk writer (webhooks taken in groups) waits while any other writer
waits: dialling is never queued behind ingest. Other processes still wait in the busy handler.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class WriterTurns:
    """A re-entrant lock whose bulk holders give way to every other waiting writer."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._owner: int | None = None
        self._depth = 0
        self._others_waiting = 0
        self._bulk_waiting = 0

    @property
    def waiting(self) -> tuple[int, int]:
        """How many writers wait for their turn now: (others, bulk)."""
        with self._changed:
            return self._others_waiting, self._bulk_waiting

    @contextmanager
    def turn(self, *, bulk: bool = False) -> Iterator[None]:
        me = threading.get_ident()
        with self._changed:
            if self._owner == me:
                self._depth += 1
            else:
                self._wait_for_turn(bulk)
                self._owner, self._depth = me, 1
        try:
            yield
        finally:
            with self._changed:
                self._depth -= 1
                if self._depth == 0:
                    self._owner = None
                    self._changed.notify_all()

    def _wait_for_turn(self, bulk: bool) -> None:
        if bulk:
            self._bulk_waiting += 1
            try:
                while self._owner is not None or self._others_waiting:
                    self._changed.wait()
            finally:
                self._bulk_waiting -= 1
            return
        self._others_waiting += 1
        try:
            while self._owner is not None:
                self._changed.wait()
        finally:
            self._others_waiting -= 1
