"""Plan limits on what an organization may have: endpoints, contacts, members.

Checked before something new is created, with the organization's row locked so that two
requests at once cannot both take the last place. Nothing existing is removed when a plan
shrinks; only new additions are refused.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import column, func, select, table
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.billing.plans import Plan
from tocsin.billing.standing import BillingConfig
from tocsin.core.errors import Forbidden, NotFound


class Resource(StrEnum):
    ENDPOINTS = "endpoints"
    CONTACTS = "contacts"
    MEMBERS = "members"


# Counted by table name: billing sits below the concepts whose rows its plans limit, so it names
# their tables rather than importing their models.
COUNTED = {
    Resource.ENDPOINTS: table("endpoints", column("org_id")),
    Resource.CONTACTS: table("contacts", column("org_id")),
    Resource.MEMBERS: table("memberships", column("org_id")),
}


class PlanLimitReached(Forbidden):
    def __init__(self, plan: Plan, resource: Resource, limit: int) -> None:
        super().__init__(
            f"the {plan.name} plan allows {limit} {resource.value}; remove one or choose a "
            "larger plan",
            code="plan_limit",
            details={"plan": plan.code, "resource": resource.value, "limit": limit},
        )


def used(session: Session, org_id: str, resource: Resource) -> int:
    rows = COUNTED[resource]
    return (
        session.scalar(select(func.count()).select_from(rows).where(rows.c.org_id == org_id)) or 0
    )


def check_room(
    session: Session, *, org_id: str, resource: Resource, billing: BillingConfig, now: datetime
) -> None:
    org = session.get(Organization, org_id, with_for_update=True)
    if org is None:
        raise NotFound("no organization with this id", code="org_not_found")
    plan = billing.plan_in_force(org, now)
    limit = getattr(plan, resource.value)
    if used(session, org_id, resource) >= limit:
        raise PlanLimitReached(plan, resource, limit)


def check_international(org: Organization, *, billing: BillingConfig, now: datetime) -> None:
    plan = billing.plan_in_force(org, now)
    if not plan.international_calling:
        raise Forbidden(
            f"the {plan.name} plan does not include international calling",
            code="plan_limit",
            details={"plan": plan.code, "resource": "international_calling"},
        )
