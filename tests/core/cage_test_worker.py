"""A cage worker for tests/core/test_cage.py: `python -m tests.core.cage_test_worker`.

Requests are `what:argument`: echo it back, spin for ever, allocate that many bytes, reply that
many bytes, or tell the limits the worker runs under. With CAGE_TEST_WORKER_FAILS set, it
does not start at all."""

from __future__ import annotations

import json
import os
import resource

from tocsin.core.cage import serve


def handle(request: bytes) -> bytes:
    what, _, argument = request.partition(b":")
    if what == b"echo":
        return argument
    if what == b"spin":
        while True:
            pass
    if what == b"allocate":
        try:
            return str(len(bytearray(int(argument)))).encode()
        except MemoryError:
            return b"MemoryError"
    if what == b"reply":
        return b"x" * int(argument)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    limits = {
        "pid": os.getpid(),
        "cpu": resource.getrlimit(resource.RLIMIT_CPU)[0],
        "cpu_used": usage.ru_utime + usage.ru_stime,
        "memory": resource.getrlimit(resource.RLIMIT_AS)[0],
        "core": resource.getrlimit(resource.RLIMIT_CORE)[0],
        "niceness": os.nice(0),
    }
    return json.dumps(limits).encode()


if __name__ == "__main__":
    if os.environ.get("CAGE_TEST_WORKER_FAILS"):
        raise SystemExit("this worker was asked not to start")
    serve(handle)
