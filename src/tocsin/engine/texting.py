"""Planning a claimed text (SMS) or e-mail job: load the facts, ask the text gate, apply it.

The voice path (engine/planning.py) never sees these jobs: the worker reads a job's channel
when it claims it (`paging.leases.claim_due`) and hands anything but a call here, so no
throttle, bundle, call cap, hang-up or unanswered retry applies to a text or a mail.

- A text's attempt row is written and committed here, before any provider hears of it; the
  worker then sends it and paging/texts.py records how it went. A job whose attempt is still
  `sending` when a worker finds it again (its worker stopped mid-send) is settled as unknown
  once the sending deadline has passed, and never sent again.
- A mail is written to the outbox (paging/member_mail.py) in the same transaction as its
  attempt row, which is marked sent at once: the outbox, not the worker, carries it from
  there, and it is durable from this commit on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import assert_never

from sqlalchemy.orm import Session

from tocsin.accounts.models import Membership, Organization, User
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.core.actors import Actor
from tocsin.core.ids import new_id
from tocsin.engine.dial_facts import dial_time_context
from tocsin.engine.settings import Dialer
from tocsin.messages.alert_texts import alert_text
from tocsin.numbers import consent, sms_stops
from tocsin.numbers.consent import NumberState
from tocsin.paging import member_mail, texts
from tocsin.paging.attempts import latest_attempt
from tocsin.paging.leases import holds_lease, release
from tocsin.paging.models import (
    Alert,
    AttemptStatus,
    CallAttempt,
    CallJob,
    JobOutcome,
    JobStatus,
)
from tocsin.paging.settle import settle
from tocsin.paging.text_replies import reference_for
from tocsin.policy.dial_gate import AlertState, Enforcement, NumberRefusal
from tocsin.policy.text_gate import (
    QUIET,
    Channel,
    NotTold,
    NotToldReason,
    Tell,
    TextFacts,
    Unconfirmed,
    decide_text,
)
from tocsin.providers.choice import ProviderChoice
from tocsin.restrictions.blocks import dial_block, org_block
from tocsin.safety import screen

VOICE = "voice"


@dataclass(frozen=True)
class TextToSend:
    """A text whose attempt row is committed: what the worker sends, outside any transaction."""

    attempt_id: str
    job_id: str
    org_id: str
    idempotency_key: str
    to_number: str
    body: str
    sending_deadline: datetime


@dataclass(frozen=True)
class TextSent:
    message_id: str
    choice: ProviderChoice


@dataclass(frozen=True)
class TextRefused:
    """Every provider refused it, or none could be tried: certainly not sent."""

    code: str
    reason: str


@dataclass(frozen=True)
class TextUnknown:
    """It may have gone: never sent again."""

    reason: str


TextOutcome = TextSent | TextRefused | TextUnknown


@dataclass(frozen=True)
class _Ending:
    status: JobStatus
    outcome: JobOutcome
    alert_open: bool = True


_ENDINGS = {
    NotToldReason.ALERT_ACKNOWLEDGED: _Ending(
        JobStatus.CANCELLED, JobOutcome.ACKNOWLEDGED, alert_open=False
    ),
    NotToldReason.ALERT_RESOLVED: _Ending(
        JobStatus.CANCELLED, JobOutcome.RESOLVED, alert_open=False
    ),
    NotToldReason.ALERT_GONE: _Ending(JobStatus.CANCELLED, JobOutcome.CANCELLED, alert_open=False),
    NotToldReason.ALREADY_TRIED: _Ending(JobStatus.FAILED, JobOutcome.NOT_SENT),
    NotToldReason.NUMBER_UNVERIFIED: _Ending(JobStatus.CANCELLED, JobOutcome.BLOCKED),
    NotToldReason.NUMBER_STOPPED: _Ending(JobStatus.DONE, JobOutcome.STOPPED),
    NotToldReason.TEXTS_STOPPED: _Ending(JobStatus.DONE, JobOutcome.STOPPED),
    NotToldReason.ENFORCEMENT: _Ending(JobStatus.CANCELLED, JobOutcome.BLOCKED),
    NotToldReason.SCREENED_OUT: _Ending(JobStatus.FAILED, JobOutcome.BLOCKED),
    NotToldReason.CANNOT_TEXT: _Ending(JobStatus.FAILED, JobOutcome.NOT_SENT),
    NotToldReason.NOT_A_MEMBER: _Ending(JobStatus.FAILED, JobOutcome.NOT_SENT),
    NotToldReason.ADDRESS_UNVERIFIED: _Ending(JobStatus.FAILED, JobOutcome.NOT_SENT),
}

# Gaps the owners must close, told once a day per organization or member.
_NOTICES = {
    NotToldReason.CANNOT_TEXT: "cannot_text",
    NotToldReason.ADDRESS_UNVERIFIED: "email_unverified",
}


def plan_text(
    session: Session,
    *,
    job_id: str,
    now: datetime,
    dialer: Dialer,
    can_text: bool,
    public_base_url: str,
) -> TextToSend | None:
    """Decide what to do with a claimed text or e-mail job. A text to send comes back with its
    attempt row written (the caller commits before sending); anything else is done here.
    `can_text`: whether the organization's chain has a provider that sends texts."""
    job = session.get(CallJob, job_id, with_for_update=True)
    if job is None or not holds_lease(job, dialer.worker_id) or job.channel == VOICE:
        return None
    channel = Channel(job.channel)
    alert = session.get(Alert, job.alert_id, with_for_update={"read": True})
    previous = latest_attempt(session, job.id)
    unfinished = previous is not None and not AttemptStatus(previous.status).is_final
    facts = _facts(session, job, alert, channel, unfinished, now=now, dialer=dialer)
    if channel == Channel.SMS:
        facts = _with_sms_facts(session, job, alert, facts, now=now, dialer=dialer, can=can_text)
    decision = decide_text(facts)
    match decision:
        case Unconfirmed():
            if previous is not None:
                _unconfirmed(session, job, previous, now=now, dialer=dialer)
            return None
        case NotTold():
            _not_told(session, job, decision, now=now, dialer=dialer)
            return None
        case Tell():
            if alert is None:
                return None
            if channel == Channel.EMAIL:
                _mail(session, job, alert, now=now, dialer=dialer, base_url=public_base_url)
                return None
            return _text(session, job, alert, now=now, dialer=dialer)
        case _:
            assert_never(decision)


def _facts(
    session: Session,
    job: CallJob,
    alert: Alert | None,
    channel: Channel,
    unfinished: bool,
    *,
    now: datetime,
    dialer: Dialer,
) -> TextFacts:
    state = AlertState(alert.status) if alert is not None else AlertState.GONE
    if channel == Channel.EMAIL:
        block = org_block(session, org_id=job.org_id, now=now)
        user = session.get(User, job.to_number)
        member = (
            session.get(Membership, {"org_id": job.org_id, "user_id": job.to_number}) is not None
        )
        return TextFacts(
            channel=channel,
            alert=state,
            attempts_made=job.attempt_count,
            unfinished_attempt=unfinished,
            enforcement=Enforcement(block.code, block.reason) if block is not None else None,
            member=member and user is not None,
            address_verified=user is not None and user.email_verified_at is not None,
        )
    return TextFacts(
        channel=channel,
        alert=state,
        attempts_made=job.attempt_count,
        unfinished_attempt=unfinished,
    )


def _with_sms_facts(
    session: Session,
    job: CallJob,
    alert: Alert | None,
    facts: TextFacts,
    *,
    now: datetime,
    dialer: Dialer,
    can: bool,
) -> TextFacts:
    return sms_facts(
        session,
        facts,
        org_id=job.org_id,
        number=job.to_number,
        endpoint_id=alert.endpoint_id if alert is not None else None,
        now=now,
        dialer=dialer,
        can=can,
    )


def sms_facts(
    session: Session,
    facts: TextFacts,
    *,
    org_id: str,
    number: str,
    endpoint_id: str | None,
    now: datetime,
    dialer: Dialer,
    can: bool,
) -> TextFacts:
    """The checks a call to the number would pass, and the SMS stop list: the same for a text
    about an alert and one that is not (engine/member_texting.py)."""
    refusal = consent.dial_refusal(session, org_id=org_id, number=number)
    block = dial_block(session, org_id=org_id, endpoint_id=endpoint_id, number=number, now=now)
    org = session.get(Organization, org_id)
    plan = dialer.settings.billing.plan_in_force(org, now) if org is not None else None
    context = dial_time_context(org, plan, dialer.settings)
    return replace(
        facts,
        enforcement=Enforcement(block.code, block.reason) if block is not None else None,
        number_refusal=(
            NumberRefusal(
                refusal.code, refusal.reason, stopped=refusal.state != NumberState.UNVERIFIED
            )
            if refusal is not None
            else None
        ),
        texts_stopped=sms_stops.is_stopped(session, number, org_id=org_id),
        verdict=screen(number, None, context),
        can_text=can,
    )


def _actor(dialer: Dialer) -> Actor:
    return Actor("worker", dialer.worker_id)


def _unconfirmed(
    session: Session, job: CallJob, previous: CallAttempt, *, now: datetime, dialer: Dialer
) -> None:
    if now < previous.sending_deadline:
        # Its worker may still be sending it: look again once it no longer can.
        release(job, status=JobStatus.AWAITING, now=now, run_at=previous.sending_deadline)
        return
    texts.mark_unknown(
        session,
        attempt_id=previous.id,
        reason="the worker stopped before the provider's answer was recorded",
        worker_id=dialer.worker_id,
        now=now,
    )


def _not_told(
    session: Session, job: CallJob, not_told: NotTold, *, now: datetime, dialer: Dialer
) -> None:
    """End the job without telling; say why on the alert's timeline, unless its own entries do,
    and tell the owners of a gap only they can close."""
    ending = _ENDINGS[not_told.reason]
    settle(
        session,
        job,
        status=ending.status,
        outcome=ending.outcome,
        now=now,
        reason=not_told.detail,
        alert_open=ending.alert_open,
    )
    if not_told.reason in QUIET:
        return
    action = AuditAction.TEXT_SKIPPED if job.channel == Channel.SMS else AuditAction.EMAIL_SKIPPED
    details = {
        "job_id": job.id,
        "user_id": job.user_id,
        "reason": not_told.code,
        "detail": not_told.detail,
    }
    if job.channel == Channel.SMS:
        details["to"] = job.to_number
    audit.record(
        session,
        actor=_actor(dialer),
        action=action,
        at=now,
        org_id=job.org_id,
        target_type="alert",
        target_id=job.alert_id,
        details=details,
    )
    kind = _NOTICES.get(not_told.reason)
    if kind is None:
        return
    subject = job.org_id if not_told.reason == NotToldReason.CANNOT_TEXT else job.to_number
    tell_owners(
        session,
        org_id=job.org_id,
        kind=kind,
        period=f"{subject}:{now.date().isoformat()}",
        message=_gap_message(not_told, job),
        now=now,
        actor=_actor(dialer),
        details={"alert_id": job.alert_id, "user_id": job.user_id},
    )


def _gap_message(not_told: NotTold, job: CallJob) -> str:
    if not_told.reason == NotToldReason.CANNOT_TEXT:
        return (
            "A member's notification rules asked for a text, but none of this organization's "
            "providers can send texts (a SIP trunk sends none). Add a provider account that "
            "texts (Twilio, Plivo, Telnyx or Vonage), or change the rule to a call."
        )
    return (
        f"The member {job.user_id} is paged by e-mail, but their account's address is not "
        "verified, so no mail was sent. They can verify it from their account page."
    )


def _write_attempt(
    session: Session,
    job: CallJob,
    *,
    body: str,
    status: AttemptStatus,
    now: datetime,
    dialer: Dialer,
) -> CallAttempt:
    job.attempt_count += 1
    attempt = CallAttempt(
        id=new_id("att"),
        job_id=job.id,
        org_id=job.org_id,
        alert_id=job.alert_id,
        attempt_no=job.attempt_count,
        idempotency_key=f"{job.id}/{job.attempt_count}",
        to_number=job.to_number,
        channel=job.channel,
        # Named when the provider that sends it is known (paging/texts.py).
        caller_id=dialer.settings.caller_id if job.channel == Channel.SMS else "",
        provider=dialer.provider if job.channel == Channel.SMS else "outbox",
        platform_provider=dialer.platform_provider if job.channel == Channel.SMS else None,
        worker_id=dialer.worker_id,
        status=status,
        last_event_sequence=0,
        digits="",
        spoken_text=body,
        created_at=now,
        sending_deadline=now + dialer.settings.send_deadline,
    )
    session.add(attempt)
    return attempt


def _text(
    session: Session, job: CallJob, alert: Alert, *, now: datetime, dialer: Dialer
) -> TextToSend:
    reference = reference_for(session, to_number=job.to_number, alert_id=alert.id, now=now)
    body = alert_text(severity=alert.severity, title=alert.title, reference=reference)
    attempt = _write_attempt(
        session, job, body=body, status=AttemptStatus.SENDING, now=now, dialer=dialer
    )
    attempt.reply_code = reference
    return TextToSend(
        attempt_id=attempt.id,
        job_id=job.id,
        org_id=job.org_id,
        idempotency_key=attempt.idempotency_key,
        to_number=job.to_number,
        body=body,
        sending_deadline=attempt.sending_deadline,
    )


def _mail(
    session: Session, job: CallJob, alert: Alert, *, now: datetime, dialer: Dialer, base_url: str
) -> None:
    user = session.get(User, job.to_number)
    if user is None:
        return  # the gate saw the member a moment ago, in this transaction
    attempt = _write_attempt(
        session, job, body="", status=AttemptStatus.SENT, now=now, dialer=dialer
    )
    member_mail.mail_member(
        session,
        job=job,
        alert=alert,
        attempt=attempt,
        user=user,
        base_url=base_url,
        actor=_actor(dialer),
        now=now,
    )
