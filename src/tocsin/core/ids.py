"""Identifiers: a readable type prefix and a ULID body, so ids sort by creation time.

Sortable ids make keyset pagination and index locality cheap; the 80 random bits make ids of
webhook endpoints (which appear in URLs) impractical to guess.

Within one millisecond a process's ids still sort in the order they were made (a monotonic
ULID: the random part of the next one is the last one's plus a random step), so events
written in one transaction at one `now` read back in the order they happened.
"""

from __future__ import annotations

import secrets
import threading
import time

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


_RANDOM_BITS = 80
_lock = threading.Lock()
_last = (0, 0)


def new_id(prefix: str) -> str:
    global _last
    millis = time.time_ns() // 1_000_000
    with _lock:
        last_millis, last_random = _last
        if millis <= last_millis:
            # Same millisecond (or a clock that stepped back): go on from the last id, by a
            # random step that keeps the next id as hard to guess as a fresh one's lower bits.
            millis = last_millis
            random = last_random + 1 + secrets.randbits(32)
            if random >= 1 << _RANDOM_BITS:
                millis, random = millis + 1, secrets.randbits(_RANDOM_BITS - 1)
        else:
            random = secrets.randbits(_RANDOM_BITS - 1)
        _last = (millis, random)
    return f"{prefix}_{_encode(millis, 10)}{_encode(random, 16)}"
