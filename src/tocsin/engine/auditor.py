"""The escalation auditor: finds escalations that nothing is moving, mends what is safe, reports.

Every worker runs it once a minute (on PostgreSQL one at a time, under an advisory lock), and
`tocsin engine audit` runs it on demand. What it looks for:

- `alert_closed`: an escalation still active although its alert was acknowledged or resolved.
  Mended: the escalation is ended.
- `stalled`: an active call step with no open job and nothing scheduled, which no worker would
  ever look at again. Mended: the escalation is made due, and the next worker advances it.
- `overdue`: an escalation due for longer than `stuck_after`: no worker is advancing them.
- `job_overdue`: a call due for longer than `stuck_after`, or held by a lease that expired that
  long ago: no worker is placing calls.
- `job_failing`: a call a worker failed on twice or more with an error of its own (a template or
  payload it cannot handle, a bug): its owners are told once, the timeline already says why.

The first two should never happen; finding one means a bug, which is why each is written to the
audit log as well as logged. The last two mean workers are down or far behind; they are logged
on every pass while they last.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select, text
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.paging.escalation import ENGINE, WAKING, close, ended_by, poke
from tocsin.paging.models import (
    OPEN_JOB_STATUSES,
    Alert,
    AlertStatus,
    CallJob,
    Escalation,
    EscalationStatus,
    JobStatus,
)

log = logging.getLogger(__name__)

STUCK_AFTER = timedelta(minutes=5)
# A call failed on this often by a worker's own error is reported.
REPEATED_FAILURES = 2
# A step whose last job just settled is poked in the same transaction; only one that has sat
# unpoked this long is suspicious.
STALL_GRACE = timedelta(minutes=1)
_AUDITOR_LOCK = 0x70C518
_MENDED = {"alert_closed", "stalled"}


@dataclass(frozen=True)
class Finding:
    kind: str
    alert_id: str
    org_id: str
    escalation_id: str | None
    detail: str


def find_stuck(
    session: Session, *, now: datetime, stuck_after: timedelta = STUCK_AFTER
) -> list[Finding]:
    findings: list[Finding] = []
    active = Escalation.status == EscalationStatus.ACTIVE
    # A muted escalation waits for its window's end: not stalled, but as overdue as any once
    # that end has passed unnoticed.
    waking = Escalation.status.in_(WAKING)
    closed = session.execute(
        select(Escalation.id, Escalation.alert_id, Escalation.org_id, Alert.status)
        .join(Alert, Alert.id == Escalation.alert_id)
        .where(waking, Alert.status != AlertStatus.OPEN)
    )
    findings += [
        Finding("alert_closed", alert_id, org_id, escalation_id, f"alert is {status}")
        for escalation_id, alert_id, org_id, status in closed
    ]
    open_job_in_step = exists().where(
        CallJob.escalation_id == Escalation.id,
        CallJob.step_index == Escalation.step_index,
        CallJob.round == Escalation.round,
        CallJob.status.in_(OPEN_JOB_STATUSES),
    )
    stalled = session.execute(
        select(Escalation.id, Escalation.alert_id, Escalation.org_id, Escalation.step_index)
        .join(Alert, Alert.id == Escalation.alert_id)
        .where(
            active,
            Alert.status == AlertStatus.OPEN,
            Escalation.next_at.is_(None),
            Escalation.updated_at < now - STALL_GRACE,
            ~open_job_in_step,
        )
    )
    findings += [
        Finding("stalled", alert_id, org_id, escalation_id, f"step {step + 1} has nothing left")
        for escalation_id, alert_id, org_id, step in stalled
    ]
    overdue = session.execute(
        select(Escalation.id, Escalation.alert_id, Escalation.org_id, Escalation.next_at).where(
            waking, Escalation.next_at < now - stuck_after
        )
    )
    findings += [
        Finding("overdue", alert_id, org_id, escalation_id, f"due since {due:%Y-%m-%d %H:%M:%S}Z")
        for escalation_id, alert_id, org_id, due in overdue
    ]
    late = session.execute(
        select(CallJob.id, CallJob.alert_id, CallJob.org_id, CallJob.escalation_id, CallJob.status)
        .where(
            or_(
                and_(
                    CallJob.status.in_((JobStatus.PENDING, JobStatus.AWAITING)),
                    CallJob.run_at < now - stuck_after,
                ),
                and_(
                    CallJob.status == JobStatus.LEASED,
                    CallJob.lease_expires_at < now - stuck_after,
                ),
            )
        )
        .limit(1000)
    )
    findings += [
        Finding("job_overdue", alert_id, org_id, escalation_id, f"call {job_id} is {status}")
        for job_id, alert_id, org_id, escalation_id, status in late
    ]
    failing = session.execute(
        select(
            CallJob.id,
            CallJob.alert_id,
            CallJob.org_id,
            CallJob.escalation_id,
            CallJob.failures,
            CallJob.last_error,
        )
        .where(CallJob.status.in_(OPEN_JOB_STATUSES), CallJob.failures >= REPEATED_FAILURES)
        .limit(1000)
    )
    findings += [
        Finding(
            "job_failing",
            alert_id,
            org_id,
            escalation_id,
            f"call {job_id} failed {failures} times: {error}",
        )
        for job_id, alert_id, org_id, escalation_id, failures, error in failing
    ]
    return findings


def audit_and_report(
    session: Session, *, now: datetime, stuck_after: timedelta = STUCK_AFTER
) -> list[Finding]:
    """Find, mend what is safe to mend, and report. Returns everything found; on PostgreSQL an
    empty list when another process is auditing at this moment."""
    if session.get_bind().dialect.name == "postgresql":
        taken = session.scalar(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": _AUDITOR_LOCK})
        if not taken:
            return []
    findings = find_stuck(session, now=now, stuck_after=stuck_after)
    for finding in findings:
        log.warning(
            "escalation auditor: %s: alert %s (%s)", finding.kind, finding.alert_id, finding.detail
        )
        if finding.kind == "job_failing":
            _tell_failing(session, finding, now)
        if finding.kind not in _MENDED:
            continue
        if finding.kind == "alert_closed":
            _end(session, finding, now)
        else:
            poke(session, escalation_id=finding.escalation_id, now=now)
        audit.record(
            session,
            actor=ENGINE,
            action=AuditAction.ESCALATION_STUCK,
            at=now,
            org_id=finding.org_id,
            target_type="alert",
            target_id=finding.alert_id,
            details={**asdict(finding), "mended": True},
        )
    return findings


def _tell_failing(session: Session, finding: Finding, now: datetime) -> None:
    """Once per call: the owners learn that a page is not going out, and why."""
    job_id = finding.detail.split()[1]
    told = tell_owners(
        session,
        org_id=finding.org_id,
        kind="call_failing",
        period=job_id,
        message=(
            f"A call about an alert keeps failing and is not being placed ({finding.detail}). "
            "Tocsin tries it again every few minutes; check the alert's timeline."
        ),
        now=now,
        actor=ENGINE,
        details={"alert_id": finding.alert_id, "job_id": job_id},
    )
    if told:
        audit.record(
            session,
            actor=ENGINE,
            action=AuditAction.CALL_FAILING,
            at=now,
            org_id=finding.org_id,
            target_type="alert",
            target_id=finding.alert_id,
            details={"job_id": job_id, "detail": finding.detail[:300]},
        )


def _end(session: Session, finding: Finding, now: datetime) -> None:
    escalation = session.get(Escalation, finding.escalation_id, with_for_update=True)
    if escalation is not None and escalation.status in WAKING:
        alert = session.get(Alert, finding.alert_id)
        close(escalation, ended_by(alert.status if alert is not None else None), now)
