"""Call attempts: moved by call events, settled when a worker died.

Each function is one short write transaction's worth of work; none is ever held open across a
provider call. The attempt row, with its idempotency key and sending deadline, is committed
before the provider is asked to dial (see `planning`), so a crash at any point leaves a row that
tells the next worker exactly what may have happened. When an attempt ends, `settle` decides
whether its job calls again or lets the escalation move on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Executable, bindparam, case, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.billing.usage import give_back
from tocsin.core import metrics
from tocsin.core.actors import Actor
from tocsin.core.logs import mask_number
from tocsin.db.after_commit import on_commit
from tocsin.db.locks import Lock, get_locked
from tocsin.db.statements import run
from tocsin.paging.keypad import apply_keypress
from tocsin.paging.leases import holds_lease, release
from tocsin.paging.models import AttemptStatus, CallAttempt, CallJob, JobStatus
from tocsin.paging.settle import RetryPolicy, after_attempt
from tocsin.providers.caller_ids import CALLER_ID_MISSING
from tocsin.telephony.base import CallEvent, CallEventKind, CallRecord

log = logging.getLogger(__name__)


def attempt_for_key(session: Session, idempotency_key: str) -> CallAttempt | None:
    """The attempt a provider was given this idempotency key for."""
    return session.scalar(select(CallAttempt).where(CallAttempt.idempotency_key == idempotency_key))


_LATEST = (
    select(CallAttempt)
    .where(CallAttempt.job_id == bindparam("job_id"))
    .order_by(CallAttempt.attempt_no.desc())
    .limit(1)
)


def latest_attempt(session: Session, job_id: str) -> CallAttempt | None:
    return session.scalar(_LATEST, {"job_id": job_id})


# A call that made progress is in progress, unless it has ended meanwhile.
_IN_PROGRESS_NOW = case(
    (CallAttempt.status == AttemptStatus.SENDING.value, AttemptStatus.IN_PROGRESS.value),
    else_=CallAttempt.status,
)
_ACCEPTED = {
    "provider_call_id": bindparam("provider_call_id"),
    "accepted_at": func.coalesce(CallAttempt.accepted_at, bindparam("now")),
    "status": _IN_PROGRESS_NOW,
}
# One statement, under the row lock the UPDATE takes: nothing is loaded to be changed.
_ACCEPT = (
    update(CallAttempt)
    .where(CallAttempt.id == bindparam("attempt_id"))
    .execution_options(synchronize_session=False)
)
_ACCEPT_AS_IS = _ACCEPT.values(_ACCEPTED)
_ACCEPT_BY_PROVIDER = _ACCEPT.values(
    {
        **_ACCEPTED,
        "provider": bindparam("provider"),
        "provider_account_id": bindparam("provider_account_id"),
        "platform_provider": bindparam("platform_provider"),
        "simulated": bindparam("simulated"),
    }
)


def mark_accepted(
    session: Session,
    *,
    attempt_id: str,
    provider_call_id: str,
    now: datetime,
    provider: str | None = None,
    provider_account_id: str | None = None,
    platform_provider: str | None = None,
    simulated: bool = False,
) -> None:
    """Record that a provider took the call. `provider` is None when catching up with a
    provider already recorded on the attempt."""
    values = {"attempt_id": attempt_id, "provider_call_id": provider_call_id, "now": now}
    if provider is None:
        _execute_on_row(session, attempt_id, _ACCEPT_AS_IS, values)
        return
    values.update(
        provider=provider,
        provider_account_id=provider_account_id,
        platform_provider=platform_provider,
        simulated=simulated,
    )
    _execute_on_row(session, attempt_id, _ACCEPT_BY_PROVIDER, values)


def _execute_on_row(
    session: Session, attempt_id: str, statement: Executable, values: dict[str, object]
) -> int:
    """Run an UPDATE of the attempt's row. An attempt this session has loaded is written out
    before and read again when next used, so the object and the row agree. Returns how many
    rows it changed."""
    loaded = session.identity_map.get(identity_key(CallAttempt, attempt_id))
    if loaded is not None:
        session.flush([loaded])
    result = run(session, statement, values)
    if loaded is not None:
        session.expire(loaded)
    return int(result.rowcount)


def mark_provider(
    session: Session,
    *,
    attempt_id: str,
    provider: str,
    provider_account_id: str | None,
    platform_provider: str | None = None,
    caller_id: str | None = None,
) -> None:
    """Name the provider about to be asked, and the caller ID the call will present."""
    attempt = get_locked(session, CallAttempt, attempt_id, Lock.UPDATE)
    if attempt is not None and attempt.status == AttemptStatus.SENDING:
        attempt.provider = provider
        attempt.provider_account_id = provider_account_id
        attempt.platform_provider = platform_provider
        if caller_id:
            attempt.caller_id = caller_id


def record_failover(
    session: Session,
    *,
    attempt_id: str,
    failed_provider: str,
    reason: str,
    now: datetime,
    code: str | None = None,
    deadline: datetime | None = None,
) -> None:
    """The provider certainly placed nothing: say so, and give the next provider `deadline`."""
    attempt = get_locked(session, CallAttempt, attempt_id, Lock.UPDATE)
    if attempt is None:
        return
    if deadline is not None and attempt.status == AttemptStatus.SENDING:
        attempt.sending_deadline = deadline
    audit.record(
        session,
        actor=Actor("worker", attempt.worker_id),
        action=AuditAction.CALL_FAILOVER,
        at=now,
        org_id=attempt.org_id,
        target_type="call_attempt",
        target_id=attempt.id,
        details={
            "failed_provider": failed_provider,
            "reason": reason,
            **({"code": code} if code else {}),
            **({"account_id": attempt.provider_account_id} if attempt.provider_account_id else {}),
        },
    )


def note_fallback(session: Session, *, attempt_id: str, reason: str, now: datetime) -> None:
    """The organization's own providers are all disabled or unusable: the call goes through the
    platform's (or nobody's). The alert's timeline says so, and the owners are told once a day."""
    attempt = session.get(CallAttempt, attempt_id)
    if attempt is None:
        return
    actor = Actor("worker", attempt.worker_id)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CALL_PROVIDER_FALLBACK,
        at=now,
        org_id=attempt.org_id,
        target_type="alert",
        target_id=attempt.alert_id,
        details={"attempt_id": attempt.id, "reason": reason},
    )
    tell_owners(
        session,
        org_id=attempt.org_id,
        kind="providers_unusable",
        period=now.date().isoformat(),
        message=(
            f"Your calls are not going through your own provider accounts: {reason}. They go "
            "through the platform's providers where it has any. Check your provider accounts."
        ),
        now=now,
        actor=actor,
        details={"reason": reason, "alert_id": attempt.alert_id},
    )


def note_passed_over(
    session: Session, *, attempt_id: str, reasons: list[str], now: datetime
) -> None:
    """Some of the organization's provider accounts were passed over because they have no
    proven caller ID to present: the alert's timeline says which and why, and the owners are
    told once a day, although another provider took the call."""
    attempt = session.get(CallAttempt, attempt_id)
    if attempt is None:
        return
    actor = Actor("worker", attempt.worker_id)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CALL_PROVIDER_PASSED_OVER,
        at=now,
        org_id=attempt.org_id,
        target_type="alert",
        target_id=attempt.alert_id,
        details={"attempt_id": attempt.id, "code": CALLER_ID_MISSING, "reasons": reasons},
    )
    tell_owners(
        session,
        org_id=attempt.org_id,
        kind=CALLER_ID_MISSING,
        period=now.date().isoformat(),
        message=(
            "Some of your provider accounts place no calls because they have no proven caller "
            f"ID to present: {'; '.join(reasons)}. Choose a proven caller ID for each."
        ),
        now=now,
        actor=actor,
        details={"reasons": reasons, "alert_id": attempt.alert_id},
    )


def mark_no_provider(
    session: Session,
    *,
    attempt_id: str,
    now: datetime,
    reason: str | None,
    policy: RetryPolicy,
) -> None:
    """Nobody can place the call: no provider account can be used and the platform has no
    provider. The alert stays open, the attempt says why, and the owners are told."""
    attempt = session.get(CallAttempt, attempt_id)
    if attempt is None:
        return
    message = (
        f"no provider can place calls ({reason}, and the platform has no real provider)"
        if reason
        else "no provider can place calls: the organization has no provider account and the "
        "platform has none configured"
    )
    tell_owners(
        session,
        org_id=attempt.org_id,
        kind="no_provider",
        period=now.date().isoformat(),
        message=(
            f"Nobody could be called about an alert: {message}. Add a provider account, or "
            "ask the operator to configure the platform's provider."
        ),
        now=now,
        actor=Actor("worker", attempt.worker_id),
        details={"alert_id": attempt.alert_id},
    )
    mark_not_placed(
        session, attempt_id=attempt_id, now=now, code="no_provider", message=message, policy=policy
    )


def mark_not_placed(
    session: Session,
    *,
    attempt_id: str,
    now: datetime,
    code: str,
    message: str,
    policy: RetryPolicy,
    wait: timedelta | None = None,
) -> None:
    """The provider certainly placed no call: close the attempt and let the job try again,
    after `wait` when the provider asked for one (longer than the policy's own)."""
    attempt = get_locked(session, CallAttempt, attempt_id, Lock.UPDATE)
    if attempt is None or AttemptStatus(attempt.status).is_final:
        return
    attempt.status = AttemptStatus.NOT_PLACED
    attempt.error_code, attempt.error_message, attempt.ended_at = code, message, now
    day, month = attempt.billed_day_starts_at, attempt.billed_month_starts_at
    if day is not None and month is not None:
        # Nobody was called, so the call is not counted against the organization's caps.
        give_back(
            session,
            org_id=attempt.org_id,
            day_starts_at=day,
            month_starts_at=month,
            cost_cents=attempt.billed_cents,
        )
        attempt.billed_day_starts_at = attempt.billed_month_starts_at = None
    _ended(session, attempt, now=now, policy=policy, wait=wait)


def mark_unknown(
    session: Session, *, attempt_id: str, now: datetime, message: str, policy: RetryPolicy
) -> None:
    """We cannot tell whether a call was placed: record it, never dial this attempt again, and
    treat it as a call nobody answered, because nobody pressed a key."""
    attempt = get_locked(session, CallAttempt, attempt_id, Lock.UPDATE)
    if attempt is None or AttemptStatus(attempt.status).is_final:
        return
    attempt.status = AttemptStatus.FAILED
    attempt.error_code, attempt.error_message, attempt.ended_at = "outcome_unknown", message, now
    _ended(session, attempt, now=now, policy=policy)


def defer_job(
    session: Session, *, job_id: str, worker_id: str, now: datetime, until: datetime
) -> None:
    """Let a job whose call may be under way go until `until`, when a worker settles it."""
    job = get_locked(session, CallJob, job_id, Lock.UPDATE)
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


# Events that only move the attempt's own row forward: one UPDATE, guarded by the sequence and
# the attempt not having ended, does what loading and changing it would.
_UNFINISHED = (AttemptStatus.SENDING.value, AttemptStatus.IN_PROGRESS.value)
_MOVE = (
    update(CallAttempt)
    .where(
        CallAttempt.id == bindparam("attempt_id"),
        CallAttempt.last_event_sequence < bindparam("sequence"),
        CallAttempt.status.in_(_UNFINISHED),
    )
    .execution_options(synchronize_session=False)
)
_PROGRESSED = {"last_event_sequence": bindparam("sequence"), "status": _IN_PROGRESS_NOW}
_ANSWERED = {**_PROGRESSED, "answered_at": func.coalesce(CallAttempt.answered_at, bindparam("now"))}
_ROW_ONLY_MOVES = {
    (CallEventKind.TRYING, False): _MOVE.values(_PROGRESSED),
    (CallEventKind.RINGING, False): _MOVE.values(_PROGRESSED),
    (CallEventKind.ANSWERED, False): _MOVE.values(_ANSWERED),
    (CallEventKind.ANSWERED, True): _MOVE.values({**_ANSWERED, "error_code": "voicemail"}),
}


def apply_event(
    session: Session, *, attempt_id: str, event: CallEvent, now: datetime, policy: RetryPolicy
) -> bool:
    """Move an attempt by one provider event. Returns False for an event already seen or older
    than one seen (by sequence), which is ignored so a call never moves backwards."""
    row_only = _ROW_ONLY_MOVES.get((event.kind, event.detail == "voicemail"))
    if row_only is not None:
        values = {"attempt_id": attempt_id, "sequence": event.sequence, "now": now}
        return _execute_on_row(session, attempt_id, row_only, values) > 0
    attempt = get_locked(session, CallAttempt, attempt_id, Lock.UPDATE)
    if attempt is None or event.sequence <= attempt.last_event_sequence:
        return False
    if AttemptStatus(attempt.status).is_final:
        return False
    attempt.last_event_sequence = event.sequence
    if event.kind in _PROGRESS and attempt.status == AttemptStatus.SENDING:
        attempt.status = AttemptStatus.IN_PROGRESS
    if event.kind == CallEventKind.ANSWERED:
        attempt.answered_at = attempt.answered_at or now
        if event.detail == "voicemail":
            attempt.error_code = "voicemail"
    elif event.kind == CallEventKind.DIGITS:
        attempt.digits = (attempt.digits + event.digits)[-40:]
        apply_keypress(session, attempt=attempt, digit=event.digits, now=now)
    elif event.kind == CallEventKind.COMPLETED:
        attempt.status = AttemptStatus.ANSWERED if attempt.answered_at else AttemptStatus.NO_ANSWER
        attempt.ended_at = now
    elif event.kind in _FINAL_STATUS:
        attempt.status = _FINAL_STATUS[event.kind]
        attempt.error_message = event.detail or None
        attempt.ended_at = now
    if AttemptStatus(attempt.status).is_final:
        _ended(session, attempt, now=now, policy=policy)
    return True


def apply_events(
    session: Session,
    *,
    attempt_id: str,
    events: list[CallEvent],
    now: datetime,
    policy: RetryPolicy,
) -> None:
    """`apply_event` for each of `events` in turn, in one transaction."""
    for event in events:
        apply_event(session, attempt_id=attempt_id, event=event, now=now, policy=policy)


def _ended(
    session: Session,
    attempt: CallAttempt,
    *,
    now: datetime,
    policy: RetryPolicy,
    wait: timedelta | None = None,
) -> None:
    # An ended call has nothing left to hang up.
    attempt.hangup_requested_at = None
    provider, outcome = attempt.provider, str(attempt.status)
    fields = {
        "attempt_id": attempt.id,
        "alert_id": attempt.alert_id,
        "provider": provider,
        "outcome": outcome,
        "to": mask_number(attempt.to_number),
        **({"error": attempt.error_code} if attempt.error_code else {}),
    }

    def observe() -> None:
        metrics.CALLS.labels(provider=provider, outcome=outcome).inc()
        log.info("call settled", extra=fields)

    on_commit(session, observe)
    audit.record(
        session,
        actor=Actor("provider", attempt.provider),
        action=AuditAction.CALL_ENDED,
        at=now,
        org_id=attempt.org_id,
        target_type="call_attempt",
        target_id=attempt.id,
        details={
            "status": attempt.status,
            "digits": attempt.digits,
            **({"error": attempt.error_code} if attempt.error_code else {}),
            **({"message": attempt.error_message} if attempt.error_message else {}),
            **({"simulated": True} if attempt.simulated else {}),
        },
    )
    after_attempt(session, attempt, policy=policy, now=now, wait=wait)


def apply_record(
    session: Session, *, attempt_id: str, record: CallRecord, now: datetime, policy: RetryPolicy
) -> None:
    """Catch an attempt up with everything the provider recorded for it."""
    mark_accepted(session, attempt_id=attempt_id, provider_call_id=record.provider_call_id, now=now)
    apply_events(session, attempt_id=attempt_id, events=list(record.events), now=now, policy=policy)


# A job a worker keeps failing on is tried again after this long, doubling, up to the most.
FAILURE_RETRY = timedelta(seconds=15)
MOST_FAILURE_RETRY = timedelta(minutes=5)


def record_job_failure(
    session: Session, *, job_id: str, worker_id: str, error: str, now: datetime
) -> None:
    """A worker failed on a job with an error of its own (a bug, not a call outcome): count it,
    say so on the alert's timeline when it is new, and let the job be tried again later rather
    than at every lease. An attempt already written is settled by the next try (reconciled, never
    dialled again); the auditor reports a job that fails twice the same way."""
    job = get_locked(session, CallJob, job_id, Lock.UPDATE)
    if job is None or job.status not in (JobStatus.LEASED, JobStatus.PENDING):
        return
    # Compared as stored, so a long error repeated is recognised as the same one.
    stored = error[:500]
    same_as_before = job.last_error == stored
    job.failures += 1
    job.last_error = stored
    wait = min(FAILURE_RETRY * 2 ** min(job.failures - 1, 10), MOST_FAILURE_RETRY)
    release(job, status=JobStatus.PENDING, now=now, run_at=now + wait)
    if not same_as_before:
        audit.record(
            session,
            actor=Actor("worker", worker_id),
            action=AuditAction.CALL_ERROR,
            at=now,
            org_id=job.org_id,
            target_type="alert",
            target_id=job.alert_id,
            details={
                "job_id": job.id,
                "to": job.to_number,
                "error": error[:300],
                "failures": job.failures,
                "retry_at": (now + wait).isoformat(),
            },
        )
