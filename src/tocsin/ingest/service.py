"""Accepting an alert: the alert, its call jobs and the audit event in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tocsin.delivery.jobs import cancel_pending_calls, enqueue_calls
from tocsin.endpoints.models import Endpoint
from tocsin.endpoints.service import endpoint_contacts
from tocsin.ids import new_id
from tocsin.ingest.models import Alert, AlertStatus
from tocsin.ingest.parse import ParsedAlert, dedup_key_for
from tocsin.ingest.severity import Severity
from tocsin.routing.targets import select_targets
from tocsin.trust import audit
from tocsin.trust.audit import Actor


class Outcome(StrEnum):
    CREATED = "created"
    DEDUPLICATED = "deduplicated"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class IngestResult:
    alert_id: str
    outcome: Outcome
    calls_queued: int
    calls_cancelled: int = 0


def _open_alert(session: Session, endpoint_id: str, dedup_key: str) -> Alert | None:
    return session.scalar(
        select(Alert)
        .where(Alert.endpoint_id == endpoint_id, Alert.open_dedup_key == dedup_key)
        .with_for_update()
    )


def accept_alert(
    session: Session, *, endpoint: Endpoint, parsed: ParsedAlert, actor: Actor, now: datetime
) -> IngestResult:
    dedup_key = dedup_key_for(endpoint.id, parsed)
    if parsed.severity == Severity.RESOLVED:
        return _resolve(
            session, endpoint=endpoint, parsed=parsed, dedup_key=dedup_key, actor=actor, now=now
        )

    existing = _open_alert(session, endpoint.id, dedup_key)
    if existing is None:
        alert = _new_alert(endpoint, parsed, dedup_key, now, status=AlertStatus.OPEN)
        try:
            with session.begin_nested():
                session.add(alert)
        except IntegrityError:
            # Another request created the same open alert between our read and our insert.
            existing = _open_alert(session, endpoint.id, dedup_key)
            if existing is None:
                raise
    if existing is not None:
        existing.repeat_count += 1
        existing.last_received_at = now
        audit.record(
            session,
            actor=actor,
            action="alert.repeated",
            at=now,
            org_id=endpoint.org_id,
            target_type="alert",
            target_id=existing.id,
            details={"repeat_count": existing.repeat_count},
        )
        return IngestResult(existing.id, Outcome.DEDUPLICATED, calls_queued=0)

    targets = select_targets(endpoint.routing, endpoint_contacts(session, endpoint.id))
    jobs = enqueue_calls(
        session, org_id=endpoint.org_id, alert_id=alert.id, contacts=targets, now=now
    )
    audit.record(
        session,
        actor=actor,
        action="alert.received",
        at=now,
        org_id=endpoint.org_id,
        target_type="alert",
        target_id=alert.id,
        details={
            "endpoint_id": endpoint.id,
            "severity": parsed.severity.value,
            "calls_queued": len(jobs),
        },
    )
    return IngestResult(alert.id, Outcome.CREATED, calls_queued=len(jobs))


def _new_alert(
    endpoint: Endpoint, parsed: ParsedAlert, dedup_key: str, now: datetime, *, status: AlertStatus
) -> Alert:
    is_open = status != AlertStatus.RESOLVED
    return Alert(
        id=new_id("al"),
        org_id=endpoint.org_id,
        endpoint_id=endpoint.id,
        dedup_key=dedup_key,
        open_dedup_key=dedup_key if is_open else None,
        status=status,
        severity=parsed.severity,
        title=parsed.title,
        message=parsed.message,
        payload=parsed.payload,
        content_type=parsed.content_type,
        repeat_count=0,
        received_at=now,
        last_received_at=now,
        resolved_at=None if is_open else now,
        resolved_by=None if is_open else "source",
    )


def _resolve(
    session: Session,
    *,
    endpoint: Endpoint,
    parsed: ParsedAlert,
    dedup_key: str,
    actor: Actor,
    now: datetime,
) -> IngestResult:
    alert = _open_alert(session, endpoint.id, dedup_key)
    if alert is None:
        # Nothing open to resolve; keep the event anyway so the timeline shows it arrived.
        alert = _new_alert(endpoint, parsed, dedup_key, now, status=AlertStatus.RESOLVED)
        session.add(alert)
        cancelled = 0
    else:
        resolve_alert(alert, now=now, by="source")
        cancelled = cancel_pending_calls(session, alert_id=alert.id, now=now, reason="resolved")
    audit.record(
        session,
        actor=actor,
        action="alert.resolved",
        at=now,
        org_id=endpoint.org_id,
        target_type="alert",
        target_id=alert.id,
        details={"by": "source", "calls_cancelled": cancelled},
    )
    return IngestResult(alert.id, Outcome.RESOLVED, calls_queued=0, calls_cancelled=cancelled)


def resolve_alert(alert: Alert, *, now: datetime, by: str) -> None:
    alert.status = AlertStatus.RESOLVED
    alert.open_dedup_key = None
    alert.resolved_at = now
    alert.resolved_by = by


def acknowledge_alert(alert: Alert, *, now: datetime, by: str) -> bool:
    """Returns False when there was nothing to acknowledge."""
    if alert.status != AlertStatus.OPEN:
        return False
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by = by
    return True
