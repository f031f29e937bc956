"""Choosing whom to call from an endpoint's ordered contact list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from tocsin.endpoints.models import RoutingMode

T = TypeVar("T")


def select_targets(mode: str, contacts: Sequence[T]) -> list[T]:
    if not contacts:
        return []
    if mode == RoutingMode.ALL:
        return list(contacts)
    return [contacts[0]]
