"""INSERT ... ON CONFLICT DO NOTHING on both backends."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_conflicts(
    session: Session, table: Table, *, on: list[str]
) -> postgresql.Insert | sqlite.Insert:
    """An insert that does nothing when a row with the same `on` columns exists; chain
    `.values(...)` (and `.returning(...)` to learn whether it inserted)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=on)
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=on)
