"""Counting calls against an organization's caps, in the transaction that writes the attempt.

A call is counted by a conditional `UPDATE ... WHERE calls < cap RETURNING`: on PostgreSQL the
row lock that UPDATE takes makes a second worker wait and then re-check the condition against
the committed count, so eight workers racing for the last call leave exactly one with it. On
SQLite writers take turns anyway. The day row is always updated before the month row, so two
transactions never wait for each other in opposite orders.

Each counter row is one period, keyed by the instant it started (policy/quota.py): which period
a call counts in is decided from the newest rows, so a period once counted keeps its end
whatever the organization's time zone becomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.orm import Session, aliased

from tocsin.billing.models import UsageCounter
from tocsin.db.base import table_of
from tocsin.db.upsert import insert_ignoring_conflicts
from tocsin.policy.quota import (
    CallCaps,
    CapKind,
    Period,
    PeriodKind,
    Periods,
    calls_left,
    cap_reached,
    periods_at,
    tightest_cap,
)

_COUNTERS = table_of(UsageCounter)
_ROW = (
    (_COUNTERS.c.org_id == bindparam("for_org"))
    & (_COUNTERS.c.kind == bindparam("for_kind"))
    & (_COUNTERS.c.starts_at == bindparam("for_start"))
)
_BUMP_DAY = (
    update(_COUNTERS)
    .where(_ROW, _COUNTERS.c.calls < bindparam("calls_cap"))
    .values(
        calls=_COUNTERS.c.calls + 1,
        spend_cents=_COUNTERS.c.spend_cents + bindparam("cost"),
    )
    .returning(_COUNTERS.c.calls)
)
_BUMP_MONTH = (
    update(_COUNTERS)
    .where(
        _ROW,
        _COUNTERS.c.calls < bindparam("calls_cap"),
        _COUNTERS.c.spend_cents + bindparam("cost") <= bindparam("spend_cap"),
    )
    .values(
        calls=_COUNTERS.c.calls + 1,
        spend_cents=_COUNTERS.c.spend_cents + bindparam("cost"),
    )
    .returning(_COUNTERS.c.calls, _COUNTERS.c.spend_cents)
)
_GIVE_BACK = (
    update(_COUNTERS)
    .where(_ROW, _COUNTERS.c.calls > 0)
    .values(
        calls=_COUNTERS.c.calls - 1,
        spend_cents=_COUNTERS.c.spend_cents - bindparam("cost"),
    )
)
_READ = select(_COUNTERS.c.calls, _COUNTERS.c.spend_cents).where(_ROW)

# The newest row of each kind: one query, two rows at most, read off the primary key.
_NEWER = aliased(UsageCounter)
_NEWEST = select(UsageCounter).where(
    UsageCounter.org_id == bindparam("for_org"),
    UsageCounter.starts_at
    == select(func.max(_NEWER.starts_at))
    .where(_NEWER.org_id == UsageCounter.org_id, _NEWER.kind == UsageCounter.kind)
    .scalar_subquery(),
)


@dataclass(frozen=True)
class Used:
    """The periods a call now counts in, and what each has used so far."""

    periods: Periods
    day_calls: int
    month_calls: int
    month_spend_cents: int


@dataclass(frozen=True)
class Counted:
    periods: Periods
    cost_cents: int
    # Calls every cap still allows after this one, and the cap that allows the fewest.
    left: int
    tightest: CapKind


@dataclass(frozen=True)
class Refused:
    cap: CapKind
    resets_at: datetime


def _period(row: UsageCounter) -> Period:
    return Period(PeriodKind(row.kind), row.starts_at, row.ends_at, row.label)


def used_now(session: Session, *, org_id: str, timezone: str, now: datetime) -> Used:
    """Which day and month a call at `now` counts in, and their counts: the newest periods
    counted while they last, then the next in the organization's zone (policy/quota.py)."""
    newest = {row.kind: row for row in session.scalars(_NEWEST, {"for_org": org_id})}
    day_row, month_row = newest.get(PeriodKind.DAY.value), newest.get(PeriodKind.MONTH.value)
    periods = periods_at(
        now,
        timezone,
        latest_day=_period(day_row) if day_row is not None else None,
        latest_month=_period(month_row) if month_row is not None else None,
    )
    day_calls = day_row.calls if day_row is not None and _is(day_row, periods.day) else 0
    month_calls, month_spend = (
        (month_row.calls, month_row.spend_cents)
        if month_row is not None and _is(month_row, periods.month)
        else (0, 0)
    )
    return Used(periods, day_calls, month_calls, month_spend)


def _is(row: UsageCounter, period: Period) -> bool:
    return row.starts_at == period.starts_at


def _key(org_id: str, period: Period) -> dict[str, object]:
    return {"for_org": org_id, "for_kind": period.kind.value, "for_start": period.starts_at}


def _ensure_rows(session: Session, org_id: str, periods: Periods) -> None:
    session.execute(
        insert_ignoring_conflicts(session, _COUNTERS, on=["org_id", "kind", "starts_at"]).values(
            [
                {
                    "org_id": org_id,
                    "kind": period.kind.value,
                    "starts_at": period.starts_at,
                    "ends_at": period.ends_at,
                    "label": period.label,
                    "calls": 0,
                    "spend_cents": 0,
                }
                for period in (periods.day, periods.month)
            ]
        )
    )


def count_call(
    session: Session, *, org_id: str, caps: CallCaps, periods: Periods
) -> Counted | Refused:
    """Count one call in today's and this month's counters, or refuse it, atomically."""
    cost = caps.cost_cents
    day_params = {**_key(org_id, periods.day), "calls_cap": caps.daily_calls}
    month_params = {
        **_key(org_id, periods.month),
        "calls_cap": caps.monthly_calls,
        "spend_cap": caps.monthly_spend_cents,
    }

    def bump_day() -> int | None:
        calls: int | None = session.scalar(_BUMP_DAY, {**day_params, "cost": cost})
        return calls

    def bump_month() -> Row[tuple[int, int]] | None:
        return session.execute(_BUMP_MONTH, {**month_params, "cost": cost}).one_or_none()

    # The first call of a day or month finds no row to update; only then are rows created,
    # so every other call costs two statements, not three.
    day_calls = bump_day()
    if day_calls is None:
        _ensure_rows(session, org_id, periods)
        day_calls = bump_day()
    if day_calls is None:
        return Refused(CapKind.DAILY, periods.day_resets_at)
    month = bump_month()
    if month is None:
        _ensure_rows(session, org_id, periods)
        month = bump_month()
    if month is None:
        session.execute(_GIVE_BACK, {**_key(org_id, periods.day), "cost": cost})
        used = session.execute(_READ, _key(org_id, periods.month)).one()
        cap = cap_reached(
            caps, day_calls=0, month_calls=used.calls, month_spend_cents=used.spend_cents
        )
        return Refused(cap or CapKind.MONTHLY, periods.month_resets_at)
    counts = {
        "day_calls": day_calls,
        "month_calls": month.calls,
        "month_spend_cents": month.spend_cents,
    }
    return Counted(
        periods=periods,
        cost_cents=cost,
        left=calls_left(caps, **counts),
        tightest=tightest_cap(caps, **counts),
    )


def give_back(
    session: Session,
    *,
    org_id: str,
    day_starts_at: datetime,
    month_starts_at: datetime,
    cost_cents: int,
) -> None:
    """Uncount a call the provider certainly never placed, from the periods it was counted in."""
    for kind, starts_at in ((PeriodKind.DAY, day_starts_at), (PeriodKind.MONTH, month_starts_at)):
        session.execute(
            _GIVE_BACK,
            {"for_org": org_id, "for_kind": kind.value, "for_start": starts_at, "cost": cost_cents},
        )


def days_since(session: Session, org_id: str, since: datetime) -> list[UsageCounter]:
    """The organization's day counters that ended after `since`, oldest first."""
    return list(
        session.scalars(
            select(UsageCounter)
            .where(
                UsageCounter.org_id == org_id,
                UsageCounter.kind == PeriodKind.DAY.value,
                UsageCounter.ends_at > since,
            )
            .order_by(UsageCounter.starts_at)
        )
    )
