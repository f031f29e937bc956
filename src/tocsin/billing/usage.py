"""Counting calls against an organization's caps, in the transaction that writes the attempt.

A call is counted by a conditional `UPDATE ... WHERE calls < cap RETURNING`: on PostgreSQL the
row lock that UPDATE takes makes a second worker wait and then re-check the condition against
the committed count, so eight workers racing for the last call leave exactly one with it. On
SQLite writers take turns anyway. The day row is always updated before the month row, so two
transactions never wait for each other in opposite orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session

from tocsin.billing.models import UsageCounter
from tocsin.db.base import table_of
from tocsin.db.upsert import insert_ignoring_conflicts
from tocsin.policy.quota import (
    CallCaps,
    CapKind,
    Periods,
    calls_left,
    cap_reached,
    month_of,
    tightest_cap,
)

_COUNTERS = table_of(UsageCounter)
_ROW = (_COUNTERS.c.org_id == bindparam("for_org")) & (
    _COUNTERS.c.period == bindparam("for_period")
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


@dataclass(frozen=True)
class Counted:
    day: str
    cost_cents: int
    # Calls every cap still allows after this one, and the cap that allows the fewest.
    left: int
    tightest: CapKind


@dataclass(frozen=True)
class Refused:
    cap: CapKind
    resets_at: datetime


def _ensure_rows(session: Session, org_id: str, periods: Periods) -> None:
    session.execute(
        insert_ignoring_conflicts(session, _COUNTERS, on=["org_id", "period"]).values(
            [
                {"org_id": org_id, "period": periods.day, "calls": 0, "spend_cents": 0},
                {"org_id": org_id, "period": periods.month, "calls": 0, "spend_cents": 0},
            ]
        )
    )


def count_call(
    session: Session, *, org_id: str, caps: CallCaps, periods: Periods
) -> Counted | Refused:
    """Count one call in today's and this month's counters, or refuse it, atomically."""
    cost = caps.cost_cents
    day_params = {"for_org": org_id, "for_period": periods.day, "calls_cap": caps.daily_calls}
    month_params = {
        "for_org": org_id,
        "for_period": periods.month,
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
        session.execute(_GIVE_BACK, {"for_org": org_id, "for_period": periods.day, "cost": cost})
        used = session.execute(_READ, {"for_org": org_id, "for_period": periods.month}).one()
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
        day=periods.day,
        cost_cents=cost,
        left=calls_left(caps, **counts),
        tightest=tightest_cap(caps, **counts),
    )


def give_back(session: Session, *, org_id: str, day: str, cost_cents: int) -> None:
    """Uncount a call the provider certainly never placed."""
    for period in (day, month_of(day)):
        session.execute(_GIVE_BACK, {"for_org": org_id, "for_period": period, "cost": cost_cents})


def counters(session: Session, org_id: str, periods: list[str]) -> dict[str, tuple[int, int]]:
    """Calls and estimated spend for each period asked for (missing periods are zero)."""
    rows = session.execute(
        select(_COUNTERS.c.period, _COUNTERS.c.calls, _COUNTERS.c.spend_cents).where(
            _COUNTERS.c.org_id == org_id, _COUNTERS.c.period.in_(periods)
        )
    )
    found = {row.period: (row.calls, row.spend_cents) for row in rows}
    return {period: found.get(period, (0, 0)) for period in periods}
