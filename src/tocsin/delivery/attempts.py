"""Call attempts: written before dialling, moved by call events, settled when a worker died.

Each function is one short write transaction's worth of work; none is ever held open across a
provider call. The attempt row, with its idempotency key and sending deadline, is committed
before the provider is asked to dial, so a crash at any point leaves a row that tells the next
worker exactly what may have happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.accounts.service import calling_policy
from tocsin.delivery.jobs import cancel_pending_calls
from tocsin.delivery.leases import holds_lease, release
from tocsin.delivery.message import spoken_text
from tocsin.delivery.models import (
    OPEN_JOB_STATUSES,
    AttemptStatus,
    CallAttempt,
    CallJob,
    JobStatus,
)
from tocsin.endpoints.models import Endpoint
from tocsin.ids import new_id
from tocsin.ingest.models import Alert, AlertStatus
from tocsin.ingest.service import acknowledge_alert, resolve_alert
from tocsin.policy.numbers import screening_context
from tocsin.safety import PLATFORM_CONTEXT, Verdict, screen
from tocsin.safety.tables.sanctions import DEFAULT_SANCTIONED_REGIONS
from tocsin.telephony.base import CallEvent, CallEventKind, CallRecord
from tocsin.telephony.script import Key
from tocsin.trust import audit
from tocsin.trust.audit import Actor


@dataclass(frozen=True)
class AttemptSnapshot:
    """What a worker needs of an attempt outside the transaction that wrote it."""

    attempt_id: str
    job_id: str
    org_id: str
    provider_account_id: str | None
    idempotency_key: str
    to_number: str
    caller_id: str
    spoken_text: str
    status: AttemptStatus
    sending_deadline: datetime
    accepted_at: datetime | None
    # The organization's text-to-speech voice; None for the server's.
    voice: str | None = None

    @classmethod
    def of(cls, attempt: CallAttempt, *, voice: str | None = None) -> AttemptSnapshot:
        return cls(
            attempt_id=attempt.id,
            job_id=attempt.job_id,
            org_id=attempt.org_id,
            provider_account_id=attempt.provider_account_id,
            idempotency_key=attempt.idempotency_key,
            to_number=attempt.to_number,
            caller_id=attempt.caller_id,
            spoken_text=attempt.spoken_text,
            status=AttemptStatus(attempt.status),
            sending_deadline=attempt.sending_deadline,
            accepted_at=attempt.accepted_at,
            voice=voice,
        )


class PlanKind(StrEnum):
    DIAL = "dial"
    RECONCILE = "reconcile"
    SKIP = "skip"


@dataclass(frozen=True)
class Plan:
    kind: PlanKind
    attempt: AttemptSnapshot | None = None


@dataclass(frozen=True)
class AttemptSettings:
    worker_id: str
    provider: str
    caller_id: str
    send_deadline: timedelta
    max_attempts: int
    max_spoken_characters: int
    sanctioned_regions: frozenset[str] = DEFAULT_SANCTIONED_REGIONS


def _worker_actor(worker_id: str) -> Actor:
    return Actor("worker", worker_id)


def latest_attempt(session: Session, job_id: str) -> CallAttempt | None:
    return session.scalar(
        select(CallAttempt)
        .where(CallAttempt.job_id == job_id)
        .order_by(CallAttempt.attempt_no.desc())
        .limit(1)
    )


def plan_job(session: Session, *, job_id: str, now: datetime, settings: AttemptSettings) -> Plan:
    """Decide what to do with a claimed job, writing the attempt row if it is to be dialled."""
    job = session.get(CallJob, job_id, with_for_update=True)
    if job is None or not holds_lease(job, settings.worker_id):
        return Plan(PlanKind.SKIP)
    previous = latest_attempt(session, job.id)
    if previous is not None and not AttemptStatus(previous.status).is_final:
        return Plan(PlanKind.RECONCILE, AttemptSnapshot.of(previous))

    alert = session.get(Alert, job.alert_id)
    if alert is None or alert.status != AlertStatus.OPEN:
        reason = "alert gone" if alert is None else f"alert {alert.status}"
        release(job, status=JobStatus.CANCELLED, now=now)
        job.last_error = reason
        return Plan(PlanKind.SKIP)
    if job.attempt_count >= settings.max_attempts:
        release(job, status=JobStatus.FAILED, now=now)
        job.last_error = "no attempts left"
        return Plan(PlanKind.SKIP)

    endpoint = session.get(Endpoint, alert.endpoint_id)
    job.attempt_count += 1
    org = session.get(Organization, job.org_id)
    verdict = _screen_at_dial_time(org, job, settings)
    attempt = CallAttempt(
        id=new_id("att"),
        job_id=job.id,
        org_id=job.org_id,
        alert_id=job.alert_id,
        attempt_no=job.attempt_count,
        idempotency_key=f"{job.id}/{job.attempt_count}",
        to_number=job.to_number,
        caller_id=settings.caller_id,
        provider=settings.provider,
        worker_id=settings.worker_id,
        status=AttemptStatus.SENDING,
        last_event_sequence=0,
        digits="",
        spoken_text=spoken_text(
            endpoint_name=endpoint.name if endpoint else "Tocsin",
            severity=alert.severity,
            title=alert.title,
            message=alert.message,
            max_characters=settings.max_spoken_characters,
        ),
        created_at=now,
        sending_deadline=now + settings.send_deadline,
    )
    session.add(attempt)
    if not verdict.allowed:
        _block(session, job=job, attempt=attempt, verdict=verdict, now=now, settings=settings)
        return Plan(PlanKind.SKIP)
    audit.record(
        session,
        actor=_worker_actor(settings.worker_id),
        action="call.attempt_created",
        at=now,
        org_id=job.org_id,
        target_type="call_attempt",
        target_id=attempt.id,
        details={"alert_id": job.alert_id, "to": job.to_number, "attempt_no": attempt.attempt_no},
    )
    return Plan(PlanKind.DIAL, AttemptSnapshot.of(attempt, voice=org.voice if org else None))


def _screen_at_dial_time(
    org: Organization | None, job: CallJob, settings: AttemptSettings
) -> Verdict:
    """Screen again: the number may have been written some other way than through the API, or
    the tables and the organization's policy may have changed since it was added."""
    if org is None:
        return screen(job.to_number, None, PLATFORM_CONTEXT)
    context = screening_context(calling_policy(org), settings.sanctioned_regions)
    return screen(job.to_number, None, context)


def _block(
    session: Session,
    *,
    job: CallJob,
    attempt: CallAttempt,
    verdict: Verdict,
    now: datetime,
    settings: AttemptSettings,
) -> None:
    attempt.status = AttemptStatus.BLOCKED
    attempt.error_code = verdict.reasons[0].code.value
    attempt.error_message = "; ".join(reason.message for reason in verdict.reasons)
    attempt.ended_at = now
    release(job, status=JobStatus.FAILED, now=now)
    job.last_error = f"blocked: {attempt.error_message}"
    audit.record(
        session,
        actor=_worker_actor(settings.worker_id),
        action="call.blocked",
        at=now,
        org_id=job.org_id,
        target_type="call_attempt",
        target_id=attempt.id,
        details={"alert_id": job.alert_id, "to": job.to_number, "reasons": verdict.codes},
    )


def mark_accepted(
    session: Session,
    *,
    attempt_id: str,
    provider_call_id: str,
    now: datetime,
    provider: str | None = None,
    provider_account_id: str | None = None,
) -> None:
    """Record that a provider took the call. `provider` is None when catching up with a
    provider already recorded on the attempt."""
    attempt = session.get(CallAttempt, attempt_id, with_for_update=True)
    if attempt is None:
        return
    if provider is not None:
        attempt.provider = provider
        attempt.provider_account_id = provider_account_id
    attempt.provider_call_id = provider_call_id
    attempt.accepted_at = attempt.accepted_at or now
    if attempt.status == AttemptStatus.SENDING:
        attempt.status = AttemptStatus.IN_PROGRESS


def mark_provider(
    session: Session, *, attempt_id: str, provider: str, provider_account_id: str | None
) -> None:
    attempt = session.get(CallAttempt, attempt_id, with_for_update=True)
    if attempt is not None and attempt.status == AttemptStatus.SENDING:
        attempt.provider = provider
        attempt.provider_account_id = provider_account_id


def record_failover(
    session: Session, *, attempt_id: str, failed_provider: str, reason: str, now: datetime
) -> None:
    attempt = session.get(CallAttempt, attempt_id)
    if attempt is None:
        return
    audit.record(
        session,
        actor=Actor("worker", attempt.worker_id),
        action="call.failover",
        at=now,
        org_id=attempt.org_id,
        target_type="call_attempt",
        target_id=attempt.id,
        details={"failed_provider": failed_provider, "reason": reason},
    )


def mark_not_placed(
    session: Session,
    *,
    attempt_id: str,
    now: datetime,
    code: str,
    message: str,
    retry_after: timedelta,
    max_attempts: int,
) -> None:
    """The provider certainly placed no call: close the attempt and let the job try again."""
    attempt = session.get(CallAttempt, attempt_id, with_for_update=True)
    if attempt is None:
        return
    attempt.status = AttemptStatus.NOT_PLACED
    attempt.error_code, attempt.error_message, attempt.ended_at = code, message, now
    job = session.get(CallJob, attempt.job_id, with_for_update=True)
    if job is None or job.status not in OPEN_JOB_STATUSES:
        return
    job.last_error = message
    if job.attempt_count >= max_attempts:
        release(job, status=JobStatus.FAILED, now=now)
    else:
        release(job, status=JobStatus.PENDING, now=now, run_at=now + retry_after)


def mark_unknown(session: Session, *, attempt_id: str, now: datetime, message: str) -> None:
    """We cannot tell whether a call was placed: record it and never dial this attempt again."""
    attempt = session.get(CallAttempt, attempt_id, with_for_update=True)
    if attempt is None or AttemptStatus(attempt.status).is_final:
        return
    attempt.status = AttemptStatus.FAILED
    attempt.error_code, attempt.error_message, attempt.ended_at = "outcome_unknown", message, now
    job = session.get(CallJob, attempt.job_id, with_for_update=True)
    if job is not None and job.status in OPEN_JOB_STATUSES:
        job.last_error = message
        release(job, status=JobStatus.FAILED, now=now)


def defer_job(
    session: Session, *, job_id: str, worker_id: str, now: datetime, until: datetime
) -> None:
    """Let a job whose call may be under way go until `until`, when a worker settles it."""
    job = session.get(CallJob, job_id, with_for_update=True)
    if job is not None and holds_lease(job, worker_id):
        release(job, status=JobStatus.AWAITING, now=now, run_at=until)


_PROGRESS = {
    CallEventKind.TRYING,
    CallEventKind.RINGING,
    CallEventKind.ANSWERED,
    CallEventKind.DIGITS,
}
_FINAL_STATUS = {
    CallEventKind.BUSY: AttemptStatus.BUSY,
    CallEventKind.NO_ANSWER: AttemptStatus.NO_ANSWER,
    CallEventKind.FAILED: AttemptStatus.FAILED,
}


def apply_event(session: Session, *, attempt_id: str, event: CallEvent, now: datetime) -> bool:
    """Move an attempt by one provider event. Returns False for an event already seen or older
    than one seen (by sequence), which is ignored so a call never moves backwards."""
    attempt = session.get(CallAttempt, attempt_id, with_for_update=True)
    if attempt is None or event.sequence <= attempt.last_event_sequence:
        return False
    if AttemptStatus(attempt.status).is_final:
        return False
    attempt.last_event_sequence = event.sequence
    actor = Actor("callee", attempt.to_number)
    if event.kind in _PROGRESS and attempt.status == AttemptStatus.SENDING:
        attempt.status = AttemptStatus.IN_PROGRESS
    if event.kind == CallEventKind.ANSWERED:
        attempt.answered_at = attempt.answered_at or now
        if event.detail == "voicemail":
            attempt.error_code = "voicemail"
    elif event.kind == CallEventKind.DIGITS:
        attempt.digits = (attempt.digits + event.digits)[-40:]
        _apply_keypress(session, attempt=attempt, digit=event.digits, actor=actor, now=now)
    elif event.kind == CallEventKind.COMPLETED:
        attempt.status = AttemptStatus.ANSWERED if attempt.answered_at else AttemptStatus.NO_ANSWER
        attempt.ended_at = now
    elif event.kind in _FINAL_STATUS:
        attempt.status = _FINAL_STATUS[event.kind]
        attempt.error_message = event.detail or None
        attempt.ended_at = now
    if AttemptStatus(attempt.status).is_final:
        _finish_job(session, attempt=attempt, now=now)
    return True


def _apply_keypress(
    session: Session, *, attempt: CallAttempt, digit: str, actor: Actor, now: datetime
) -> None:
    alert = session.get(Alert, attempt.alert_id, with_for_update=True)
    if alert is None:
        return
    by = f"keypad:{attempt.to_number}"
    details = {"attempt_id": attempt.id, "digit": digit}
    if digit == Key.ACKNOWLEDGE and acknowledge_alert(alert, now=now, by=by):
        cancel_pending_calls(session, alert_id=alert.id, now=now, reason="acknowledged")
        audit.record(
            session,
            actor=actor,
            action="alert.acknowledged",
            at=now,
            org_id=alert.org_id,
            target_type="alert",
            target_id=alert.id,
            details=details,
        )
    elif digit == Key.RESOLVE and alert.status != AlertStatus.RESOLVED:
        resolve_alert(alert, now=now, by=by)
        cancel_pending_calls(session, alert_id=alert.id, now=now, reason="resolved")
        audit.record(
            session,
            actor=actor,
            action="alert.resolved",
            at=now,
            org_id=alert.org_id,
            target_type="alert",
            target_id=alert.id,
            details=details,
        )
    elif digit == Key.STOP_CALLING:
        audit.record(
            session,
            actor=actor,
            action="contact.stop_requested",
            at=now,
            org_id=alert.org_id,
            target_type="call_attempt",
            target_id=attempt.id,
            details=details,
        )


def _finish_job(session: Session, *, attempt: CallAttempt, now: datetime) -> None:
    job = session.get(CallJob, attempt.job_id, with_for_update=True)
    if job is not None and job.status in OPEN_JOB_STATUSES:
        release(job, status=JobStatus.DONE, now=now)
    audit.record(
        session,
        actor=Actor("provider", attempt.provider),
        action="call.ended",
        at=now,
        org_id=attempt.org_id,
        target_type="call_attempt",
        target_id=attempt.id,
        details={"status": attempt.status, "digits": attempt.digits},
    )


def apply_record(session: Session, *, attempt_id: str, record: CallRecord, now: datetime) -> None:
    """Catch an attempt up with everything the provider recorded for it."""
    mark_accepted(session, attempt_id=attempt_id, provider_call_id=record.provider_call_id, now=now)
    for event in record.events:
        apply_event(session, attempt_id=attempt_id, event=event, now=now)
