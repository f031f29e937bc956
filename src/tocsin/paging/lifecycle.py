"""Reading alerts and acting on them from the API or CLI."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.models import AuditEvent
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput, NotFound
from tocsin.core.pagination import Page, paginate
from tocsin.intake.accept import acknowledge_alert, resolve_alert
from tocsin.paging.escalation import stop_paging
from tocsin.paging.models import (
    OPEN_JOB_STATUSES,
    Alert,
    AlertStatus,
    CallAttempt,
    CallJob,
    Escalation,
)


def get_alert(session: Session, *, org_id: str, alert_id: str) -> Alert:
    alert = session.scalar(select(Alert).where(Alert.id == alert_id, Alert.org_id == org_id))
    if alert is None:
        raise NotFound("alert not found", code="alert_not_found")
    return alert


def list_alerts(
    session: Session,
    *,
    org_id: str,
    limit: int,
    cursor: str | None,
    status: str | None = None,
    endpoint_id: str | None = None,
) -> Page[Alert]:
    query = select(Alert).where(Alert.org_id == org_id)
    if status is not None:
        try:
            query = query.where(Alert.status == AlertStatus(status).value)
        except ValueError as exc:
            raise InvalidInput(
                "status must be open, acknowledged or resolved", code="invalid_status"
            ) from exc
    if endpoint_id is not None:
        query = query.where(Alert.endpoint_id == endpoint_id)
    return paginate(session, query, Alert.id, limit=limit, cursor=cursor, newest_first=True)


def attempts_of(session: Session, alert_id: str) -> list[CallAttempt]:
    return list(
        session.scalars(
            select(CallAttempt)
            .where(CallAttempt.alert_id == alert_id)
            .order_by(CallAttempt.created_at, CallAttempt.attempt_no)
        )
    )


def escalation_of(session: Session, alert_id: str) -> Escalation | None:
    return session.scalar(select(Escalation).where(Escalation.alert_id == alert_id))


def jobs_of(session: Session, alert_id: str) -> list[CallJob]:
    return list(
        session.scalars(
            select(CallJob)
            .where(CallJob.alert_id == alert_id)
            .order_by(CallJob.created_at, CallJob.id)
        )
    )


def next_attempt_at(job: CallJob) -> datetime | None:
    """When the job's next call is due; None once it has settled."""
    return job.run_at if job.status in OPEN_JOB_STATUSES else None


def timeline_of(session: Session, alert: Alert) -> list[AuditEvent]:
    """Every recorded step of an alert: received, attempts, keypresses, acknowledgement."""
    attempt_ids = [attempt.id for attempt in attempts_of(session, alert.id)]
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.org_id == alert.org_id,
                or_(
                    (AuditEvent.target_type == "alert") & (AuditEvent.target_id == alert.id),
                    (AuditEvent.target_type == "call_attempt")
                    & AuditEvent.target_id.in_(attempt_ids),
                ),
            )
            .order_by(AuditEvent.id)
        )
    )


def acknowledge(
    session: Session, *, org_id: str, alert_id: str, actor: Actor, now: datetime
) -> Alert:
    alert = get_alert(session, org_id=org_id, alert_id=alert_id)
    if not acknowledge_alert(alert, now=now, by=f"{actor.type}:{actor.id}"):
        raise Conflict(f"alert is {alert.status}, not open", code="alert_not_open")
    cancelled = stop_paging(session, alert_id=alert.id, status=AlertStatus.ACKNOWLEDGED, now=now)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ALERT_ACKNOWLEDGED,
        at=now,
        org_id=org_id,
        target_type="alert",
        target_id=alert.id,
        details={"calls_cancelled": cancelled},
    )
    return alert


def resolve(session: Session, *, org_id: str, alert_id: str, actor: Actor, now: datetime) -> Alert:
    alert = get_alert(session, org_id=org_id, alert_id=alert_id)
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict("alert is already resolved", code="alert_resolved")
    resolve_alert(alert, now=now, by=f"{actor.type}:{actor.id}")
    cancelled = stop_paging(session, alert_id=alert.id, status=AlertStatus.RESOLVED, now=now)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ALERT_RESOLVED,
        at=now,
        org_id=org_id,
        target_type="alert",
        target_id=alert.id,
        details={"calls_cancelled": cancelled},
    )
    return alert
