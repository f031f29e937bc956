"""The first user of a server: the one sign-up that needs no invite while sign-up is closed.

"No users yet" read by several sign-ups at once is true for all of them (PostgreSQL's read
committed, or several processes), so the place is a row, `first_sign_up`, whose key is always
1: the first sign-up inserts it, and a concurrent one's insert waits for that transaction and
then inserts nothing. The row outlives its user, so deleting every user does not reopen a
closed server to whoever signs up next.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tocsin.accounts.models import FirstSignUp, User
from tocsin.core.errors import Forbidden
from tocsin.db.base import table_of
from tocsin.db.upsert import insert_ignoring_conflicts

_THE_ROW = 1
_FIRST_SIGN_UP = table_of(FirstSignUp)


def claim(session: Session, *, now: datetime) -> None:
    """Take the first place for the sign-up in this transaction, or Forbidden
    (`signup_closed`) when it is taken or the server has users already (the operator may
    have made some with `tocsin user create`). Rolled back with a refused sign-up."""
    if not take_if_free(session, now=now):
        raise Forbidden("sign-up needs an invite code on this server", code="signup_closed")


def take_if_free(session: Session, *, now: datetime) -> bool:
    """Take the first place if nobody has it and the server has no users yet; whether this
    sign-up took it. On a server whose sign-up is open, the first place is not needed to sign
    up, but it still decides who becomes owner of the quickstart's demo organization."""
    taken = session.scalar(
        insert_ignoring_conflicts(session, _FIRST_SIGN_UP, on=["id"])
        .values(id=_THE_ROW, claimed_at=now)
        .returning(FirstSignUp.id)
    )
    has_users = session.scalar(select(func.count()).select_from(User)) != 0
    return taken is not None and not has_users


def record(session: Session, *, user_id: str) -> None:
    """Name the user who took the first place (after `claim`, once the user exists)."""
    session.execute(
        update(FirstSignUp)
        .where(FirstSignUp.id == _THE_ROW)
        .values(user_id=user_id)
        .execution_options(synchronize_session=False)
    )
