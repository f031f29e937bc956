"""What happens to a job when its attempt ends: call again, or settle and let the escalation on.

A keypress is the only proof of a human. An attempt that ended any other way (no answer, busy,
voicemail, a hang-up without a key, a network failure after the provider took it, or an outcome
nobody can tell) is unanswered: the same contact is called again, from the same caller ID,
after `unanswered_retry_after`, up to `unanswered_retries` times, before the job settles and
the escalation moves to its next step. An attempt the provider certainly never placed is tried
again after `retry_after`. No attempt is ever dialled twice: each retry is a new attempt with a
new idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.db.locks import Lock, get_locked
from tocsin.paging import escalation
from tocsin.paging.bundles import riders_of
from tocsin.paging.leases import release
from tocsin.paging.models import (
    OPEN_JOB_STATUSES,
    PLACED_ATTEMPT_STATUSES,
    Alert,
    AlertStatus,
    AttemptStatus,
    CallAttempt,
    CallJob,
    JobOutcome,
    JobStatus,
)
from tocsin.telephony.script import stops_calling


@dataclass(frozen=True)
class RetryPolicy:
    # Attempts per job (one contact in one step), placed or not.
    max_attempts: int = 3
    # Wait before trying again a call the provider certainly did not place.
    retry_after: timedelta = timedelta(seconds=30)
    # Calls again after an unanswered one, and the wait before each.
    unanswered_retries: int = 1
    unanswered_retry_after: timedelta = timedelta(minutes=2)


DEFAULT_RETRY = RetryPolicy()

# The longest a provider's "try again later" (SIP Retry-After) may delay a page.
MAX_PROVIDER_WAIT = timedelta(minutes=5)


def settle(
    session: Session,
    job: CallJob,
    *,
    status: JobStatus,
    outcome: JobOutcome,
    now: datetime,
    reason: str | None = None,
    alert_open: bool = True,
) -> None:
    """Close a job for good and wake its escalation, whose step may now be over; an alert that
    is no longer open has no escalation left to wake."""
    release(job, status=status, now=now)
    job.outcome = outcome.value
    job.held_until = None
    job.hold_reason = None
    if reason is not None:
        job.last_error = reason
    if alert_open:
        escalation.poke(session, escalation_id=job.escalation_id, now=now)


def _placed_calls(session: Session, job_id: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(CallAttempt)
            .where(
                CallAttempt.job_id == job_id,
                CallAttempt.status.in_(PLACED_ATTEMPT_STATUSES),
            )
        )
        or 0
    )


_BY_ALERT = {
    AlertStatus.ACKNOWLEDGED: JobOutcome.ACKNOWLEDGED,
    AlertStatus.RESOLVED: JobOutcome.RESOLVED,
}


def after_attempt(
    session: Session,
    attempt: CallAttempt,
    *,
    policy: RetryPolicy,
    now: datetime,
    wait: timedelta | None = None,
) -> None:
    """Decide the next move of the attempt's job, and of every job whose alert the call
    carried (paging/bundles.py), now that `attempt` is over."""
    job = get_locked(session, CallJob, attempt.job_id, Lock.UPDATE)
    if job is not None and job.status in OPEN_JOB_STATUSES:
        _next_move(session, job, attempt, policy=policy, now=now, wait=wait, carried=False)
    for rider in riders_of(session, attempt.id):
        rider.riding_attempt_id = None
        if rider.status in OPEN_JOB_STATUSES:
            _next_move(session, rider, attempt, policy=policy, now=now, wait=wait, carried=True)


def _next_move(
    session: Session,
    job: CallJob,
    attempt: CallAttempt,
    *,
    policy: RetryPolicy,
    now: datetime,
    wait: timedelta | None,
    carried: bool,
) -> None:
    """`job`'s next move after `attempt`, its own call or (`carried`) one that read its alert."""
    # Locked, so an acknowledgement committing at this moment is either seen here or sees the
    # retry this may schedule and cancels it; never neither. Shared: this only reads the alert,
    # as a worker planning another of its calls does (engine/dial_facts.py), and neither may
    # wait for the other, which may be waiting for the call counters this one gave back.
    alert = get_locked(session, Alert, job.alert_id, Lock.SHARE)
    if alert is None or alert.status != AlertStatus.OPEN:
        by = _BY_ALERT.get(AlertStatus(alert.status)) if alert else None
        outcome = by or JobOutcome.CANCELLED
        settle(session, job, status=JobStatus.DONE, outcome=outcome, now=now, alert_open=False)
        return
    status = AttemptStatus(attempt.status)
    if status == AttemptStatus.NOT_PLACED:
        if carried or job.attempt_count < policy.max_attempts:
            # A carried job never got a call of its own: it waits as the carrier's job does.
            delay = max(policy.retry_after, min(wait or timedelta(0), MAX_PROVIDER_WAIT))
            release(job, status=JobStatus.PENDING, now=now, run_at=now + delay)
            job.last_error = attempt.error_message
        else:
            settle(
                session,
                job,
                status=JobStatus.FAILED,
                outcome=JobOutcome.NOT_PLACED,
                now=now,
                reason=attempt.error_message or "no attempts left",
            )
        return
    if stops_calling(attempt.digits):
        settle(
            session,
            job,
            status=JobStatus.DONE,
            outcome=JobOutcome.STOPPED,
            now=now,
            reason="the callee asked not to be called",
        )
        return
    if carried:
        job.carried_calls += 1
    placed = _placed_calls(session, job.id) + job.carried_calls
    if placed <= policy.unanswered_retries and job.attempt_count < policy.max_attempts:
        retry_at = now + policy.unanswered_retry_after
        release(job, status=JobStatus.PENDING, now=now, run_at=retry_at)
        job.last_error = _unanswered(attempt)
        audit.record(
            session,
            actor=escalation.ENGINE,
            action=AuditAction.CALL_RETRY_SCHEDULED,
            at=now,
            org_id=job.org_id,
            target_type="alert",
            target_id=job.alert_id,
            details={
                "job_id": job.id,
                "to": job.to_number,
                "after": _unanswered(attempt),
                "at": retry_at.isoformat(),
                "call": placed + 1,
                **({"carried_by": attempt.id} if carried else {}),
            },
        )
        return
    settle(
        session,
        job,
        status=JobStatus.DONE,
        outcome=JobOutcome.UNANSWERED,
        now=now,
        reason=_unanswered(attempt),
    )


def _unanswered(attempt: CallAttempt) -> str:
    """Why an attempt did not reach a human, in words for the timeline."""
    if attempt.error_code == "voicemail":
        return "voicemail"
    if attempt.status == AttemptStatus.ANSWERED:
        return "answered without a key"
    if attempt.error_code == "outcome_unknown":
        return "outcome unknown"
    return str(attempt.status)
