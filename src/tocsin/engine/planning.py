"""Planning a claimed job at dial time: load the facts, ask the dial gate, apply its decision.

The gate (policy/dial_gate.py) says whether the call may go now and, if not, why; this module
does what the answer means, in the transaction that read the facts: it writes the attempt row,
counted against the organization's caps and committed before any provider hears of it, or ends,
holds or defers the job, with the alert's timeline and the owners told what they need to know.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import assert_never

from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.billing.usage import Counted, Refused, count_call, give_back
from tocsin.core import metrics
from tocsin.core.actors import Actor
from tocsin.core.ids import new_id
from tocsin.db.after_commit import on_commit
from tocsin.db.engine import Database
from tocsin.endpoints.models import Endpoint
from tocsin.engine.dial_facts import LoadedJob, Quota, load_facts
from tocsin.engine.settings import Dialer
from tocsin.engine.snapshot import AttemptSnapshot
from tocsin.messages import MessageContext, prepare_words, render_message
from tocsin.paging import bundles
from tocsin.paging.call_language import language_for_job
from tocsin.paging.escalation import ENGINE
from tocsin.paging.leases import release
from tocsin.paging.models import (
    OPEN_JOB_STATUSES,
    Alert,
    AttemptStatus,
    CallAttempt,
    CallJob,
    JobOutcome,
    JobStatus,
)
from tocsin.paging.settle import settle
from tocsin.policy.dial_gate import (
    AwaitCarrier,
    Block,
    Dial,
    Hold,
    OverQuota,
    Reconcile,
    Skip,
    SkipReason,
    decide,
)
from tocsin.policy.quota import describe_cap, low_quota_sentence, zone
from tocsin.providers.caller_ids import CALLER_ID_MISSING

log = logging.getLogger(__name__)


class PlanKind(StrEnum):
    DIAL = "dial"
    RECONCILE = "reconcile"
    SKIP = "skip"


@dataclass(frozen=True)
class Plan:
    kind: PlanKind
    attempt: AttemptSnapshot | None = None


@dataclass(frozen=True)
class _Ending:
    """How a job the gate skips is settled."""

    status: JobStatus
    outcome: JobOutcome
    # Said on the alert's timeline; a closed alert or used-up attempts are said by its own.
    said: bool = True
    # A closed alert has no escalation left to wake.
    alert_open: bool = True


_ENDINGS = {
    SkipReason.ALERT_ACKNOWLEDGED: _Ending(
        JobStatus.CANCELLED, JobOutcome.ACKNOWLEDGED, said=False, alert_open=False
    ),
    SkipReason.ALERT_RESOLVED: _Ending(
        JobStatus.CANCELLED, JobOutcome.RESOLVED, said=False, alert_open=False
    ),
    SkipReason.ALERT_GONE: _Ending(
        JobStatus.CANCELLED, JobOutcome.CANCELLED, said=False, alert_open=False
    ),
    SkipReason.NO_ATTEMPTS_LEFT: _Ending(JobStatus.FAILED, JobOutcome.NOT_PLACED, said=False),
    SkipReason.NUMBER_UNVERIFIED: _Ending(JobStatus.CANCELLED, JobOutcome.BLOCKED),
    SkipReason.NUMBER_STOPPED: _Ending(JobStatus.DONE, JobOutcome.STOPPED),
    SkipReason.ENFORCEMENT: _Ending(JobStatus.CANCELLED, JobOutcome.BLOCKED),
}


def _worker_actor(dialer: Dialer) -> Actor:
    return Actor("worker", dialer.worker_id)


def plan_job(
    session: Session, *, job_id: str, now: datetime, dialer: Dialer, number: str | None = None
) -> Plan:
    """Decide what to do with a claimed job, writing the attempt row if it is to be dialled.
    `number`: the job's, when the claim read it."""
    loaded = load_facts(session, job_id=job_id, now=now, dialer=dialer, number=number)
    if loaded is None:
        return Plan(PlanKind.SKIP)  # gone, or another worker's now
    job, decision = loaded.job, decide(loaded.facts)
    if isinstance(decision, AwaitCarrier):
        release(job, status=JobStatus.AWAITING, now=now, run_at=now + bundles.RIDE_TIMEOUT)
        return Plan(PlanKind.SKIP)
    job.riding_attempt_id = None  # whatever call it rode on has ended
    match decision:
        case Reconcile():
            return Plan(PlanKind.RECONCILE, loaded.unfinished)
        case Dial():
            return _dial(session, loaded, now=now, dialer=dialer)
        case Skip():
            _skip(session, job, decision, now=now, dialer=dialer)
        case Hold():
            _hold(session, job, decision, now=now, dialer=dialer)
        case OverQuota():
            _refuse_over_quota(
                session, job, loaded.quota_in_force(), decision, now=now, dialer=dialer
            )
        case Block():
            _block(session, loaded, decision, now=now, dialer=dialer)
        case _:
            assert_never(decision)
    return Plan(PlanKind.SKIP)


def _dial(session: Session, loaded: LoadedJob, *, now: datetime, dialer: Dialer) -> Plan:
    """Write the attempt, counted against the caps, with the riders it carries."""
    job, quota = loaded.job, loaded.quota
    alert = loaded.open_alert()
    # Read once: held here, the words below find it in the session rather than read it again.
    endpoint = session.get(Endpoint, alert.endpoint_id)
    riders = (
        bundles.riders_for(session, job, now=now, skip_locked=dialer.skip_locked)
        if dialer.settings.bundle_calls
        else []
    )
    # What the call says is made before it is counted: on PostgreSQL the count keeps the
    # organization's counter rows locked until this transaction commits, and every other
    # worker planning one of its calls meanwhile waits for them (most of a storm's planning
    # time, in issue 21).
    attempt = _new_attempt(session, loaded, riders, now=now, dialer=dialer)
    counted: Counted | None = None
    if quota is not None:
        result = _count(session, quota)
        if isinstance(result, Refused):
            # The facts were read before the count: another worker took the last call since.
            over = OverQuota(result.cap, result.resets_at)
            _refuse_over_quota(session, job, quota, over, now=now, dialer=dialer)
            return Plan(PlanKind.SKIP)
        counted = result
    _add_attempt(session, job, attempt, counted)
    if riders:
        session.flush()  # the attempt row before the riders that name it
        bundles.attach(session, riders, attempt, now=now, actor=_worker_actor(dialer))
    if counted is not None:
        _mention_low_quota(session, attempt, counted, now=now, dialer=dialer)
    audit.record(
        session,
        actor=_worker_actor(dialer),
        action=AuditAction.CALL_ATTEMPT_CREATED,
        at=now,
        org_id=job.org_id,
        target_type="call_attempt",
        target_id=attempt.id,
        details={"alert_id": job.alert_id, "to": job.to_number, "attempt_no": attempt.attempt_no},
    )
    voice = loaded.org.voice if loaded.org is not None else None
    snapshot = AttemptSnapshot.of(
        attempt,
        voice=voice,
        screening=loaded.screening,
        endpoint_caller_id=endpoint.caller_id_id if endpoint is not None else None,
        webhook_received_at=alert.received_at if _queued_by_webhook(job, alert) else None,
    )
    return Plan(PlanKind.DIAL, snapshot)


def _queued_by_webhook(job: CallJob, alert: Alert) -> bool:
    """The job's first attempt, of a job the alert's webhook queued (in the transaction that
    received it, so at the same instant): the call whose delay a sender waits through."""
    return job.attempt_count == 1 and job.created_at == alert.received_at


def _count(session: Session, quota: Quota) -> Counted | Refused:
    """Count the call in the caps' counters, or refuse it, atomically with the attempt row."""
    usage = quota.usage
    return count_call(session, org_id=quota.org.id, caps=usage.caps, periods=usage.periods)


def _write_attempt(
    session: Session,
    loaded: LoadedJob,
    riders: list[tuple[CallJob, Alert]],
    counted: Counted | None,
    *,
    now: datetime,
    dialer: Dialer,
) -> CallAttempt:
    attempt = _new_attempt(session, loaded, riders, now=now, dialer=dialer)
    _add_attempt(session, loaded.job, attempt, counted)
    return attempt


def _new_attempt(
    session: Session,
    loaded: LoadedJob,
    riders: list[tuple[CallJob, Alert]],
    *,
    now: datetime,
    dialer: Dialer,
) -> CallAttempt:
    """The job's next attempt, not yet written: nothing is changed until `_add_attempt`."""
    job, settings = loaded.job, dialer.settings
    attempt_no = job.attempt_count + 1
    alerts = [loaded.open_alert(), *(alert for _, alert in riders)]
    language = language_for_job(session, job)
    return CallAttempt(
        id=new_id("att"),
        job_id=job.id,
        org_id=job.org_id,
        alert_id=job.alert_id,
        attempt_no=attempt_no,
        idempotency_key=f"{job.id}/{attempt_no}",
        to_number=job.to_number,
        # The platform's number, as the platform's provider is named, until the worker names
        # the provider and the caller ID it presents before dialling (attempts.mark_provider).
        # A retry goes through the same chain, so it comes from the number the first call did.
        caller_id=settings.caller_id,
        provider=dialer.provider,
        platform_provider=dialer.platform_provider,
        worker_id=dialer.worker_id,
        status=AttemptStatus.SENDING,
        last_event_sequence=0,
        digits="",
        spoken_text=_words(session, alerts, now, settings.max_spoken_characters, language),
        language=language,
        billed_cents=0,
        created_at=now,
        sending_deadline=now + settings.send_deadline,
    )


def _add_attempt(
    session: Session, job: CallJob, attempt: CallAttempt, counted: Counted | None
) -> None:
    """Write the attempt, with the periods it was counted in, and count it on its job."""
    job.attempt_count = attempt.attempt_no
    job.held_until = None
    job.hold_reason = None
    if counted is not None:
        attempt.billed_day_starts_at = counted.periods.day.starts_at
        attempt.billed_month_starts_at = counted.periods.month.starts_at
        attempt.billed_cents = counted.cost_cents
    session.add(attempt)


def _words(
    session: Session, alerts: list[Alert], now: datetime, max_characters: int, language: str
) -> str:
    """What the call reads: its alert, or each alert it carries, sharing the time, introduced
    in the call's language."""
    if len(alerts) == 1:
        return _spoken_text(session, alerts[0], now=now, max_characters=max_characters)
    share = max(120, max_characters // len(alerts))
    return bundles.spoken_bundle(
        [_spoken_text(session, alert, now=now, max_characters=share) for alert in alerts],
        language,
    )


def render_ahead(database: Database, *, job_id: str) -> None:
    """Render the words of the job's alert before the write transaction that plans the job, on
    a thread of its own: a template may take the cage's whole time limit, which would hold the
    writer of a SQLite database (its one thread included) for every other organization. The
    planning then finds the words remembered, or a stopped template resting (messages/caged.py).
    Whatever fails here fails again in the planning, which says so on the timeline."""
    try:
        with database.read() as session:
            job = session.get(CallJob, job_id)
            alert = session.get(Alert, job.alert_id) if job is not None else None
            endpoint = session.get(Endpoint, alert.endpoint_id) if alert is not None else None
            if alert is None or endpoint is None or not endpoint.template:
                return
            template, context = endpoint.template, _context(alert, endpoint)
        prepare_words(template, context)
    except Exception:
        log.warning("words for job %s not rendered ahead", job_id, exc_info=True)


def _context(alert: Alert, endpoint: Endpoint | None) -> MessageContext:
    return MessageContext(
        endpoint=endpoint.name if endpoint else "Tocsin",
        title=alert.title,
        message=alert.message,
        severity=alert.severity,
        source=alert.source,
        status=alert.status,
        payload=alert.payload,
        repeat_count=alert.repeat_count,
    )


def _spoken_text(session: Session, alert: Alert, *, now: datetime, max_characters: int) -> str:
    endpoint = session.get(Endpoint, alert.endpoint_id)
    rendered = render_message(
        endpoint.template if endpoint else None,
        _context(alert, endpoint),
        max_characters=max_characters,
    )
    if rendered.problem is not None:
        _note_template_failed(session, alert, endpoint, rendered.problem, now=now)
    return rendered.text


def _note_template_failed(
    session: Session, alert: Alert, endpoint: Endpoint | None, problem: str, *, now: datetime
) -> None:
    """The call goes out with the default words; the alert's timeline says why, and the
    owners are told once a day, since every call from that endpoint will say the same."""
    problem = problem[:300]
    audit.record(
        session,
        actor=ENGINE,
        action=AuditAction.TEMPLATE_FAILED,
        at=now,
        org_id=alert.org_id,
        target_type="alert",
        target_id=alert.id,
        details={"endpoint_id": alert.endpoint_id, "problem": problem},
    )
    name = endpoint.name if endpoint else alert.endpoint_id
    tell_owners(
        session,
        org_id=alert.org_id,
        kind="template_failed",
        period=now.date().isoformat(),
        message=(
            f"Calls about alerts on {name} used the default words: its template failed "
            f"({problem}). Preview the endpoint with a sample to see it, then fix the template."
        ),
        now=now,
        actor=ENGINE,
        details={"endpoint_id": alert.endpoint_id, "alert_id": alert.id, "problem": problem},
    )


def _skip(session: Session, job: CallJob, skip: Skip, *, now: datetime, dialer: Dialer) -> None:
    """End the job without a call; say why on the alert's timeline, unless its own entries do."""
    ending = _ENDINGS[skip.reason]
    settle(
        session,
        job,
        status=ending.status,
        outcome=ending.outcome,
        now=now,
        reason=skip.detail,
        alert_open=ending.alert_open,
    )
    if not ending.said:
        return
    _count_refusal(session, skip.code)
    audit.record(
        session,
        actor=_worker_actor(dialer),
        action=AuditAction.CALL_SKIPPED,
        at=now,
        org_id=job.org_id,
        target_type="alert",
        target_id=job.alert_id,
        details={"job_id": job.id, "to": job.to_number, "reason": skip.code},
    )


def _hold(session: Session, job: CallJob, held: Hold, *, now: datetime, dialer: Dialer) -> None:
    """Delay the job until the number's throttle has room: never drop it."""
    first_hold = job.held_until is None
    release(job, status=JobStatus.PENDING, now=now, run_at=held.until)
    job.held_until = held.until
    job.hold_reason = held.reason
    if first_hold:
        on_commit(session, metrics.THROTTLE_HOLDS.inc)
        audit.record(
            session,
            actor=_worker_actor(dialer),
            action=AuditAction.CALL_THROTTLED,
            at=now,
            org_id=job.org_id,
            target_type="alert",
            target_id=job.alert_id,
            details={
                "job_id": job.id,
                "to": job.to_number,
                "until": held.until.isoformat(),
                "limit": held.limit.describe(),
            },
        )


def _mention_low_quota(
    session: Session, attempt: CallAttempt, counted: Counted, *, now: datetime, dialer: Dialer
) -> None:
    """With fewer than three calls left, the call says so and the owners get a notice."""
    sentence = low_quota_sentence(counted.left, counted.tightest)
    if sentence is None:
        return
    attempt.spoken_text = f"{attempt.spoken_text} {sentence}"
    tell_owners(
        session,
        org_id=attempt.org_id,
        kind="quota_low",
        period=f"{counted.tightest.value}:{counted.periods.day.starts_at.isoformat()}",
        message=f"{counted.left} calls left: {sentence}",
        now=now,
        actor=_worker_actor(dialer),
        details={"calls_left": counted.left, "cap": counted.tightest.value},
    )


def _refuse_over_quota(
    session: Session,
    job: CallJob,
    quota: Quota,
    over: OverQuota,
    *,
    now: datetime,
    dialer: Dialer,
) -> None:
    """No call: the alert stays recorded and open, and the owners are told why."""
    org, caps = quota.org, quota.usage.caps
    local_reset = over.resets_at.astimezone(zone(org.timezone))
    until = f"until {local_reset:%Y-%m-%d %H:%M} {org.timezone}"
    reason = f"not called: {describe_cap(over.cap, caps)} is used up {until}"
    settle(
        session, job, status=JobStatus.FAILED, outcome=JobOutcome.OVER_QUOTA, now=now, reason=reason
    )
    _count_refusal(session, "over_quota")
    actor = _worker_actor(dialer)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CALL_OVER_QUOTA,
        at=now,
        org_id=job.org_id,
        target_type="alert",
        target_id=job.alert_id,
        details={"job_id": job.id, "to": job.to_number, "cap": over.cap.value},
    )
    tell_owners(
        session,
        org_id=org.id,
        kind="quota_exhausted",
        period=f"{over.cap.value}:{over.resets_at.isoformat()}",
        message=(
            f"Calls are not being placed: {describe_cap(over.cap, caps)} of {org.name} is "
            f"used up {until}. Alerts are still recorded and can be seen and acknowledged."
        ),
        now=now,
        actor=actor,
        details={"cap": over.cap.value, "resets_at": over.resets_at.isoformat()},
    )


def _block(
    session: Session, loaded: LoadedJob, blocked: Block, *, now: datetime, dialer: Dialer
) -> None:
    """The screen refused the number: the attempt stands among the alert's calls as blocked."""
    attempt = _write_attempt(session, loaded, [], None, now=now, dialer=dialer)
    _blocked(
        session,
        attempt,
        loaded.job,
        code=blocked.code,
        message=blocked.message,
        reasons=blocked.verdict.codes,
        now=now,
        dialer=dialer,
    )


def block_for_caller_id(
    session: Session, *, attempt_id: str, reasons: list[str], now: datetime, dialer: Dialer
) -> None:
    """No provider may place the call: the organization's own accounts have no proven caller
    ID to present, and the platform's providers may not stand in. The attempt, written and
    counted before the providers were asked, stands as blocked and is not counted; the
    alerts it was to carry are planned again on their own; the owners are told."""
    attempt = session.get(CallAttempt, attempt_id, with_for_update=True)
    if attempt is None or AttemptStatus(attempt.status).is_final:
        return
    job = session.get(CallJob, attempt.job_id, with_for_update=True)
    if job is None:
        return
    day, month = attempt.billed_day_starts_at, attempt.billed_month_starts_at
    if day is not None and month is not None:
        give_back(
            session,
            org_id=attempt.org_id,
            day_starts_at=day,
            month_starts_at=month,
            cost_cents=attempt.billed_cents,
        )
        attempt.billed_day_starts_at = attempt.billed_month_starts_at = None
        attempt.billed_cents = 0
    for rider in bundles.riders_of(session, attempt.id):
        rider.riding_attempt_id = None
        if rider.status in OPEN_JOB_STATUSES:
            release(rider, status=JobStatus.PENDING, now=now, run_at=now)
    message = "no proven caller ID: " + "; ".join(reasons)
    _blocked(
        session,
        attempt,
        job,
        code=CALLER_ID_MISSING,
        message=message[:500],
        reasons=[CALLER_ID_MISSING],
        now=now,
        dialer=dialer,
    )
    tell_owners(
        session,
        org_id=attempt.org_id,
        kind=CALLER_ID_MISSING,
        period=now.date().isoformat(),
        message=(
            "Calls are not being placed: your provider accounts have no proven caller ID to "
            f"present ({'; '.join(reasons)}). Add a caller ID, prove it, and choose it for "
            "your provider accounts. Alerts are still recorded and can be seen and "
            "acknowledged."
        ),
        now=now,
        actor=_worker_actor(dialer),
        details={"alert_id": attempt.alert_id, "reasons": reasons},
    )


def _blocked(
    session: Session,
    attempt: CallAttempt,
    job: CallJob,
    *,
    code: str,
    message: str,
    reasons: list[str],
    now: datetime,
    dialer: Dialer,
) -> None:
    """The attempt stands among the alert's calls as blocked, and its job fails."""
    attempt.status = AttemptStatus.BLOCKED
    attempt.error_code = code
    attempt.error_message = message
    attempt.ended_at = now
    settle(
        session,
        job,
        status=JobStatus.FAILED,
        outcome=JobOutcome.BLOCKED,
        now=now,
        reason=f"blocked: {message}",
    )
    for reason in reasons:
        _count_refusal(session, reason)
    audit.record(
        session,
        actor=_worker_actor(dialer),
        action=AuditAction.CALL_BLOCKED,
        at=now,
        org_id=job.org_id,
        target_type="call_attempt",
        target_id=attempt.id,
        details={"alert_id": job.alert_id, "to": job.to_number, "reasons": reasons},
    )


def _count_refusal(session: Session, reason: str) -> None:
    """A call the gate refused, counted by its reason code once the refusal is committed."""
    on_commit(session, metrics.CALLS_REFUSED.labels(reason=reason).inc)
