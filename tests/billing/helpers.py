"""Small plan catalogues for tests, so a cap is reached in a few calls."""

from __future__ import annotations

from tocsin.billing.plans import PlanCatalog
from tocsin.billing.standing import BillingConfig


def catalog(*, daily: int = 100, monthly: int = 1000, spend_cents: int = 100_000) -> PlanCatalog:
    return PlanCatalog.parse(
        f"""
[plans.tiny]
name = "Tiny"
monthly_calls = {monthly}
daily_calls = {daily}
monthly_spend_cents = {spend_cents}
endpoints = 2
contacts = 3
members = 2
audit_retention_days = 7
international_calling = false

[plans.trial]
name = "Trial"
monthly_calls = 100
daily_calls = 25
monthly_spend_cents = 300
endpoints = 10
contacts = 10
members = 5
audit_retention_days = 30
international_calling = false
trial_days = 14

[plans.team]
name = "Team"
monthly_calls = 500
daily_calls = 100
monthly_spend_cents = 2000
endpoints = 25
contacts = 25
members = 15
audit_retention_days = 90
international_calling = true
paid = true
""",
        source="test plans",
    )


def tiny_billing(
    *, daily: int = 100, monthly: int = 1000, spend_cents: int = 100_000, cost_cents: int = 2
) -> BillingConfig:
    return BillingConfig(
        catalog(daily=daily, monthly=monthly, spend_cents=spend_cents),
        default_plan="tiny",
        call_cost_cents=cost_cents,
    )
