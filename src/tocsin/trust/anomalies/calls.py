"""The call-attempt queries several detectors share: what a window holds, and its evidence."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.orm import Session

from tocsin.paging.models import CallAttempt


def within(start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """Attempts made after `start`, up to and including `end`."""
    return [CallAttempt.created_at > start, CallAttempt.created_at <= end]


def distinct_numbers_per_org(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    org_ids: Collection[str] | None = None,
    minimum: int = 1,
) -> dict[str, int]:
    """How many different numbers each organization called, for those that called at least
    `minimum`."""
    count = func.count(distinct(CallAttempt.to_number))
    query = (
        select(CallAttempt.org_id, count)
        .where(*within(start, end))
        .group_by(CallAttempt.org_id)
        .having(count >= minimum)
    )
    if org_ids is not None:
        query = query.where(CallAttempt.org_id.in_(org_ids))
    return {org_id: n for org_id, n in session.execute(query)}


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
