"""An organization's billing standing, for the API, the dashboard and the CLI alike. Read-only;
changing the plan or starting a trial is `billing.commands`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.billing.chargebacks import ChargebackSummary, chargeback_summary
from tocsin.billing.models import Subscription, Trial
from tocsin.billing.plans import Plan
from tocsin.billing.standing import BillingConfig
from tocsin.billing.trials import claims_of, trial_of, used_claims
from tocsin.core.errors import NotFound


@dataclass(frozen=True)
class Standing:
    plan: Plan
    plan_held: str
    plan_ends_at: datetime | None
    default_plan: str
    subscription: Subscription | None
    trial: Trial | None
    trial_available: bool
    chargebacks: ChargebackSummary


def standing_of(
    session: Session,
    *,
    org_id: str,
    billing: BillingConfig,
    digest_key: bytes,
    now: datetime,
) -> Standing:
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound("no organization with this id", code="org_not_found")
    plan = billing.plan_in_force(org, now)
    trial = trial_of(session, org.id)
    trial_available = (
        trial is None
        and not plan.paid
        and billing.catalog.trial_plan() is not None
        and not used_claims(session, claims_of(session, org.id, digest_key=digest_key))
    )
    subscription = session.scalar(
        select(Subscription)
        .where(Subscription.org_id == org.id)
        .order_by(Subscription.updated_at.desc())
        .limit(1)
    )
    return Standing(
        plan=plan,
        plan_held=org.plan,
        plan_ends_at=org.plan_ends_at,
        default_plan=billing.default_plan,
        subscription=subscription,
        trial=trial,
        trial_available=trial_available,
        chargebacks=chargeback_summary(session, org.id, now=now),
    )
