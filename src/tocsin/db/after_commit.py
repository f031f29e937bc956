"""Effects that follow a transaction's commit: counting a metric, writing a log line.

A command says what happened inside its transaction, but a transaction can still roll back
after the command returns (a later statement fails, the caller raises): counted or logged then,
a webhook that was never stored would show as received. `on_commit` keeps the effect until the
session commits, and drops it if the transaction rolls back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

_PENDING = "tocsin_after_commit"


def on_commit(session: Session, effect: Callable[[], None]) -> None:
    """Run `effect()` once the session's transaction has committed; never if it rolls back.
    Effects must be quick and touch no database (the session is between transactions)."""
    session.info.setdefault(_PENDING, []).append(effect)


def pending_effects(session: Session) -> int:
    """How many effects wait for the commit now: a mark for `drop_effects_since`."""
    return len(session.info.get(_PENDING, ()))


def drop_effects_since(session: Session, mark: int) -> None:
    """Forget the effects added after `mark`: their savepoint was rolled back, so what they
    would say did not happen (db/group_commit.py)."""
    del session.info.get(_PENDING, [])[mark:]


@event.listens_for(Session, "after_commit")
def _run_effects(session: Session) -> None:
    for effect in session.info.pop(_PENDING, ()):
        try:
            effect()
        except Exception:
            # The data is committed; a metric or a log line must not turn that into an error.
            log.exception("an effect after commit failed")


@event.listens_for(Session, "after_transaction_end")
def _drop_effects(session: Session, transaction: SessionTransaction) -> None:
    # After a commit the list is gone already; after a rollback of the whole transaction
    # (not of a savepoint) what it would have said did not happen.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
