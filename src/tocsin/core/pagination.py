"""Keyset pagination over time-sortable ids: stable under inserts, cheap at any depth."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from tocsin.core.errors import InvalidInput

if TYPE_CHECKING:
    # Types only: a page and its limits are shown by commands that never open a database.
    from sqlalchemy import Select
    from sqlalchemy.orm import InstrumentedAttribute, Session

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", code="invalid_limit")
    return limit


def paginate(
    session: Session,
    query: Select[T],
    id_column: InstrumentedAttribute[Any],
    *,
    limit: int,
    cursor: str | None,
    newest_first: bool = False,
) -> Page[T]:
    """Return up to `limit` rows after `cursor` (the last id of the previous page)."""
    limit = check_limit(limit)
    if cursor:
        query = query.where(id_column < cursor if newest_first else id_column > cursor)
    query = query.order_by(id_column.desc() if newest_first else id_column.asc()).limit(limit + 1)
    rows = list(session.scalars(query))
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = getattr(rows[-1], "id", None) if has_more and rows else None
    return Page(rows, next_cursor)
