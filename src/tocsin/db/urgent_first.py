"""Threads that run database work off the event loop, urgent work first.

On SQLite one thread runs every write of the process (db/engine.py), so everything the worker
and the API hand it waits in one line. In a first-come line a call about to be dialled waited
behind the events of every call already ringing, the mails and the webhooks' refusals: at 50
new alerts a second that put hundreds of milliseconds between a webhook and its dial. Work on
the way to a dial (claiming a job, planning it, choosing its provider) is urgent: it goes ahead
of everything queued that is not. Among equals, first come first served, so nothing urgent
waits for ever behind later urgent work, and normal work only waits while urgent work is queued
(a dial's few steps are small, and each dial is followed by its call's normal ones).
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

T = TypeVar("T")

URGENT = 0
NORMAL = 1

_Item = tuple[int, int, "Future[Any]", Callable[[], Any]]


class UrgentFirstThreads(Executor):
    """A fixed set of threads taking queued work urgent first, then in arrival order."""

    def __init__(self, workers: int, name: str) -> None:
        self._queue: list[_Item] = []
        self._arrivals = itertools.count()
        self._ready = threading.Condition()
        self._closed = False
        # Daemon threads, as the queue holds only work whose callers wait for it: a process
        # that exits without disposing of its database abandons no answer it gave.
        self._threads = [
            threading.Thread(target=self._serve, name=f"{name}-{index}", daemon=True)
            for index in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return self.submit_as(NORMAL, fn, *args, **kwargs)

    def submit_as(
        self, priority: int, fn: Callable[..., T], /, *args: Any, **kwargs: Any
    ) -> Future[T]:
        future: Future[T] = Future()
        with self._ready:
            if self._closed:
                raise RuntimeError("cannot schedule new work after shutdown")
            item = (priority, next(self._arrivals), future, lambda: fn(*args, **kwargs))
            heapq.heappush(self._queue, item)
            self._ready.notify()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._ready:
            self._closed = True
            if cancel_futures:
                for _, _, future, _ in self._queue:
                    future.cancel()
                self._queue.clear()
            self._ready.notify_all()
        if wait:
            for thread in self._threads:
                if thread is not threading.current_thread():
                    thread.join()

    def _serve(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    self._ready.wait()
                if not self._queue:
                    return  # closed and drained: queued work still runs after shutdown
                _, _, future, work = heapq.heappop(self._queue)
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = work()
            except BaseException as error:  # handed to the caller, as ThreadPoolExecutor does
                future.set_exception(error)
            else:
                future.set_result(result)
