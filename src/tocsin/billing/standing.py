"""Which plan an organization is on now, and the caps that plan puts on its calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tocsin.accounts.models import SELF_HOSTED, Organization
from tocsin.billing.plans import Plan, PlanCatalog, effective_plan_code
from tocsin.policy.quota import CallCaps


@dataclass(frozen=True)
class BillingConfig:
    catalog: PlanCatalog
    # New organizations start on it, and one whose trial or subscription ends returns to it.
    default_plan: str = SELF_HOSTED
    # Estimated cost of one call, in cents, for the monthly spend limit.
    call_cost_cents: int = 2

    def plan_in_force(self, org: Organization, now: datetime) -> Plan:
        code = effective_plan_code(
            plan=org.plan, plan_ends_at=org.plan_ends_at, fallback=self.default_plan, now=now
        )
        # A plan removed from the catalogue since it was assigned falls back rather than
        # lifting every cap.
        return self.catalog.get(code) or self.catalog.get_plan(self.default_plan)

    def caps(self, plan: Plan) -> CallCaps:
        return CallCaps(
            monthly_calls=plan.monthly_calls,
            daily_calls=plan.daily_calls,
            monthly_spend_cents=plan.monthly_spend_cents,
            cost_cents=self.call_cost_cents,
        )


DEFAULT_BILLING = BillingConfig(PlanCatalog.load())
