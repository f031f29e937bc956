"""What the dial gate decides on (policy/dial_gate.py), read in one pass.

The read happens in the transaction that then writes the attempt, under the number's lock, the
job's row lock and a share lock on the job's alert, taken in that order: a worker planning
another call to the same number meanwhile waits for the number with its own job still unlocked,
so this call can carry that job's alert (paging/bundles.py), and the throttle sees this call's
attempt.

Every fact is read whatever the decision turns out to be, so the order of the checks is said in
one place, `decide`. Only the rare decisions that come before the refusals (a carried alert, a
call to reconcile, a closed alert) could have done with fewer reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.accounts.service import calling_policy
from tocsin.billing.plans import Plan as BillingPlan
from tocsin.billing.usage import used_now
from tocsin.db.locks import Lock, get_locked
from tocsin.db.statements import run
from tocsin.engine.settings import Dialer, WorkerSettings
from tocsin.engine.snapshot import AttemptSnapshot
from tocsin.numbers import consent
from tocsin.numbers.consent import NumberState
from tocsin.paging import bundles
from tocsin.paging.attempts import latest_attempt
from tocsin.paging.destinations import CALLED_ABOUT, is_news, lock_number, recent_calls
from tocsin.paging.leases import holds_lease
from tocsin.paging.models import Alert, AttemptStatus, CallAttempt, CallJob
from tocsin.policy.dial_gate import (
    AlertState,
    DialFacts,
    Enforcement,
    NumberRefusal,
    Throttle,
    Usage,
)
from tocsin.policy.numbers import screening_context
from tocsin.restrictions.blocks import DIAL_BLOCK_ID, Block, block_by_id
from tocsin.safety import PLATFORM_CONTEXT, ScreeningContext, screen


class MissingRow(RuntimeError):
    """A decision needs a row its facts said was there: a bug in the gate or in this loader."""


@dataclass(frozen=True)
class Quota:
    """The organization a call is counted for, and its plan's caps and usage."""

    org: Organization
    usage: Usage


@dataclass(frozen=True)
class LoadedJob:
    """A claimed job's rows, which the decision is applied to, and the facts it is made on."""

    job: CallJob
    alert: Alert | None
    org: Organization | None
    # The job's latest attempt, if any; `unfinished` is it while it has not ended.
    previous: CallAttempt | None
    unfinished: AttemptSnapshot | None
    # What the number was screened against, and any number the call is redirected to will be.
    screening: ScreeningContext
    quota: Quota | None
    facts: DialFacts

    def open_alert(self) -> Alert:
        """The alert the call is about; the gate lets a call go only while it is open."""
        if self.alert is None:
            raise MissingRow(f"job {self.job.id} has no alert to call about")
        return self.alert

    def quota_in_force(self) -> Quota:
        """The caps a refusal over quota names; only a job with a plan in force has one."""
        if self.quota is None:
            raise MissingRow(f"job {self.job.id} has no plan whose caps it could exceed")
        return self.quota


_NUMBER = select(CallJob.to_number).where(CallJob.id == bindparam("job_id"))
# The facts of the number, the alert and the enforcement in force, in one round trip: consent
# (do-not-call, consent, opt-out), the sternest block of the organization, the endpoint or the
# number, and whether the number was called about the alert before (news).
_ROW_FACTS = select(*consent.STATE_COLUMNS, DIAL_BLOCK_ID, CALLED_ABOUT)


def load_facts(
    session: Session, *, job_id: str, now: datetime, dialer: Dialer, number: str | None = None
) -> LoadedJob | None:
    """The job with everything the gate needs to know about it; None when the job is gone or
    no longer this worker's, which leaves nothing to decide. `number`: the job's, when the
    caller read it already (it never changes)."""
    number = number or session.scalar(_NUMBER, {"job_id": job_id})
    if number is None:
        return None
    lock_number(session, number)
    job = get_locked(session, CallJob, job_id, Lock.UPDATE)
    if job is None or not holds_lease(job, dialer.worker_id):
        return None
    settings = dialer.settings
    # Shared with other workers, exclusive of a closer (paging.lifecycle.close): an alert
    # being acknowledged is read once that commits, and a closer comes after this call's
    # attempt is written, so it asks for the call to be hung up. Either way nobody dials an
    # alert closed behind their back.
    alert = get_locked(session, Alert, job.alert_id, Lock.SHARE)
    org = session.get(Organization, job.org_id)
    plan = settings.billing.plan_in_force(org, now) if org is not None else None
    screening = dial_time_context(org, plan, settings)
    # An attempt is numbered by the job's count, which is raised in the transaction that
    # writes it: a job that counts none has none to read.
    previous = latest_attempt(session, job.id) if job.attempt_count else None
    unfinished = _unfinished(previous)
    quota = _quota(session, org, plan, now=now, settings=settings)
    listed_id, consented_at, opted_out_at, block_id, called = run(
        session,
        _ROW_FACTS,
        {
            "org_id": job.org_id,
            "number": job.to_number,
            "alert_id": job.alert_id,
            "now": now,
            "target_0": job.org_id,
            "target_1": alert.endpoint_id if alert is not None else None,
            "target_2": job.to_number,
        },
    ).one()
    facts = DialFacts(
        now=now,
        number=job.to_number,
        alert=AlertState(alert.status) if alert is not None else AlertState.GONE,
        attempts_made=job.attempt_count,
        max_attempts=settings.retry.max_attempts,
        verdict=screen(job.to_number, None, screening),
        throttle=_throttle(session, job, alert, now=now, settings=settings, called=called),
        carrier_running=bundles.carrier_still_running(session, job),
        unfinished_attempt=unfinished is not None,
        number_refusal=_number_refusal(consent.state_from(listed_id, consented_at, opted_out_at)),
        enforcement=_enforcement(block_by_id(session, block_id)),
        usage=quota.usage if quota is not None else None,
    )
    return LoadedJob(job, alert, org, previous, unfinished, screening, quota, facts)


def _unfinished(previous: CallAttempt | None) -> AttemptSnapshot | None:
    if previous is None or AttemptStatus(previous.status).is_final:
        return None
    return AttemptSnapshot.of(previous)


def dial_time_context(
    org: Organization | None, plan: BillingPlan | None, settings: WorkerSettings
) -> ScreeningContext:
    """What a number is screened against now: the organization's policy and plan, which may
    have changed since the number was added (and a number may have come in some other way)."""
    if org is None or plan is None:
        return PLATFORM_CONTEXT
    policy = calling_policy(org, plan_allows_international=plan.international_calling)
    return screening_context(policy, settings.sanctioned_regions)


def _throttle(
    session: Session,
    job: CallJob,
    alert: Alert | None,
    *,
    now: datetime,
    settings: WorkerSettings,
    called: bool,
) -> Throttle:
    # The news limits only ever let a call go sooner, so without a throttle they need no read.
    read_for = (*settings.throttle, *settings.news_throttle) if settings.throttle else ()
    return Throttle(
        recent_calls=tuple(recent_calls(session, number=job.to_number, now=now, buckets=read_for)),
        buckets=settings.throttle,
        news_buckets=settings.news_throttle,
        is_news=alert is not None and is_news(session, job, alert, called=called),
    )


def _number_refusal(state: NumberState) -> NumberRefusal | None:
    refusal = consent.refusal_for(state)
    if refusal is None:
        return None
    stopped = refusal.state != NumberState.UNVERIFIED
    return NumberRefusal(code=refusal.code, reason=refusal.reason, stopped=stopped)


def _enforcement(block: Block | None) -> Enforcement | None:
    # A suspension written after the job was queued still stops its call.
    return Enforcement(code=block.code, reason=block.reason) if block is not None else None


def _quota(
    session: Session,
    org: Organization | None,
    plan: BillingPlan | None,
    *,
    now: datetime,
    settings: WorkerSettings,
) -> Quota | None:
    if org is None or plan is None:
        return None
    used = used_now(session, org_id=org.id, timezone=org.timezone, now=now)
    caps = settings.billing.caps(plan)
    return Quota(
        org,
        Usage(caps, used.periods, used.day_calls, used.month_calls, used.month_spend_cents),
    )
