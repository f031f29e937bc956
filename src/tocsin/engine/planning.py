"""Deciding, at dial time, whether a claimed job may place a call, and writing its attempt.

Everything that could forbid or delay a call is checked again here, in the transaction that
writes the attempt row, because any of it may have changed since the alert came in: the alert
(acknowledged meanwhile), the do-not-call list, the safety screen and the organization's calling
policy, the per-number throttles and the organization's caps. Only a job that passes them all
gets an attempt, counted against the caps and committed before any provider hears of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.accounts.service import calling_policy
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.billing.plans import Plan as BillingPlan
from tocsin.billing.usage import Counted, Refused, count_call
from tocsin.core.actors import Actor
from tocsin.core.ids import new_id
from tocsin.core.throttle import Hold
from tocsin.endpoints.models import Endpoint
from tocsin.engine.settings import Dialer, WorkerSettings
from tocsin.messages import MessageContext, render_message
from tocsin.numbers import consent
from tocsin.numbers.consent import NumberState
from tocsin.paging import bundles
from tocsin.paging.attempts import latest_attempt
from tocsin.paging.destinations import is_news, lock_number, throttle_hold
from tocsin.paging.escalation import ENGINE
from tocsin.paging.leases import holds_lease, release
from tocsin.paging.models import (
    Alert,
    AlertStatus,
    AttemptStatus,
    CallAttempt,
    CallJob,
    JobOutcome,
    JobStatus,
)
from tocsin.paging.settle import settle
from tocsin.policy.numbers import screening_context
from tocsin.policy.quota import CallCaps, describe_cap, low_quota_sentence, periods_at, zone
from tocsin.restrictions.blocks import dial_block
from tocsin.safety import PLATFORM_CONTEXT, ScreeningContext, Verdict, screen


@dataclass(frozen=True)
class AttemptSnapshot:
    """What a worker needs of an attempt outside the transaction that wrote it."""

    attempt_id: str
    job_id: str
    org_id: str
    provider_account_id: str | None
    platform_provider: str | None
    idempotency_key: str
    to_number: str
    caller_id: str
    spoken_text: str
    status: AttemptStatus
    sending_deadline: datetime
    accepted_at: datetime | None
    # The organization's text-to-speech voice; None for the server's.
    voice: str | None = None
    # What a number the call is redirected to (a SIP 3xx) must pass; None: follow none.
    screening: ScreeningContext | None = None

    @classmethod
    def of(
        cls,
        attempt: CallAttempt,
        *,
        voice: str | None = None,
        screening: ScreeningContext | None = None,
    ) -> AttemptSnapshot:
        return cls(
            attempt_id=attempt.id,
            job_id=attempt.job_id,
            org_id=attempt.org_id,
            provider_account_id=attempt.provider_account_id,
            platform_provider=attempt.platform_provider,
            idempotency_key=attempt.idempotency_key,
            to_number=attempt.to_number,
            caller_id=attempt.caller_id,
            spoken_text=attempt.spoken_text,
            status=AttemptStatus(attempt.status),
            sending_deadline=attempt.sending_deadline,
            accepted_at=attempt.accepted_at,
            voice=voice,
            screening=screening,
        )

    def may_be_redirected_to(self, number: str) -> bool:
        """A redirect of the call to `number` is followed only if the safety screen and the
        organization's calling policy would let Tocsin call it in the first place."""
        return self.screening is not None and screen(number, None, self.screening).allowed

    @property
    def placed_by(self) -> tuple[str | None, str | None]:
        """(provider account, platform provider) the attempt names, as ProviderChoice has them."""
        return self.provider_account_id, self.platform_provider


class PlanKind(StrEnum):
    DIAL = "dial"
    RECONCILE = "reconcile"
    SKIP = "skip"


@dataclass(frozen=True)
class Plan:
    kind: PlanKind
    attempt: AttemptSnapshot | None = None


def _worker_actor(dialer: Dialer) -> Actor:
    return Actor("worker", dialer.worker_id)


def plan_job(session: Session, *, job_id: str, now: datetime, dialer: Dialer) -> Plan:
    """Decide what to do with a claimed job, writing the attempt row if it is to be dialled."""
    settings = dialer.settings
    number = session.scalar(select(CallJob.to_number).where(CallJob.id == job_id))
    if number is None:
        return Plan(PlanKind.SKIP)
    # The number's lock before the job's row: a worker planning another call to the same number
    # meanwhile waits here, with its job still unlocked, so this call can carry that job's alert
    # (paging/bundles.py) and the throttles see this call's attempt.
    lock_number(session, number)
    job = session.get(CallJob, job_id, with_for_update=True)
    if job is None or not holds_lease(job, dialer.worker_id):
        return Plan(PlanKind.SKIP)
    if bundles.carrier_still_running(session, job):
        # Another job's call carries this alert and has not ended: wait for it.
        release(job, status=JobStatus.AWAITING, now=now, run_at=now + bundles.RIDE_TIMEOUT)
        return Plan(PlanKind.SKIP)
    job.riding_attempt_id = None
    previous = latest_attempt(session, job.id)
    if previous is not None and not AttemptStatus(previous.status).is_final:
        return Plan(PlanKind.RECONCILE, AttemptSnapshot.of(previous))

    alert = session.get(Alert, job.alert_id)
    if alert is None or alert.status != AlertStatus.OPEN:
        ended = JobOutcome(alert.status) if alert is not None else JobOutcome.CANCELLED
        settle(
            session,
            job,
            status=JobStatus.CANCELLED,
            outcome=ended,
            now=now,
            reason="alert gone" if alert is None else f"alert {alert.status}",
            alert_open=False,
        )
        return Plan(PlanKind.SKIP)
    if job.attempt_count >= settings.retry.max_attempts:
        settle(
            session,
            job,
            status=JobStatus.FAILED,
            outcome=JobOutcome.NOT_PLACED,
            now=now,
            reason="no attempts left",
        )
        return Plan(PlanKind.SKIP)
    refusal = consent.dial_refusal(session, org_id=job.org_id, number=job.to_number)
    if refusal is not None:
        unverified = refusal.state == NumberState.UNVERIFIED
        _skip(
            session,
            job,
            status=JobStatus.CANCELLED if unverified else JobStatus.DONE,
            outcome=JobOutcome.BLOCKED if unverified else JobOutcome.STOPPED,
            reason=refusal.reason,
            code=refusal.code,
            now=now,
            dialer=dialer,
        )
        return Plan(PlanKind.SKIP)
    block = dial_block(
        session, org_id=job.org_id, endpoint_id=alert.endpoint_id, number=job.to_number, now=now
    )
    if block is not None:
        # A suspension written after the job was queued still stops its call.
        _skip(
            session,
            job,
            status=JobStatus.CANCELLED,
            outcome=JobOutcome.BLOCKED,
            reason=f"{block.code}: {block.reason}",
            code=block.code,
            now=now,
            dialer=dialer,
        )
        return Plan(PlanKind.SKIP)

    org = session.get(Organization, job.org_id)
    plan = settings.billing.plan_in_force(org, now) if org is not None else None
    context = _dial_time_context(org, plan, settings=settings)
    verdict = screen(job.to_number, None, context)
    counted: Counted | None = None
    if verdict.allowed:
        held = throttle_hold(session, number=job.to_number, now=now, buckets=settings.throttle)
        if held is not None and is_news(session, job, alert):
            # The first call about a new critical alert waits only for the short limits.
            held = throttle_hold(
                session, number=job.to_number, now=now, buckets=settings.news_throttle
            )
        if held is not None:
            _hold(session, job, held, now=now, dialer=dialer)
            return Plan(PlanKind.SKIP)
        if org is not None and plan is not None:
            caps = settings.billing.caps(plan)
            result = count_call(
                session, org_id=org.id, caps=caps, periods=periods_at(now, org.timezone)
            )
            if isinstance(result, Refused):
                _refuse_over_quota(session, job, org, caps, result, now=now, dialer=dialer)
                return Plan(PlanKind.SKIP)
            counted = result

    job.attempt_count += 1
    job.held_until = None
    job.hold_reason = None
    riders = (
        bundles.riders_for(session, job, now=now, skip_locked=dialer.skip_locked)
        if verdict.allowed and settings.bundle_calls
        else []
    )
    attempt = CallAttempt(
        id=new_id("att"),
        job_id=job.id,
        org_id=job.org_id,
        alert_id=job.alert_id,
        attempt_no=job.attempt_count,
        idempotency_key=f"{job.id}/{job.attempt_count}",
        to_number=job.to_number,
        # A retry comes from the number the first call came from, so a callee who saw a missed
        # call recognises the next one.
        caller_id=previous.caller_id if previous is not None else settings.caller_id,
        provider=dialer.provider,
        platform_provider=dialer.platform_provider,
        worker_id=dialer.worker_id,
        status=AttemptStatus.SENDING,
        last_event_sequence=0,
        digits="",
        spoken_text=_words(
            session,
            [alert, *(other for _, other in riders)],
            now,
            settings.max_spoken_characters,
        ),
        billed_day=counted.day if counted else None,
        billed_cents=counted.cost_cents if counted else 0,
        created_at=now,
        sending_deadline=now + settings.send_deadline,
    )
    session.add(attempt)
    if not verdict.allowed:
        _block(session, job=job, attempt=attempt, verdict=verdict, now=now, dialer=dialer)
        return Plan(PlanKind.SKIP)
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
    return Plan(
        PlanKind.DIAL,
        AttemptSnapshot.of(attempt, voice=org.voice if org else None, screening=context),
    )


def _words(session: Session, alerts: list[Alert], now: datetime, max_characters: int) -> str:
    """What the call reads: its alert, or each alert it carries, sharing the time."""
    if len(alerts) == 1:
        return _spoken_text(session, alerts[0], now=now, max_characters=max_characters)
    share = max(120, max_characters // len(alerts))
    return bundles.spoken_bundle(
        [_spoken_text(session, alert, now=now, max_characters=share) for alert in alerts]
    )


def _spoken_text(session: Session, alert: Alert, *, now: datetime, max_characters: int) -> str:
    endpoint = session.get(Endpoint, alert.endpoint_id)
    rendered = render_message(
        endpoint.template if endpoint else None,
        MessageContext(
            endpoint=endpoint.name if endpoint else "Tocsin",
            title=alert.title,
            message=alert.message,
            severity=alert.severity,
            source=alert.source,
            status=alert.status,
            payload=alert.payload,
            repeat_count=alert.repeat_count,
        ),
        max_characters=max_characters,
    )
    if rendered.problem is not None:
        audit.record(
            session,
            actor=ENGINE,
            action=AuditAction.TEMPLATE_FAILED,
            at=now,
            org_id=alert.org_id,
            target_type="alert",
            target_id=alert.id,
            details={"endpoint_id": alert.endpoint_id, "problem": rendered.problem[:300]},
        )
    return rendered.text


def _skip(
    session: Session,
    job: CallJob,
    *,
    status: JobStatus,
    outcome: JobOutcome,
    reason: str,
    code: str,
    now: datetime,
    dialer: Dialer,
) -> None:
    """End the job without a call, and say why in the alert's timeline."""
    settle(session, job, status=status, outcome=outcome, now=now, reason=reason)
    audit.record(
        session,
        actor=_worker_actor(dialer),
        action=AuditAction.CALL_SKIPPED,
        at=now,
        org_id=job.org_id,
        target_type="alert",
        target_id=job.alert_id,
        details={"job_id": job.id, "to": job.to_number, "reason": code},
    )


def _hold(session: Session, job: CallJob, held: Hold, *, now: datetime, dialer: Dialer) -> None:
    """Delay the job until the number's throttle has room: never drop it."""
    reason = f"throttle: {held.bucket.describe()} to {job.to_number}"
    first_hold = job.held_until is None
    release(job, status=JobStatus.PENDING, now=now, run_at=held.until)
    job.held_until = held.until
    job.hold_reason = reason
    if first_hold:
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
                "limit": held.bucket.describe(),
            },
        )


def _dial_time_context(
    org: Organization | None, plan: BillingPlan | None, *, settings: WorkerSettings
) -> ScreeningContext:
    """What a number is screened against now: the organization's policy and plan, which may
    have changed since the number was added (and a number may have come in some other way)."""
    if org is None or plan is None:
        return PLATFORM_CONTEXT
    policy = calling_policy(org, plan_allows_international=plan.international_calling)
    return screening_context(policy, settings.sanctioned_regions)


def _mention_low_quota(
    session: Session,
    attempt: CallAttempt,
    counted: Counted,
    *,
    now: datetime,
    dialer: Dialer,
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
        period=f"{counted.tightest.value}:{counted.day}",
        message=f"{counted.left} calls left: {sentence}",
        now=now,
        actor=_worker_actor(dialer),
        details={"calls_left": counted.left, "cap": counted.tightest.value},
    )


def _refuse_over_quota(
    session: Session,
    job: CallJob,
    org: Organization,
    caps: CallCaps,
    refused: Refused,
    *,
    now: datetime,
    dialer: Dialer,
) -> None:
    """No call: the alert stays recorded and open, and the owners are told why."""
    local_reset = refused.resets_at.astimezone(zone(org.timezone))
    reason = (
        f"not called: {describe_cap(refused.cap, caps)} is used up until "
        f"{local_reset:%Y-%m-%d %H:%M} {org.timezone}"
    )
    settle(
        session, job, status=JobStatus.FAILED, outcome=JobOutcome.OVER_QUOTA, now=now, reason=reason
    )
    actor = _worker_actor(dialer)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CALL_OVER_QUOTA,
        at=now,
        org_id=job.org_id,
        target_type="alert",
        target_id=job.alert_id,
        details={"job_id": job.id, "to": job.to_number, "cap": refused.cap.value},
    )
    tell_owners(
        session,
        org_id=org.id,
        kind="quota_exhausted",
        period=f"{refused.cap.value}:{refused.resets_at.isoformat()}",
        message=(
            f"Calls are not being placed: {describe_cap(refused.cap, caps)} of {org.name} is "
            f"used up until {local_reset:%Y-%m-%d %H:%M} {org.timezone}. Alerts are still "
            "recorded and can be seen and acknowledged."
        ),
        now=now,
        actor=actor,
        details={"cap": refused.cap.value, "resets_at": refused.resets_at.isoformat()},
    )


def _block(
    session: Session,
    *,
    job: CallJob,
    attempt: CallAttempt,
    verdict: Verdict,
    now: datetime,
    dialer: Dialer,
) -> None:
    attempt.status = AttemptStatus.BLOCKED
    attempt.error_code = verdict.reasons[0].code.value
    attempt.error_message = "; ".join(reason.message for reason in verdict.reasons)
    attempt.ended_at = now
    settle(
        session,
        job,
        status=JobStatus.FAILED,
        outcome=JobOutcome.BLOCKED,
        now=now,
        reason=f"blocked: {attempt.error_message}",
    )
    audit.record(
        session,
        actor=_worker_actor(dialer),
        action=AuditAction.CALL_BLOCKED,
        at=now,
        org_id=job.org_id,
        target_type="call_attempt",
        target_id=attempt.id,
        details={"alert_id": job.alert_id, "to": job.to_number, "reasons": verdict.codes},
    )
