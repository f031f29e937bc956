"""The names people give things (contacts, endpoints, escalation policies): one line, not
empty, short enough to show."""

from __future__ import annotations

from tocsin.core.errors import InvalidInput

MAX_NAME = 200


def clean_name(value: str) -> str:
    """`value` with its runs of whitespace folded to one space; InvalidInput if nothing is left
    or it is longer than MAX_NAME."""
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > MAX_NAME:
        raise InvalidInput(f"name must be 1 to {MAX_NAME} characters", code="invalid_name")
    return cleaned
