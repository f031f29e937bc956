"""Who did something: a user, an API key, the system or the shell.

The audit log and every command take one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who did something: a user, an API key, the system, or a worker."""

    type: str
    id: str | None = None
    ip_address: str | None = None
