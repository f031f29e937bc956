"""The call-attempt queries several detectors share: what a window holds, and its evidence.

"Reached" numbers are those called about alerts or sent a verification code (a code is a call
or text too, and a list of numbers worked through by codes is the same pattern)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, Subquery, distinct, func, select, union_all
from sqlalchemy.orm import Session

from tocsin.numbers.models import NumberVerification
from tocsin.numbers.verification import WENT_OUT
from tocsin.paging.models import CallAttempt


def within(start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """Attempts made after `start`, up to and including `end`, to phone numbers: calls and
    texts, not a member's e-mails (whose attempts name the member, not a number)."""
    return [
        CallAttempt.created_at > start,
        CallAttempt.created_at <= end,
        CallAttempt.channel != "email",
    ]


def _reached(start: datetime, end: datetime) -> Subquery:
    """(org_id, number) for every alert call and every code sent in the window."""
    calls = select(CallAttempt.org_id.label("org_id"), CallAttempt.to_number.label("number"))
    codes = select(
        NumberVerification.org_id.label("org_id"), NumberVerification.phone_e164.label("number")
    )
    return union_all(
        calls.where(*within(start, end)),
        codes.where(
            NumberVerification.org_id.is_not(None),
            NumberVerification.created_at > start,
            NumberVerification.created_at <= end,
            WENT_OUT,
        ),
    ).subquery()


def distinct_numbers_per_org(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    org_ids: Collection[str] | None = None,
    minimum: int = 1,
) -> dict[str, int]:
    """How many different numbers each organization reached, for those that reached at least
    `minimum`."""
    reached = _reached(start, end)
    count = func.count(distinct(reached.c.number))
    query = select(reached.c.org_id, count).group_by(reached.c.org_id).having(count >= minimum)
    if org_ids is not None:
        query = query.where(reached.c.org_id.in_(org_ids))
    return {org_id: n for org_id, n in session.execute(query)}


def sample_reached_numbers(
    session: Session, org_id: str, start: datetime, end: datetime, *, limit: int
) -> list[str]:
    """A few of the numbers the organization reached, lowest first."""
    reached = _reached(start, end)
    return list(
        session.scalars(
            select(reached.c.number)
            .where(reached.c.org_id == org_id)
            .distinct()
            .order_by(reached.c.number)
            .limit(limit)
        )
    )


def sample_numbers(
    session: Session,
    org_id: str,
    start: datetime,
    end: datetime,
    *,
    limit: int,
    condition: ColumnElement[bool] | None = None,
) -> list[str]:
    """A few of the numbers the organization called, lowest first so each scan quotes the
    same ones."""
    query = (
        select(CallAttempt.to_number)
        .where(CallAttempt.org_id == org_id, *within(start, end))
        .distinct()
    )
    if condition is not None:
        query = query.where(condition)
    return list(session.scalars(query.order_by(CallAttempt.to_number).limit(limit)))
