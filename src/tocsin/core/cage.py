"""A cage for work that must not hurt the process that asks for it: a small pool of worker
processes, each under CPU-time and memory limits, killed from outside when a reply is late.

A Python-level time limit fires only between bytecodes, so one C call (`str()` of a nested list,
a comparison of two deep structures) runs as long and grows as large as it likes. Only another
process can be stopped in the middle of one, and only the kernel can refuse it memory. So each
worker runs under `RLIMIT_AS` (its address space) and `RLIMIT_CPU` (renewed before each request,
so the budget is per request), and the parent kills a worker whose reply has not come within
the wall-clock limit, then starts another in its place.

Workers are plain `python -m <module>` processes talking over their standard input and output:
a 4-byte length, then the bytes. Nothing is pickled, so a worker that something broke into
cannot make the parent run code by what it replies, and a reply longer than the caller allows
is refused before it is read. Workers start when first needed (or all at once with `start`),
serve one request at a time for as long as they live, and end when the parent closes their
input: at `close`, at the parent's exit, or when the parent dies.
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import math
import os
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">I")
# A new worker imports its module before it says it is ready; a loaded machine may be slow.
STARTUP_SECONDS = 30.0
# How long a closing worker gets to see the end of its input and exit by itself.
_EXIT_SECONDS = 2.0
_NICENESS = 10


@dataclass(frozen=True)
class CageLimits:
    """Per request: wall-clock seconds (the CPU limit is the same, rounded up to whole seconds,
    which is all the kernel counts), and the worker's address space in MiB."""

    seconds: float = 1.0
    memory_mib: int = 256
    workers: int = 2

    @property
    def cpu_seconds(self) -> int:
        return max(1, math.ceil(self.seconds))


class CageStopped(Exception):
    """The worker was stopped, or died, before it replied: the request asked too much."""


class CageBusy(Exception):
    """No worker became free in time."""


class CageUnavailable(Exception):
    """No worker could be started, or each one tried died before it was asked anything."""


class _WorkerLost(Exception):
    """The worker died or never started before it had the request: not the request's fault."""


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._at = time.monotonic() + seconds

    def left_ms(self) -> int:
        return max(0, math.ceil((self._at - time.monotonic()) * 1000))


class _Worker:
    def __init__(self, process: subprocess.Popen[bytes], generation: int) -> None:
        if process.stdin is None or process.stdout is None:
            raise ValueError("a worker is started with pipes to its input and output")
        self.process = process
        self._requests, self._replies = process.stdin, process.stdout
        # Workers of an earlier generation (before `close`) are retired when they come back.
        self.generation = generation
        self.ready = False
        # A worker forked along with its parent (os.fork) belongs to the parent, not to us.
        self.owner = os.getpid()

    @property
    def _input(self) -> int:
        return self._requests.fileno()

    @property
    def _output(self) -> int:
        return self._replies.fileno()

    def exchange(self, request: bytes, *, seconds: float, max_reply: int) -> bytes:
        if not self.ready:
            try:
                self._read_frame(_Deadline(STARTUP_SECONDS), max_reply=0)
            except CageStopped as exc:
                raise _WorkerLost(f"a worker did not start: {exc}") from exc
            self.ready = True
        if self.process.poll() is not None:
            raise _WorkerLost(f"a worker died while idle: {self.why_stopped()}")
        deadline = _Deadline(seconds)
        self._write(_HEADER.pack(len(request)) + request, deadline)
        return self._read_frame(deadline, max_reply=max_reply)

    def _write(self, data: bytes, deadline: _Deadline) -> None:
        """A worker reads a whole request before it acts on it: one that goes away meanwhile
        went away for reasons of its own."""
        view = memoryview(data)
        while view:
            self._wait(self._input, select.POLLOUT, deadline)
            try:
                view = view[os.write(self._input, view) :]
            except BrokenPipeError as exc:
                raise _WorkerLost(f"a worker died while idle: {self.why_stopped()}") from exc

    def _read_frame(self, deadline: _Deadline, *, max_reply: int) -> bytes:
        (size,) = _HEADER.unpack(self._read(_HEADER.size, deadline))
        if size > max_reply:
            raise CageStopped(f"its reply was {size} bytes, more than the {max_reply} allowed")
        return self._read(size, deadline)

    def _read(self, size: int, deadline: _Deadline) -> bytes:
        chunks: list[bytes] = []
        while size:
            self._wait(self._output, select.POLLIN, deadline)
            chunk = os.read(self._output, min(size, 1 << 16))
            if not chunk:
                raise CageStopped(self.why_stopped())
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _wait(self, fd: int, event: int, deadline: _Deadline) -> None:
        # poll, not select: a busy server's descriptors can be numbered past select's 1024.
        poller = select.poll()
        poller.register(fd, event)
        if not poller.poll(deadline.left_ms()):
            raise CageStopped(f"it took longer than {deadline.seconds:g} s")

    def why_stopped(self) -> str:
        try:
            status = self.process.wait(timeout=_EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            return "its worker stopped answering"
        if status == -signal.SIGXCPU:
            return "it used up its CPU time"
        return f"its worker ended with status {status}"

    def kill(self) -> None:
        if self.owner != os.getpid():
            return
        self.process.kill()
        self._reap()

    def retire(self) -> None:
        """Close its input, so it exits by itself; kill it if it does not."""
        if self.owner != os.getpid():
            return
        try:
            self._requests.close()
            self.process.wait(timeout=_EXIT_SECONDS)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
        self._reap()

    def _reap(self) -> None:
        self.process.wait()
        self._requests.close()
        self._replies.close()


class Cage:
    """A pool of at most `limits.workers` processes running `module`, which calls `serve`.

    `ask` sends one request to a free worker and returns its reply. It blocks the calling
    thread (never call it on an event loop) for at most about twice `limits.seconds`: the wait
    for a free worker, then the request itself."""

    def __init__(self, module: str, limits: CageLimits, *, max_reply: int) -> None:
        self.module = module
        self.limits = limits
        self._environment = _importable(module)
        self._max_reply = max_reply
        self._lock = threading.Condition()
        self._idle: list[_Worker] = []
        self._alive = 0
        self._generation = 0
        self._pid = os.getpid()
        atexit.register(self.close)

    def start(self) -> None:
        """Start every worker now, so that the first requests find them ready."""
        with self._lock:
            self._forget_after_fork()
            while self._alive < self.limits.workers:
                self._add_idle()

    def ask(self, request: bytes) -> bytes:
        """The worker's reply. CageStopped if the worker had to be stopped on this request (it
        is replaced), CageBusy if none was free within the time limit, CageUnavailable if no
        worker could start or answer for reasons of its own (a second one is tried first)."""
        try:
            return self._ask_one(request)
        except _WorkerLost:
            try:
                return self._ask_one(request)
            except _WorkerLost as lost:
                raise CageUnavailable(str(lost)) from lost

    def _ask_one(self, request: bytes) -> bytes:
        try:
            worker = self._take()
        except OSError as exc:
            raise CageUnavailable(f"no worker could start: {exc}") from exc
        try:
            reply = worker.exchange(request, seconds=self.limits.seconds, max_reply=self._max_reply)
        except BaseException:
            self._replace(worker)
            raise
        self._give_back(worker)
        return reply

    def close(self, limits: CageLimits | None = None) -> None:
        """End every worker (those busy now when they finish); a later `ask` starts new ones,
        under `limits` when given."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._alive -= len(idle)
            self._generation += 1
            self.limits = limits or self.limits
        for worker in idle:
            worker.retire()

    def pids(self) -> list[int]:
        """The idle workers' process ids."""
        with self._lock:
            return [worker.process.pid for worker in self._idle]

    def _take(self) -> _Worker:
        with self._lock:
            self._forget_after_fork()
            if not self._idle and self._alive < self.limits.workers:
                self._add_idle()
            if not self._lock.wait_for(lambda: bool(self._idle), timeout=self.limits.seconds):
                raise CageBusy(f"all {self.limits.workers} of its workers were busy")
            return self._idle.pop()

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if worker.owner == self._pid and worker.generation == self._generation:
                self._idle.append(worker)
                self._lock.notify()
                return
            self._alive -= 1
        worker.retire()

    def _replace(self, worker: _Worker) -> None:
        """Kill a worker that failed, and start its successor now, while nobody waits for it."""
        worker.kill()
        with self._lock:
            self._alive -= 1
            try:
                self._add_idle()
            except OSError:
                log.exception("could not start a worker for %s", self.module)

    def _add_idle(self) -> None:
        self._idle.append(_Worker(self._spawn(), self._generation))
        self._alive += 1
        self._lock.notify()

    def _forget_after_fork(self) -> None:
        """In a child forked from the process that started the workers, those are not ours."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._idle = []
            self._alive = 0

    def _spawn(self) -> subprocess.Popen[bytes]:
        limits = self.limits
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                self.module,
                str(limits.cpu_seconds),
                str(limits.memory_mib * 1024 * 1024),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=self._environment,
            # Out of the terminal's process group: Ctrl-C stops the server, which then closes
            # the workers, instead of every worker printing its own KeyboardInterrupt.
            start_new_session=True,
        )


def _importable(module: str) -> dict[str, str]:
    """The environment, with the folder that `module` is imported from first on the path,
    however this process found it."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"no module named {module!r}")
    root = Path(spec.origin).resolve().parents[module.count(".")]
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(root), path) if p)}


# The worker's side ----------------------------------------------------------------------------


def serve(handle: Callable[[bytes], bytes]) -> None:
    """A worker's main loop: arguments are the CPU seconds per request and the address space
    in bytes, as `Cage` passes them. Returns when the parent closes our input."""
    cpu_seconds, memory_bytes = int(sys.argv[1]), int(sys.argv[2])
    replies = os.dup(1)
    # Anything printed goes to stderr, never into the replies.
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Below the server it serves: a worker spinning to its limit takes only the CPU the
    # server's own requests leave.
    os.nice(_NICENESS)
    # A worker killed for its CPU time would otherwise dump its whole memory to disk.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    _write_frame(replies, b"")  # ready
    while (request := _read_frame(0)) is not None:
        _allow_cpu(cpu_seconds)
        _write_frame(replies, handle(request))


def _allow_cpu(seconds: int) -> None:
    """RLIMIT_CPU counts the process's whole life: move the limit to `seconds` past now."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = math.ceil(usage.ru_utime + usage.ru_stime)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (used + seconds, hard))


def _write_frame(fd: int, data: bytes) -> None:
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_frame(fd: int) -> bytes | None:
    header = _read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    return _read_exactly(fd, _HEADER.unpack(header)[0])


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, 1 << 16))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
