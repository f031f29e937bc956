"""Changing what an organization has: its plan, and its free trial.

The shell, the API and Paddle's events all change plans and start trials through these, so
each change is checked and recorded the same way whoever asks. A claim that turns up during a
trial (a number verified, a card or a Paddle customer paying) is checked here too, and ends the
trial if another trial already holds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.billing.models import Subscription, Trial
from tocsin.billing.plans import Plan
from tocsin.billing.standing import BillingConfig
from tocsin.billing.trials import (
    Claim,
    ClaimKind,
    check_owners_verified,
    claim_holder,
    claims_of,
    insert_claim,
    refusal_for,
    trial_of,
    used_claims,
)
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, NotFound
from tocsin.core.ids import new_id

# What an organization holds: its plan and when that plan ends (None: until changed).
PlanTerm = tuple[str, datetime | None]


def _locked_organization(session: Session, org_id: str) -> Organization:
    org = session.get(Organization, org_id, with_for_update=True)
    if org is None:
        raise NotFound("no organization with this id", code="org_not_found")
    return org


def record_plan_change(
    session: Session,
    *,
    org: Organization,
    before: PlanTerm,
    actor: Actor,
    now: datetime,
    subscription: Subscription | None = None,
) -> None:
    """Record `billing.plan_changed` if the organization's plan or its end differs from
    `before`; `subscription` is the Paddle subscription that changed it, if one did."""
    if (org.plan, org.plan_ends_at) == before:
        return
    because = (
        {"subscription_id": subscription.id, "status": subscription.status}
        if subscription is not None
        else {}
    )
    audit.record(
        session,
        actor=actor,
        action=AuditAction.BILLING_PLAN_CHANGED,
        at=now,
        org_id=org.id,
        target_type="organization",
        target_id=org.id,
        details={
            "plan": org.plan,
            "ends_at": org.plan_ends_at.isoformat() if org.plan_ends_at else None,
            "previous": before[0],
            **because,
        },
    )


def set_plan(
    session: Session,
    *,
    org_id: str,
    plan: str,
    ends_at: datetime | None,
    billing: BillingConfig,
    actor: Actor,
    now: datetime,
) -> Plan:
    """An operator's own choice of plan, e.g. on a self-hosted server or for a customer
    billed outside Paddle; after `ends_at` the default plan applies."""
    org = _locked_organization(session, org_id)
    chosen = billing.catalog.get_plan(plan)
    before = (org.plan, org.plan_ends_at)
    org.plan, org.plan_ends_at = chosen.code, ends_at
    record_plan_change(session, org=org, before=before, actor=actor, now=now)
    return chosen


@dataclass(frozen=True)
class TrialAnswer:
    """A trial started, or the refusal, which is recorded but not raised: the caller commits
    the record first, then raises it (`started`)."""

    trial: Trial | None
    refusal: Conflict | None

    def started(self) -> Trial:
        """The trial; the refusal raised when there is none."""
        if self.refusal is not None:
            raise self.refusal
        if self.trial is None:
            raise RuntimeError("a trial answer holds a trial or a refusal")
        return self.trial


def start_trial(
    session: Session,
    *,
    org_id: str,
    billing: BillingConfig,
    digest_key: bytes,
    actor: Actor,
    now: datetime,
    source: str = "api",
    ends_at: datetime | None = None,
    subscription_id: str | None = None,
) -> TrialAnswer:
    """Put the organization on the trial plan once per billing entity (owner, email, card,
    number), or record why not. Refusals must stay in the log although nothing else of the
    attempt does: repeated refusals of one person are what the anomaly scan looks for
    (trust/anomalies/repeated_trials.py)."""
    org = _locked_organization(session, org_id)
    try:
        # A refusal undoes only the attempt, so no claim is left half-written.
        with session.begin_nested():
            trial = _begin_trial(
                session,
                org=org,
                billing=billing,
                digest_key=digest_key,
                actor=actor,
                now=now,
                source=source,
                ends_at=ends_at,
            )
    except Conflict as refusal:
        audit.record(
            session,
            actor=actor,
            action=AuditAction.BILLING_TRIAL_REFUSED,
            at=now,
            org_id=org.id,
            target_type="organization",
            target_id=org.id,
            details={
                "code": refusal.code,
                "reason": refusal.message,
                **(refusal.details or {}),
                **({"subscription_id": subscription_id} if subscription_id else {}),
            },
        )
        return TrialAnswer(None, refusal)
    return TrialAnswer(trial, None)


def _begin_trial(
    session: Session,
    *,
    org: Organization,
    billing: BillingConfig,
    digest_key: bytes,
    actor: Actor,
    now: datetime,
    source: str,
    ends_at: datetime | None,
) -> Trial:
    plan = billing.catalog.trial_plan()
    if plan is None:
        raise Conflict("this server offers no trial plan", code="no_trial_plan")
    if session.scalar(select(Trial.id).where(Trial.org_id == org.id)) is not None:
        raise Conflict("this organization has already had its free trial", code="trial_used")
    if billing.plan_in_force(org, now).paid:
        raise Conflict("this organization is on a paid plan", code="already_subscribed")
    check_owners_verified(session, org.id)
    claims = claims_of(session, org.id, digest_key=digest_key)
    used = used_claims(session, claims)
    if used:
        raise refusal_for(used)
    # Two organizations of one person asking at once: the unique claim makes one of them lose.
    lost = {claim.kind for claim in claims if not insert_claim(session, org.id, claim, now)}
    if lost:
        raise refusal_for(lost)
    trial = Trial(
        id=new_id("trl"),
        org_id=org.id,
        started_by=actor.id if actor.type == "user" else None,
        source=source,
        started_at=now,
        ends_at=ends_at or now + timedelta(days=plan.trial_days),
    )
    session.add(trial)
    org.plan = plan.code
    org.plan_ends_at = trial.ends_at
    audit.record(
        session,
        actor=actor,
        action=AuditAction.BILLING_TRIAL_STARTED,
        at=now,
        org_id=org.id,
        target_type="organization",
        target_id=org.id,
        details={"plan": plan.code, "ends_at": trial.ends_at.isoformat(), "source": source},
    )
    return trial


def check_claims_during_trial(
    session: Session,
    *,
    org_id: str,
    claims: list[Claim],
    billing: BillingConfig,
    actor: Actor,
    now: datetime,
) -> set[ClaimKind]:
    """Claims found on an organization after its trial started join that trial's claims; one
    that another trial already holds ends this trial at once, as if it had been refused at the
    start: the trial plan gives way to the default plan, `billing.trial_refused` is recorded
    with `trial_ended` and the owners are told. Returns the kinds found taken (empty when the
    organization never had a trial, or nothing was taken)."""
    trial = trial_of(session, org_id)
    if trial is None or not claims:
        return set()
    taken = {
        claim.kind
        for claim in claims
        if not insert_claim(session, org_id, claim, now)
        and claim_holder(session, claim) not in (None, org_id)
    }
    if taken and trial.ended_at is None and trial.ends_at > now:
        _end_trial(session, trial=trial, taken=taken, billing=billing, actor=actor, now=now)
    return taken


def _end_trial(
    session: Session,
    *,
    trial: Trial,
    taken: set[ClaimKind],
    billing: BillingConfig,
    actor: Actor,
    now: datetime,
) -> None:
    org = _locked_organization(session, trial.org_id)
    refusal = refusal_for(taken)
    matched = sorted(kind.value for kind in taken)
    trial.ended_at = now
    trial.end_reason = f"claim_used:{','.join(matched)}"
    before = (org.plan, org.plan_ends_at)
    trial_plan = billing.catalog.trial_plan()
    # Only the trial's own plan ends: a plan paid for since stays.
    if trial_plan is not None and org.plan == trial_plan.code:
        org.plan, org.plan_ends_at = billing.default_plan, None
    audit.record(
        session,
        actor=actor,
        action=AuditAction.BILLING_TRIAL_REFUSED,
        at=now,
        org_id=org.id,
        target_type="organization",
        target_id=org.id,
        details={
            "code": refusal.code,
            "reason": refusal.message,
            **(refusal.details or {}),
            "trial_ended": True,
            "trial_id": trial.id,
        },
    )
    record_plan_change(session, org=org, before=before, actor=actor, now=now)
    tell_owners(
        session,
        org_id=org.id,
        kind="trial_ended",
        period=trial.id,
        message=(
            f"The free trial has ended: {refusal.message}. The organization is on the "
            f"{billing.catalog.get_plan(org.plan).name} plan now."
        ),
        now=now,
        actor=actor,
        details={"trial_id": trial.id, "matched": matched},
    )
