"""Row locks taken once per transaction: a row this transaction has already locked as strongly as
asked is not selected again.

A row lock lasts until the transaction ends, so a second `SELECT ... FOR ...` of the same row in
the same transaction only reads again what the session already holds. Several steps of one
transaction lock the same row (recording a call's events one after another, a key that closes an
alert and the settling of its call), and each used to pay that read.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

T = TypeVar("T")


class Lock(IntEnum):
    """PostgreSQL's row locks, weakest first: each stronger one includes those before it.
    SQLite's writers take turns from BEGIN IMMEDIATE, so there these are reads."""

    KEY_SHARE = 1
    SHARE = 2
    NO_KEY_UPDATE = 3
    UPDATE = 4


_CLAUSE: dict[Lock, Any] = {
    Lock.KEY_SHARE: {"read": True, "key_share": True},
    Lock.SHARE: {"read": True},
    Lock.NO_KEY_UPDATE: {"key_share": True},
    Lock.UPDATE: True,
}
_HELD = "tocsin.row_locks"


class _Held:
    """The locks one transaction holds, and the rows it locked: kept here, so the session's
    identity map (which holds rows weakly once written out) still has them when asked again."""

    def __init__(self, transaction: object) -> None:
        self.transaction = transaction
        self.locks: dict[tuple[type[Any], str], Lock] = {}
        self.rows: list[object] = []


def _held(session: Session) -> _Held:
    """What the session's current transaction holds; a new transaction holds nothing."""
    transaction = session.get_transaction()
    held: _Held | None = session.info.get(_HELD)
    if held is None or held.transaction is not transaction:
        held = session.info[_HELD] = _Held(transaction)
    return held


def get_locked(session: Session, model: type[T], ident: str, lock: Lock) -> T | None:
    """The row of `model` with primary key `ident`, locked at least as `lock` for the rest of
    the transaction; None when there is no such row."""
    if not takes_row_locks(session):
        # SQLite: a writer's transaction (BEGIN IMMEDIATE) excludes every other writer from its
        # start, so a row this session loaded is as it is now, and a lock would add nothing.
        # The row is still held, so the next step of the transaction finds it loaded.
        found = session.get(model, ident)
        if found is not None:
            _held(session).rows.append(found)
        return found
    held = _held(session)
    key = (model, ident)
    if held.locks.get(key, 0) >= lock:
        return session.get(model, ident)
    # A row the session read before it was locked is read again under the lock, its changes
    # written out first: what another transaction committed meanwhile is what counts now.
    loaded = session.identity_map.get(identity_key(model, ident)) is not None
    if loaded:
        session.flush()
    row = session.get(model, ident, with_for_update=_CLAUSE[lock], populate_existing=loaded)
    if row is not None:
        held.locks[key] = lock
        held.rows.append(row)
    return row


def takes_row_locks(session: Session) -> bool:
    """Whether the session's database locks rows (PostgreSQL) rather than whole writers."""
    bind = session.bind
    return bind is None or bind.dialect.name != "sqlite"


def lock_clause(lock: Lock) -> Any:
    """What `with_for_update` takes for `lock`, for a row read some other way."""
    return _CLAUSE[lock]


def note_locked(session: Session, row: object, model: type[Any], ident: str, lock: Lock) -> None:
    """Record a lock taken on `row` some other way (a refresh under a lock) for `get_locked`."""
    held = _held(session)
    key = (model, ident)
    held.locks[key] = max(lock, held.locks.get(key, lock))
    held.rows.append(row)
