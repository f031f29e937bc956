"""Usage as an organization sees it: calls used and left today and this month, per day and per
endpoint, against the plan in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.billing.plans import Plan
from tocsin.billing.standing import BillingConfig
from tocsin.billing.usage import days_since, used_now
from tocsin.core.errors import NotFound
from tocsin.endpoints.models import Endpoint
from tocsin.paging.models import Alert, CallAttempt
from tocsin.policy.quota import calls_left

MAX_DAYS = 400


@dataclass(frozen=True)
class DayUsage:
    date: str
    calls: int
    spend_cents: int


@dataclass(frozen=True)
class EndpointUsage:
    endpoint_id: str
    name: str | None
    calls: int


@dataclass(frozen=True)
class Usage:
    plan: Plan
    plan_held: str
    plan_ends_at: datetime | None
    timezone: str
    today: str
    calls_today: int
    daily_calls: int
    day_resets_at: datetime
    month: str
    calls_this_month: int
    monthly_calls: int
    spend_cents_this_month: int
    monthly_spend_cents: int
    month_resets_at: datetime
    calls_left: int
    per_day: list[DayUsage]
    per_endpoint: list[EndpointUsage]


def usage_report(
    session: Session, *, org_id: str, billing: BillingConfig, now: datetime, days: int = 30
) -> Usage:
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound("no organization with this id", code="org_not_found")
    plan = billing.plan_in_force(org, now)
    caps = billing.caps(plan)
    used = used_now(session, org_id=org.id, timezone=org.timezone, now=now)
    periods = used.periods
    return Usage(
        plan=plan,
        plan_held=org.plan,
        plan_ends_at=org.plan_ends_at,
        timezone=org.timezone,
        today=periods.day.label,
        calls_today=used.day_calls,
        daily_calls=caps.daily_calls,
        day_resets_at=periods.day_resets_at,
        month=periods.month.label,
        calls_this_month=used.month_calls,
        monthly_calls=caps.monthly_calls,
        spend_cents_this_month=used.month_spend_cents,
        monthly_spend_cents=caps.monthly_spend_cents,
        month_resets_at=periods.month_resets_at,
        calls_left=calls_left(
            caps,
            day_calls=used.day_calls,
            month_calls=used.month_calls,
            month_spend_cents=used.month_spend_cents,
        ),
        per_day=_per_day(session, org.id, today=periods.day.label, days=days, now=now),
        per_endpoint=_per_endpoint(session, org.id, month=periods.month.starts_at, now=now),
    )


def _per_day(
    session: Session, org_id: str, *, today: str, days: int, now: datetime
) -> list[DayUsage]:
    """The last `days` local dates, today last. A day cut short or stretched by a time-zone
    change counts under the date it is labelled with."""
    last = date.fromisoformat(today)
    labels = [(last - timedelta(days=back)).isoformat() for back in range(days - 1, -1, -1)]
    totals = dict.fromkeys(labels, (0, 0))
    for row in days_since(session, org_id, now - timedelta(days=days + 2)):
        if row.label in totals:
            calls, spend = totals[row.label]
            totals[row.label] = (calls + row.calls, spend + row.spend_cents)
    return [DayUsage(label, *totals[label]) for label in labels]


def _per_endpoint(
    session: Session, org_id: str, *, month: datetime, now: datetime
) -> list[EndpointUsage]:
    # The time bound lets the (org_id, created_at) index do the work; the month counted in then
    # keeps exactly the calls of this month's counter.
    since = now - timedelta(days=45)
    rows = session.execute(
        select(Alert.endpoint_id, Endpoint.name, func.count(CallAttempt.id))
        .join(Alert, Alert.id == CallAttempt.alert_id)
        .outerjoin(Endpoint, Endpoint.id == Alert.endpoint_id)
        .where(
            CallAttempt.org_id == org_id,
            CallAttempt.created_at >= since,
            CallAttempt.billed_month_starts_at == month,
        )
        .group_by(Alert.endpoint_id, Endpoint.name)
        .order_by(func.count(CallAttempt.id).desc(), Alert.endpoint_id)
    ).all()
    return [EndpointUsage(row[0], row[1], int(row[2])) for row in rows]
