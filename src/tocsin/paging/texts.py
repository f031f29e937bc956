"""How a member's text ends: sent, refused, or unknown. A text is told, never answered.

A text job makes one attempt. Its attempt row (`channel` sms) is written and committed before
the provider hears of it (engine/texting.py); then exactly one of these settles it:

- `mark_sent`: the provider accepted it. The job is done with outcome `sent`: telling is not an
  acknowledgement, so the step goes on as for an unanswered call and the escalation moves on
  when the step's other jobs have settled.
- `mark_failed`: every provider refused it (certainly not sent). The job fails `not_sent` with
  the reason, and the owners are told once a day per number.
- `mark_unknown`: nobody can say whether it went (no answer in time, an answer without an id,
  or a worker that stopped in between). It is never sent again: a page sent twice is a worse
  failure than one that may have been sent once.

None of them touches throttles, call caps or retries, which are for calls.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.core.actors import Actor
from tocsin.paging.models import AttemptStatus, CallAttempt, CallJob, JobOutcome, JobStatus
from tocsin.paging.settle import settle

log = logging.getLogger(__name__)


def _open(session: Session, attempt_id: str) -> tuple[CallAttempt, CallJob] | None:
    attempt = session.get(CallAttempt, attempt_id, with_for_update=True)
    if attempt is None or AttemptStatus(attempt.status).is_final:
        return None
    job = session.get(CallJob, attempt.job_id, with_for_update=True)
    return (attempt, job) if job is not None else None


def mark_sent(
    session: Session,
    *,
    attempt_id: str,
    message_id: str,
    provider: str,
    provider_account_id: str | None,
    platform_provider: str | None,
    sender: str,
    simulated: bool,
    worker_id: str,
    now: datetime,
) -> None:
    found = _open(session, attempt_id)
    if found is None:
        return
    attempt, job = found
    attempt.status = AttemptStatus.SENT
    attempt.provider_call_id = message_id[:200]
    attempt.provider = provider
    attempt.provider_account_id = provider_account_id
    attempt.platform_provider = platform_provider
    attempt.caller_id = sender
    attempt.simulated = simulated
    attempt.accepted_at = attempt.ended_at = now
    settle(session, job, status=JobStatus.DONE, outcome=JobOutcome.SENT, now=now)
    audit.record(
        session,
        actor=Actor("worker", worker_id),
        action=AuditAction.TEXT_SENT,
        at=now,
        org_id=job.org_id,
        target_type="call_attempt",
        target_id=attempt.id,
        details={
            "alert_id": job.alert_id,
            "to": job.to_number,
            "user_id": job.user_id,
            "provider": provider,
            "message_id": message_id,
            "simulated": simulated,
            # How a reply names this alert (paging/text_replies.py).
            "reference": attempt.reply_code,
        },
    )


def mark_failed(
    session: Session,
    *,
    attempt_id: str,
    code: str,
    reason: str,
    worker_id: str,
    now: datetime,
) -> None:
    """Every provider refused the text, so none sent it."""
    found = _open(session, attempt_id)
    if found is None:
        return
    attempt, job = found
    reason = reason[:500]
    attempt.status = AttemptStatus.FAILED
    attempt.error_code = code[:60]
    attempt.error_message = reason
    attempt.ended_at = now
    settle(
        session,
        job,
        status=JobStatus.FAILED,
        outcome=JobOutcome.NOT_SENT,
        now=now,
        reason=f"text not sent: {reason}",
    )
    actor = Actor("worker", worker_id)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.TEXT_FAILED,
        at=now,
        org_id=job.org_id,
        target_type="call_attempt",
        target_id=attempt.id,
        details={"alert_id": job.alert_id, "to": job.to_number, "code": code, "reason": reason},
    )
    tell_owners(
        session,
        org_id=job.org_id,
        kind="text_failed",
        period=f"{job.to_number}:{now.date().isoformat()}",
        message=(
            f"A text about an alert to {job.to_number} was not sent: {reason}. The member's "
            "other notification rules and the escalation went on."
        ),
        now=now,
        actor=actor,
        details={"alert_id": job.alert_id, "to": job.to_number, "code": code},
    )


def mark_unknown(
    session: Session, *, attempt_id: str, reason: str, worker_id: str, now: datetime
) -> None:
    """Nobody can tell whether the text went: it is never sent again."""
    found = _open(session, attempt_id)
    if found is None:
        return
    attempt, job = found
    reason = reason[:500]
    attempt.status = AttemptStatus.UNKNOWN
    attempt.error_code = "unknown"
    attempt.error_message = reason
    attempt.ended_at = now
    settle(
        session,
        job,
        status=JobStatus.DONE,
        outcome=JobOutcome.UNKNOWN,
        now=now,
        reason=f"text may have been sent, and is not sent again: {reason}",
    )
    log.warning("text attempt %s: outcome unknown (%s); not sent again", attempt.id, reason)
    audit.record(
        session,
        actor=Actor("worker", worker_id),
        action=AuditAction.TEXT_UNCONFIRMED,
        at=now,
        org_id=job.org_id,
        target_type="call_attempt",
        target_id=attempt.id,
        details={"alert_id": job.alert_id, "to": job.to_number, "reason": reason},
    )
