"""The cage (core/cage.py): worker processes under CPU-time and memory limits, killed when a
reply is late, replaced at once, and gone when their parent closes them or exits (issue 17,
finding 1)."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tocsin.core.cage import Cage, CageLimits, CageStopped, CageUnavailable

WORKER = "tests.core.cage_test_worker"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cage() -> Iterator[Cage]:
    cage = Cage(WORKER, CageLimits(seconds=0.5, memory_mib=128, workers=1), max_reply=100_000)
    yield cage
    cage.close()


def limits_of(cage: Cage) -> dict[str, float]:
    answer: dict[str, float] = json.loads(cage.ask(b"limits"))
    return answer


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_worker_answers_and_is_used_again(cage: Cage) -> None:
    assert cage.ask(b"echo:hello") == b"hello"
    first = limits_of(cage)["pid"]
    assert cage.ask(b"echo:" + b"y" * 100_000) == b"y" * 100_000  # more than a pipe holds
    assert limits_of(cage)["pid"] == first


def test_a_worker_runs_under_memory_and_cpu_limits_below_its_parent_and_dumps_no_core(
    cage: Cage,
) -> None:
    limits = limits_of(cage)
    assert limits["niceness"] == os.nice(0) + 10
    assert limits["memory"] == 128 * 1024 * 1024
    # RLIMIT_CPU counts a process's whole life: each request gets one second from its start.
    assert limits["cpu_used"] < limits["cpu"] <= math.ceil(limits["cpu_used"]) + 1
    assert limits["core"] == 0
    assert cage.ask(b"allocate:" + str(512 * 1024 * 1024).encode()) == b"MemoryError"
    assert cage.ask(b"allocate:1000") == b"1000"


def test_a_late_worker_is_killed_at_the_wall_clock_limit_and_replaced(cage: Cage) -> None:
    before = limits_of(cage)["pid"]
    started = time.monotonic()
    with pytest.raises(CageStopped, match=r"took longer than 0\.5 s"):
        cage.ask(b"spin")
    assert time.monotonic() - started < 0.5 + 1.0
    assert gone(before)
    # Its successor was started as it was killed, before anyone asked.
    [successor] = cage.pids()
    assert successor != before
    assert cage.ask(b"echo:still here") == b"still here"


def test_a_reply_longer_than_allowed_is_refused_before_it_is_read(cage: Cage) -> None:
    before = limits_of(cage)["pid"]
    with pytest.raises(CageStopped, match="more than the 100000 allowed"):
        cage.ask(b"reply:100001")
    assert gone(before)
    assert cage.ask(b"reply:100000") == b"x" * 100_000


def test_a_worker_that_died_while_idle_is_replaced_without_blaming_the_request(
    cage: Cage,
) -> None:
    dead = int(limits_of(cage)["pid"])
    os.kill(dead, signal.SIGKILL)
    os.waitid(os.P_PID, dead, os.WEXITED | os.WNOWAIT)  # dead, and left for the cage to reap
    assert cage.ask(b"echo:answered by its successor") == b"answered by its successor"
    assert limits_of(cage)["pid"] != dead


def test_workers_that_cannot_start_make_the_cage_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAGE_TEST_WORKER_FAILS", "1")
    broken = Cage(WORKER, CageLimits(workers=1), max_reply=100)
    try:
        with pytest.raises(CageUnavailable, match="did not start: its worker ended with status 1"):
            broken.ask(b"echo:nobody")
    finally:
        broken.close()


def test_closing_ends_the_workers_and_a_later_request_starts_new_ones(cage: Cage) -> None:
    cage.start()
    [pid] = cage.pids()
    cage.close()
    assert gone(pid)
    assert cage.pids() == []
    assert cage.ask(b"echo:again") == b"again"


def test_the_workers_end_with_a_process_that_never_closed_them() -> None:
    script = textwrap.dedent(
        f"""
        from tocsin.core.cage import Cage, CageLimits
        cage = Cage({WORKER!r}, CageLimits(workers=2), max_reply=100)
        cage.start()
        assert cage.ask(b"echo:x") == b"x"
        print(*cage.pids())
        """
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    pids = [int(pid) for pid in ran.stdout.split()]
    assert len(pids) == 2
    assert all(gone(pid) for pid in pids)
