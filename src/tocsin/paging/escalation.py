"""Escalations: an alert's way through its steps until a human answers or the steps run out.

The state machine is small. An escalation rests on one step: a `call` step until every job it
wrote has settled, a `wait` step until its time is up. Then it moves on: into the next step,
back to the first on `repeat`, or to `exhausted` after the last. Acknowledging or resolving the
alert ends it at once.

A maintenance window that covers a new alert (or one whose escalation ran out and is notified
again) mutes it: the escalation rests, `muted`, before its first step until the window ends,
then pages from the first step if the alert is still open and no other window covers it. A
window never stops an escalation already paging.

Work is driven by `next_at`. A job that settles sets it to now (`poke`), a wait step to its end;
workers advance escalations whose `next_at` is due (`advance`), each under a row lock taken with
SKIP LOCKED, so two workers never advance one escalation at once and a worker that dies
mid-advance leaves the row as it was. Advancing is idempotent: it looks at the jobs, not at
who poked, and jobs are unique per number, step and round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.contacts.models import Contact
from tocsin.core import metrics
from tocsin.core.actors import Actor
from tocsin.core.ids import new_id
from tocsin.db.after_commit import on_commit
from tocsin.db.base import table_of
from tocsin.db.statements import run
from tocsin.oncall.targets import page_people
from tocsin.outgoing.events import alert_changed
from tocsin.outgoing.models import AlertEvent
from tocsin.paging.hangups import request_hangups
from tocsin.paging.jobs import cancel_pending_calls, enqueue_calls
from tocsin.paging.models import (
    OPEN_JOB_STATUSES,
    Alert,
    AlertStatus,
    CallJob,
    Escalation,
    EscalationStatus,
    JobOutcome,
)
from tocsin.paging.muting import Mute, record_muted, record_unmuted
from tocsin.routing.steps import CallStep, RepeatStep, WaitStep, notify_only, parse_steps
from tocsin.routing.targets import CallTarget

log = logging.getLogger(__name__)

ENGINE = Actor("engine")
_ESCALATIONS = table_of(Escalation)
_INSERT_ESCALATION = insert(_ESCALATIONS)
_POKE = (
    update(_ESCALATIONS)
    .where(_ESCALATIONS.c.id == bindparam("escalation_id"))
    .where(_ESCALATIONS.c.status == EscalationStatus.ACTIVE.value)
    .values(next_at=bindparam("now"))
)

Steps = Sequence[CallStep | WaitStep | RepeatStep]

# What cancels a queued call before it rings for a reason outside the alert.
_STOPPED_FIRST = frozenset({JobOutcome.STOPPED.value, JobOutcome.BLOCKED.value})


@dataclass(frozen=True)
class Position:
    step_index: int
    round: int
    step_started_at: datetime
    next_at: datetime | None = None
    status: EscalationStatus = EscalationStatus.ACTIVE
    # The round this pass of the plan began in: repeats and backoffs count from it.
    first_round: int = 0

    @property
    def passes(self) -> int:
        return self.round - self.first_round


@dataclass(frozen=True)
class Transition:
    """Where running the steps from a position led, and what it asks to be written."""

    position: Position
    targets: list[CallTarget] = field(default_factory=list)
    events: list[tuple[AuditAction, dict[str, Any]]] = field(default_factory=list)


@dataclass(frozen=True)
class Resolution:
    """Who a call step pages, worked out when it runs."""

    targets: list[CallTarget] = field(default_factory=list)
    # Ids the step names that no longer exist (contacts, members, schedules, projects).
    missing: list[str] = field(default_factory=list)
    # Who was on call for each schedule or project, as the timeline shows it.
    on_call: list[str] = field(default_factory=list)
    # Schedules that had nobody on call, and members with no way to be told.
    nobody_on_call: list[dict[str, str]] = field(default_factory=list)
    unreachable: list[dict[str, str]] = field(default_factory=list)


TargetsFor = Callable[[CallStep], Resolution]

# Why a step that only tells (notify) passed a member over.
NO_QUIET_METHOD = "no text or e-mail notification rule"


def run_steps(
    steps: Steps, start: Position, *, now: datetime, targets_for: TargetsFor
) -> Transition:
    """Enter the step at `start` and keep going until one has to be waited on.

    `targets_for(step)` gives the jobs to write (numbers to call or text, members to mail),
    the ids that no longer exist and who was on call. A call step with nobody left to page is
    passed over, so a deleted contact or an empty schedule cannot stall an escalation; the
    timeline says why. Pure apart from `targets_for`.
    """
    position = start
    events: list[tuple[AuditAction, dict[str, Any]]] = []
    # Each pass through the steps either stops or uses up a repeat, so this always ends.
    for _ in range((len(steps) + 1) * (_max_repeats(steps) + 2)):
        index = position.step_index
        if index >= len(steps):
            if notify_only(steps):
                # Everyone it names was told; nobody was asked to answer.
                events.append((AuditAction.ESCALATION_NOTIFIED, {"rounds": position.round + 1}))
                ended = EscalationStatus.NOTIFIED
            else:
                events.append((AuditAction.ESCALATION_EXHAUSTED, {"rounds": position.round + 1}))
                ended = EscalationStatus.EXHAUSTED
            return Transition(replace(position, next_at=None, status=ended), [], events)
        step = steps[index]
        details: dict[str, Any] = {"step": index + 1, "round": position.round + 1}
        if isinstance(step, CallStep):
            resolved = targets_for(step)
            targets = resolved.targets
            if resolved.missing:
                events.append(
                    (
                        AuditAction.ESCALATION_CONTACTS_MISSING,
                        {**details, "contact_ids": resolved.missing},
                    )
                )
            for schedule in resolved.nobody_on_call:
                events.append((AuditAction.ESCALATION_NOBODY_ON_CALL, {**details, **schedule}))
            for member in resolved.unreachable:
                events.append((AuditAction.ESCALATION_MEMBER_UNREACHABLE, {**details, **member}))
            if targets:
                calling: dict[str, Any] = {
                    **details,
                    "numbers": [t.phone_e164 for t in targets if t.channel != "email"],
                }
                if resolved.on_call:
                    calling["on_call"] = resolved.on_call
                if any(t.user_id for t in targets):
                    calling["notifications"] = [_notification(t) for t in targets if t.user_id]
                events.append((AuditAction.ESCALATION_CALLING, calling))
                return Transition(
                    replace(position, step_started_at=now, next_at=None), targets, events
                )
            position = replace(position, step_index=index + 1)
        elif isinstance(step, WaitStep):
            until = now + timedelta(seconds=step.seconds_in(position.passes))
            events.append((AuditAction.ESCALATION_WAITING, {**details, "until": until.isoformat()}))
            return Transition(replace(position, step_started_at=now, next_at=until), [], events)
        elif position.passes < step.times:
            events.append(
                (AuditAction.ESCALATION_REPEATED, {**details, "round": position.round + 2})
            )
            position = replace(
                position, step_index=0, round=position.round + 1, step_started_at=now
            )
        else:
            position = replace(position, step_index=index + 1)
    raise AssertionError("escalation steps did not settle")  # pragma: no cover


def _notification(target: CallTarget) -> dict[str, Any]:
    said: dict[str, Any] = {"user_id": target.user_id, "method": target.channel}
    if target.channel != "email":
        said["number"] = target.phone_e164
    if target.delay_seconds:
        said["after_minutes"] = round(target.delay_seconds / 60, 2)
    return said


def _max_repeats(steps: Steps) -> int:
    return max((step.times for step in steps if isinstance(step, RepeatStep)), default=0)


def numbers_for(
    session: Session, org_id: str, known: dict[str, str] | None = None, *, now: datetime
) -> TargetsFor:
    """Who a step pages, read now: a contact whose number changed since the alert began is
    called on the new one, and a schedule's on-call person is whoever holds it when the step
    runs (oncall/targets.py)."""

    def targets(step: CallStep) -> Resolution:
        phones = dict(known or {})
        unknown = [contact_id for contact_id in step.contact_ids if contact_id not in phones]
        if unknown:
            rows = session.execute(
                select(Contact.id, Contact.phone_e164).where(
                    Contact.org_id == org_id, Contact.id.in_(unknown)
                )
            )
            phones.update({contact_id: phone for contact_id, phone in rows})
        found: list[CallTarget] = []
        seen: set[tuple[str, str]] = set()
        # A step that only tells texts the contacts' numbers instead of calling them.
        channel = "sms" if step.notify_only else "voice"
        for contact_id in step.contact_ids:
            phone = phones.get(contact_id)
            if phone is not None and (channel, phone) not in seen:
                seen.add((channel, phone))
                found.append(CallTarget(contact_id, phone, channel=channel))
        missing = [contact_id for contact_id in step.contact_ids if contact_id not in phones]
        if not (step.user_ids or step.schedule_ids or step.project_ids):
            return Resolution(found, missing)
        people = page_people(
            session,
            org_id=org_id,
            user_ids=step.user_ids,
            schedule_ids=step.schedule_ids,
            project_ids=step.project_ids,
            now=now,
        )
        unreachable = list(people.unreachable)
        told = people.targets
        if step.notify_only:
            told = [target for target in told if target.channel != "voice"]
            reached = {target.user_id for target in told}
            called_only = {t.user_id for t in people.targets if t.user_id not in reached}
            unreachable += [
                {"user_id": user_id, "reason": NO_QUIET_METHOD}
                for user_id in sorted(user_id for user_id in called_only if user_id is not None)
            ]
        for target in told:
            if (target.channel, target.phone_e164) not in seen:
                seen.add((target.channel, target.phone_e164))
                found.append(target)
        return Resolution(
            found,
            missing + people.missing,
            on_call=people.on_call,
            nobody_on_call=people.nobody_on_call,
            unreachable=unreachable,
        )

    return targets


def start(
    session: Session,
    *,
    org_id: str,
    alert_id: str,
    plan: list[dict[str, Any]],
    now: datetime,
    known_targets: Sequence[CallTarget] = (),
    request_id: str | None = None,
) -> int:
    """Begin paging for a new alert, in the transaction that accepts it; returns how many calls
    it queued. `known_targets` are contacts the caller has already read, which spares the hot
    path a query; `request_id` is the alert's (every job of the alert carries it)."""
    if not plan:
        return 0
    escalation_id = new_id("esc")
    known = {t.contact_id: t.phone_e164 for t in known_targets if t.contact_id is not None}
    transition = run_steps(
        parse_steps(plan),
        Position(0, 0, now),
        now=now,
        targets_for=numbers_for(session, org_id, known, now=now),
    )
    position = transition.position
    session.execute(
        _INSERT_ESCALATION,
        {
            "id": escalation_id,
            "org_id": org_id,
            "alert_id": alert_id,
            "status": position.status.value,
            "plan": plan,
            "step_index": position.step_index,
            "round": position.round,
            "step_started_at": position.step_started_at,
            "next_at": position.next_at,
            "created_at": now,
            "updated_at": now,
            "ended_at": now if position.status != EscalationStatus.ACTIVE else None,
        },
    )
    return _write_step(
        session,
        escalation_id,
        org_id,
        alert_id,
        transition,
        now,
        record_calling=False,
        request_id=request_id,
    )


def start_muted(
    session: Session,
    *,
    org_id: str,
    alert_id: str,
    plan: list[dict[str, Any]],
    now: datetime,
    mute: Mute,
) -> None:
    """A new alert a maintenance window covers: its escalation is written with its plan, muted
    at the first step until the window's end (or for good, if the window does not page when it
    ends), and the timeline says which window, who made it and why."""
    escalation_id = new_id("esc")
    session.execute(
        _INSERT_ESCALATION,
        {
            "id": escalation_id,
            "org_id": org_id,
            "alert_id": alert_id,
            "status": EscalationStatus.MUTED.value,
            "plan": plan,
            "step_index": 0,
            "round": 0,
            "step_started_at": now,
            "next_at": mute.next_at,
            "created_at": now,
            "updated_at": now,
            "ended_at": None,
        },
    )
    record_muted(
        session, org_id=org_id, alert_id=alert_id, escalation_id=escalation_id, mute=mute, now=now
    )


def _write_step(
    session: Session,
    escalation_id: str,
    org_id: str,
    alert_id: str,
    transition: Transition,
    now: datetime,
    *,
    record_calling: bool = True,
    request_id: str | None = None,
) -> int:
    position = transition.position
    queued = enqueue_calls(
        session,
        org_id=org_id,
        alert_id=alert_id,
        targets=transition.targets,
        now=now,
        escalation_id=escalation_id,
        step_index=position.step_index,
        round=position.round,
        request_id=request_id,
    )
    for action, details in transition.events:
        # The first step's numbers are in the alert.received event already; who was on call,
        # and how each person is told, is not.
        people = "on_call" in details or "notifications" in details
        if action == AuditAction.ESCALATION_CALLING and not record_calling and not people:
            continue
        audit.record(
            session,
            actor=ENGINE,
            action=action,
            at=now,
            org_id=org_id,
            target_type="alert",
            target_id=alert_id,
            details={**details, "escalation_id": escalation_id},
        )
    for action, details in transition.events:
        if action in _SAID_TO_OWNERS:
            _tell_step_fell_short(session, org_id, alert_id, action, details, now)
    if position.status == EscalationStatus.EXHAUSTED:
        _tell_nobody_answered(session, escalation_id, org_id, alert_id, position, now)
        on_commit(session, metrics.ESCALATIONS_EXHAUSTED.inc)
    _tell_webhooks(session, org_id, alert_id, transition, now, first=not record_calling)
    return queued


def _tell_webhooks(
    session: Session,
    org_id: str,
    alert_id: str,
    transition: Transition,
    now: datetime,
    *,
    first: bool,
) -> None:
    """Outgoing webhooks' `escalated` (a step after the alert's first started paging: the
    next step, a repeat's round, a restart) and `exhausted`."""
    position = transition.position
    calling = any(action == AuditAction.ESCALATION_CALLING for action, _ in transition.events)
    # Counted from 1, as the timeline counts; a transition either calls or runs out.
    if calling and not first:
        event = AlertEvent.ESCALATED
        details = {"step": position.step_index + 1, "round": position.round + 1}
    elif position.status == EscalationStatus.EXHAUSTED:
        event = AlertEvent.EXHAUSTED
        details = {"rounds": position.round + 1}
    else:
        return
    alert_changed(
        session,
        org_id=org_id,
        alert=lambda: session.get_one(Alert, alert_id),
        event=event,
        now=now,
        details={"escalation": details},
    )


_SAID_TO_OWNERS = {
    AuditAction.ESCALATION_NOBODY_ON_CALL: "nobody_on_call",
    AuditAction.ESCALATION_MEMBER_UNREACHABLE: "member_unreachable",
}


def _tell_step_fell_short(
    session: Session,
    org_id: str,
    alert_id: str,
    action: AuditAction,
    details: dict[str, Any],
    now: datetime,
) -> None:
    """A step paged a schedule with nobody on call, a project with no members, or a member
    with no verified way to be told: the alert may still reach others, but the owners must
    fix the gap before the next one."""
    if action == AuditAction.ESCALATION_NOBODY_ON_CALL:
        subject = details.get("schedule_id") or details.get("project_id") or ""
        name = details.get("schedule") or details.get("project") or subject
        message = f'Nobody was on call in "{name}" when an alert paged it.'
    elif details.get("contact_id") is not None:
        subject = str(details.get("user_id") or "")
        message = (
            f"An alert paged the member {subject}, and one of their notification rules was "
            f"passed over: {details.get('reason')}. Their other rules were followed."
        )
    elif details.get("reason") == NO_QUIET_METHOD:
        subject = str(details.get("user_id") or "")
        message = (
            f"An alert that tells by text and e-mail only paged the member {subject}, who has "
            "no text or e-mail notification rule; nobody was told through them."
        )
    else:
        subject = str(details.get("user_id") or "")
        message = (
            f"An alert paged the member {subject}, who has no number they verified themself; "
            "nobody was told through them."
        )
    log.warning("alert %s: %s", alert_id, message)
    tell_owners(
        session,
        org_id=org_id,
        kind=_SAID_TO_OWNERS[action],
        # Once a day per schedule, project or member: a storm of alerts says it once.
        period=f"{subject}:{now.date().isoformat()}",
        message=message,
        now=now,
        actor=ENGINE,
        details={**details, "alert_id": alert_id},
    )


def _tell_nobody_answered(
    session: Session,
    escalation_id: str,
    org_id: str,
    alert_id: str,
    position: Position,
    now: datetime,
) -> None:
    """Every step ran and the alert is still open: the loudest thing an escalation can say. When
    no call of this pass was placed because each was stopped first (an opt-out, the do-not-call
    list, a block), it says that, not that nobody answered."""
    title = session.scalar(select(Alert.title).where(Alert.id == alert_id)) or alert_id
    rounds = position.passes + 1
    stopped = _stopped_unplaced(session, escalation_id, position.first_round)
    log.warning("alert %s: escalation exhausted after %d rounds; nobody answered", alert_id, rounds)
    if stopped:
        said = (
            f'Nobody was called for the alert "{title}": every call its escalation queued was '
            f"stopped before it was placed ({'; '.join(stopped)})."
        )
    else:
        said = (
            f'Nobody answered the alert "{title}": its escalation ran every step '
            f"({rounds} round{'s' if rounds != 1 else ''}) and stopped calling."
        )
    tell_owners(
        session,
        org_id=org_id,
        kind="escalation_exhausted",
        # Once per pass of the plan: a restarted escalation that runs out again says so again.
        period=f"{escalation_id}:{position.first_round}",
        message=(
            f"{said} The alert is still open; a new notification for it, or acknowledging it, "
            "ends this state."
        ),
        now=now,
        actor=ENGINE,
        details={
            "alert_id": alert_id,
            "escalation_id": escalation_id,
            "rounds": rounds,
            "stopped": stopped,
        },
    )


def _stopped_unplaced(session: Session, escalation_id: str, first_round: int) -> list[str]:
    """Why the calls of this pass were stopped, if none of them was ever placed; else []."""
    rows = session.execute(
        select(CallJob.attempt_count, CallJob.outcome, CallJob.last_error).where(
            CallJob.escalation_id == escalation_id, CallJob.round >= first_round
        )
    ).all()
    if not rows or any(attempts or outcome not in _STOPPED_FIRST for attempts, outcome, _ in rows):
        return []
    return sorted({reason or str(outcome) for _, outcome, reason in rows})


MuteFor = Callable[[Alert], Mute | None]


def _not_muted(alert: Alert) -> Mute | None:
    return None


def on_repeat(
    session: Session,
    *,
    alert_id: str,
    now: datetime,
    before: Callable[[], None] = lambda: None,
    mute_for: MuteFor = _not_muted,
) -> int:
    """A new notification for an open alert: an escalation that ran out starts again, from its
    first step, as a new pass, unless a maintenance window covers the alert now (`mute_for`),
    which mutes the new pass instead; one a window muted is looked at again, and pages now
    if no window covers the alert any more. Returns how many calls that queued."""
    escalation = session.scalar(
        select(Escalation)
        .join(Alert, Alert.id == Escalation.alert_id)
        .where(
            Escalation.alert_id == alert_id,
            Escalation.status.in_((EscalationStatus.EXHAUSTED, EscalationStatus.MUTED)),
            Alert.status == AlertStatus.OPEN,
        )
        .with_for_update(of=Escalation)
    )
    if escalation is None:
        return 0
    alert = session.get(Alert, alert_id)
    if alert is None:  # pragma: no cover - the join found it, and this transaction holds it
        return 0
    mute = mute_for(alert)
    if escalation.status == EscalationStatus.MUTED:
        if mute is not None:
            _keep_muted(session, escalation, alert, mute, now)
            return 0
        before()
        return _unmute(session, escalation, alert, now=now, why="repeated")
    first_round = escalation.round + 1
    if mute is not None:
        escalation.first_round = escalation.round = first_round
        escalation.step_index = 0
        escalation.step_started_at = escalation.updated_at = now
        escalation.status = EscalationStatus.MUTED.value
        escalation.next_at = mute.next_at
        escalation.ended_at = None
        session.flush()
        record_muted(
            session,
            org_id=escalation.org_id,
            alert_id=alert_id,
            escalation_id=escalation.id,
            mute=mute,
            now=now,
            restarted=True,
        )
        return 0
    before()
    transition = run_steps(
        parse_steps(escalation.plan),
        Position(0, first_round, now, first_round=first_round),
        now=now,
        targets_for=numbers_for(session, escalation.org_id, now=now),
    )
    escalation.first_round = first_round
    _move_to(escalation, transition.position, now)
    session.flush()
    audit.record(
        session,
        actor=ENGINE,
        action=AuditAction.ESCALATION_RESTARTED,
        at=now,
        org_id=escalation.org_id,
        target_type="alert",
        target_id=alert_id,
        details={"escalation_id": escalation.id, "round": first_round + 1},
    )
    return _write_step(
        session,
        escalation.id,
        escalation.org_id,
        alert_id,
        transition,
        now,
        record_calling=True,
        request_id=alert.request_id,
    )


def advance_muted(
    session: Session, *, escalation_id: str, now: datetime, skip_locked: bool, mute_for: MuteFor
) -> bool:
    """A muted escalation whose `next_at` is due (its window ended, or was changed): paging
    starts from the first step if the alert is still open and no window covers it now
    (`mute_for`); else it stays muted until that window's end. True if it paged or ended."""
    query = select(Escalation).where(Escalation.id == escalation_id)
    escalation = session.scalar(query.with_for_update(skip_locked=skip_locked))
    if escalation is None or escalation.status != EscalationStatus.MUTED:
        return False
    if escalation.next_at is None or escalation.next_at > now:
        return False  # another worker got here first
    alert = session.get(Alert, escalation.alert_id)
    if alert is None or alert.status != AlertStatus.OPEN:
        close(escalation, ended_by(alert.status if alert is not None else None), now)
        return True
    mute = mute_for(alert)
    if mute is not None:
        _keep_muted(session, escalation, alert, mute, now)
        return False
    ended = alert.muted_until is not None and alert.muted_until <= now
    _unmute(session, escalation, alert, now=now, why="window_ended" if ended else "window_changed")
    return True


def _keep_muted(
    session: Session, escalation: Escalation, alert: Alert, mute: Mute, now: datetime
) -> None:
    """Still covered: wait for the end of the window that covers it now, and say so when that
    is another window or another end than before."""
    escalation.next_at = mute.next_at
    escalation.updated_at = now
    if (alert.muted_by_window_id, alert.muted_until) != (mute.window_id, mute.until):
        record_muted(
            session,
            org_id=escalation.org_id,
            alert_id=alert.id,
            escalation_id=escalation.id,
            mute=mute,
            now=now,
        )


def _unmute(
    session: Session, escalation: Escalation, alert: Alert, *, now: datetime, why: str
) -> int:
    """Page a muted alert: from the first step of the pass the window muted."""
    record_unmuted(
        session,
        org_id=escalation.org_id,
        alert=alert,
        escalation_id=escalation.id,
        why=why,
        now=now,
    )
    transition = run_steps(
        parse_steps(escalation.plan),
        Position(0, escalation.round, now, first_round=escalation.first_round),
        now=now,
        targets_for=numbers_for(session, escalation.org_id, now=now),
    )
    _move_to(escalation, transition.position, now)
    session.flush()
    return _write_step(
        session,
        escalation.id,
        escalation.org_id,
        alert.id,
        transition,
        now,
        record_calling=True,
        request_id=alert.request_id,
    )


def poke(session: Session, *, escalation_id: str | None, now: datetime) -> None:
    """Make an escalation due now: one of its jobs settled, so its step may be over."""
    if escalation_id is not None:
        session.execute(_POKE, {"escalation_id": escalation_id, "now": now})


# Escalations a worker moves on when their `next_at` is due: active ones, and muted ones whose
# window ended (or changed).
WAKING = (EscalationStatus.ACTIVE, EscalationStatus.MUTED)


_DUE = (
    select(Escalation.id)
    .where(Escalation.status.in_(WAKING), Escalation.next_at <= bindparam("now"))
    .order_by(Escalation.next_at)
    .limit(bindparam("limit"))
)


def due_escalations(session: Session, *, now: datetime, limit: int) -> list[str]:
    return list(session.scalars(_DUE, {"now": now, "limit": limit}))


def _open_jobs(session: Session, escalation: Escalation) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(CallJob)
            .where(
                CallJob.escalation_id == escalation.id,
                CallJob.step_index == escalation.step_index,
                CallJob.round == escalation.round,
                CallJob.status.in_(OPEN_JOB_STATUSES),
            )
        )
        or 0
    )


def advance(session: Session, *, escalation_id: str, now: datetime, skip_locked: bool) -> bool:
    """Move a due escalation on if its current step is over; True if it moved."""
    query = select(Escalation).where(Escalation.id == escalation_id)
    escalation = session.scalar(query.with_for_update(skip_locked=skip_locked))
    if escalation is None or escalation.status != EscalationStatus.ACTIVE:
        return False
    if escalation.next_at is None or escalation.next_at > now:
        return False  # another worker got here first
    alert = session.get(Alert, escalation.alert_id)
    if alert is None or alert.status != AlertStatus.OPEN:
        close(escalation, ended_by(alert.status if alert is not None else None), now)
        return True
    steps = parse_steps(escalation.plan)
    index = escalation.step_index
    step = steps[index] if index < len(steps) else None
    if isinstance(step, CallStep) and _open_jobs(session, escalation):
        escalation.next_at = None  # the last of them to settle pokes it again
        return False
    if isinstance(step, WaitStep):
        passes = escalation.round - escalation.first_round
        until = escalation.step_started_at + timedelta(seconds=step.seconds_in(passes))
        if now < until:
            escalation.next_at = until
            return False
    transition = run_steps(
        steps,
        Position(
            index + 1,
            escalation.round,
            escalation.step_started_at,
            first_round=escalation.first_round,
        ),
        now=now,
        targets_for=numbers_for(session, escalation.org_id, now=now),
    )
    _move_to(escalation, transition.position, now)
    session.flush()
    _write_step(
        session,
        escalation.id,
        escalation.org_id,
        escalation.alert_id,
        transition,
        now,
        request_id=alert.request_id,
    )
    return True


def ended_by(alert_status: str | None) -> EscalationStatus:
    """How an escalation ends when its alert is no longer open (None: no longer exists)."""
    if alert_status == AlertStatus.ACKNOWLEDGED:
        return EscalationStatus.ACKNOWLEDGED
    return EscalationStatus.RESOLVED


def _move_to(escalation: Escalation, position: Position, now: datetime) -> None:
    """Write where the steps got to; an escalation they ended is closed, one they (re)started
    is active."""
    escalation.step_index = position.step_index
    escalation.round = position.round
    escalation.step_started_at = position.step_started_at
    escalation.next_at = position.next_at
    escalation.updated_at = now
    if position.status == EscalationStatus.ACTIVE:
        escalation.status = EscalationStatus.ACTIVE.value
        escalation.ended_at = None
    else:
        close(escalation, position.status, now)


def close(escalation: Escalation, status: EscalationStatus, now: datetime) -> None:
    escalation.status = status.value
    escalation.next_at = None
    escalation.ended_at = now
    escalation.updated_at = now


_END_ESCALATION = (
    update(Escalation)
    .where(Escalation.alert_id == bindparam("of_alert"), Escalation.status.in_(WAKING))
    .values(
        status=bindparam("ended_as"),
        next_at=None,
        ended_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
    .execution_options(synchronize_session=False)
)


def stop_paging(
    session: Session,
    *,
    alert_id: str,
    status: AlertStatus,
    now: datetime,
    except_attempt_id: str | None = None,
) -> int:
    """The alert was acknowledged or resolved: cancel its calls that no worker holds, end its
    escalation, and have its calls in progress hung up (all but `except_attempt_id`, the call
    whose key did it, which says so and hangs up by itself)."""
    outcome = JobOutcome.ACKNOWLEDGED if status == AlertStatus.ACKNOWLEDGED else JobOutcome.RESOLVED
    # The escalation first: a worker moving it on holds its row while it queues the next
    # step's calls, so this waits for that worker's commit, and the cancelling below (a new
    # statement, which sees what was committed meanwhile on PostgreSQL) takes those calls too.
    run(
        session,
        _END_ESCALATION,
        {"of_alert": alert_id, "ended_as": ended_by(status).value, "now": now},
    )
    cancelled = cancel_pending_calls(session, alert_id=alert_id, now=now, outcome=outcome)
    request_hangups(session, alert_id=alert_id, now=now, except_attempt_id=except_attempt_id)
    return cancelled
