"""Reading a fetched external calendar (tocsin.rota.parse_feed) in a child process that is
killed at `SECONDS`, so the worker reads it outside any transaction and a hostile calendar
costs at most that.

The calendar is the customer's (or whoever serves it) to write, and no count of occurrences
bounds dateutil's work: a recurrence whose filters can never match together (a 366th day of
the year in January) is searched for until the year 9999, seconds of CPU per event, and a
calendar of 2 MiB holds thousands of them. A thread cannot be stopped; a process can.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

from tocsin import rota

SECONDS = 20.0
# The child's address space: a calendar of 2 MiB expanded to its events needs far less.
MEMORY_BYTES = 2 * 1024 * 1024 * 1024


def read_calendar(
    data: bytes,
    *,
    user_for: dict[str, str],
    starts_at: datetime,
    ends_at: datetime,
    seconds: float | None = None,
) -> list[rota.Event]:
    """rota.parse_feed's events; rota.FeedError for a calendar it refuses, or one whose reading
    takes longer than `seconds` (default `SECONDS`). Blocks: call it off the event loop."""
    limit = SECONDS if seconds is None else seconds
    request = {
        "data": data.decode("latin-1"),
        "user_for": user_for,
        "starts_at": starts_at.isoformat(),
        "ends_at": ends_at.isoformat(),
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", __name__],
            input=json.dumps(request).encode(),
            capture_output=True,
            timeout=limit,
            check=False,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        )
    except subprocess.TimeoutExpired:
        unit = "second" if limit == 1 else "seconds"
        raise rota.FeedError(f"reading it took longer than {limit:g} {unit}") from None
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        answer = None
    if done.returncode != 0 or not isinstance(answer, dict):
        raise rota.FeedError("it could not be read (the reader stopped)")
    if "error" in answer:
        raise rota.FeedError(str(answer["error"]))
    return [
        rota.Event(
            user_id=user_id,
            starts_at=datetime.fromisoformat(begins),
            ends_at=datetime.fromisoformat(ends),
        )
        for user_id, begins, ends in answer["events"]
    ]


def _main() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    except (ImportError, ValueError, OSError):
        pass  # not on this platform: the time limit still holds
    request = json.loads(sys.stdin.buffer.read())
    try:
        events = rota.parse_feed(
            request["data"].encode("latin-1"),
            user_for=request["user_for"],
            starts_at=datetime.fromisoformat(request["starts_at"]),
            ends_at=datetime.fromisoformat(request["ends_at"]),
        )
    except rota.FeedError as problem:
        answer: dict[str, object] = {"error": str(problem)}
    else:
        answer = {
            "events": [
                [event.user_id, event.starts_at.isoformat(), event.ends_at.isoformat()]
                for event in events
            ]
        }
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    _main()
