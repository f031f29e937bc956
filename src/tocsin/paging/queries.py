"""Reading alerts: the list, one alert with its escalation, calls and timeline, and the rows of
the dashboard's alerts table. Read-only; what changes an alert is in `paging.lifecycle`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.accounts.models import User
from tocsin.audit import trail
from tocsin.audit.trail import AuditEvent
from tocsin.contacts.models import Contact
from tocsin.core.errors import InvalidInput, NotFound
from tocsin.core.pagination import Page, paginate
from tocsin.endpoints.models import Endpoint
from tocsin.paging.models import (
    OPEN_JOB_STATUSES,
    Alert,
    AlertStatus,
    CallAttempt,
    CallJob,
    Escalation,
    EscalationStatus,
)


def get_alert(
    session: Session, *, org_id: str, alert_id: str, within_endpoint: str | None = None
) -> Alert:
    """The organization's alert; with `within_endpoint` (an endpoint-bound key's endpoint),
    only if it came to that endpoint: an alert of another is not found, as if it did not exist."""
    query = select(Alert).where(Alert.id == alert_id, Alert.org_id == org_id)
    if within_endpoint is not None:
        query = query.where(Alert.endpoint_id == within_endpoint)
    alert = session.scalar(query)
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
    within_endpoint: str | None = None,
) -> Page[Alert]:
    """The organization's alerts, newest first; `endpoint_id` is the caller's filter,
    `within_endpoint` the one endpoint an endpoint-bound key may see at most."""
    query = select(Alert).where(Alert.org_id == org_id)
    if within_endpoint is not None:
        query = query.where(Alert.endpoint_id == within_endpoint)
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


def get_attempt(session: Session, *, org_id: str, attempt_id: str) -> CallAttempt:
    attempt = session.scalar(
        select(CallAttempt).where(CallAttempt.id == attempt_id, CallAttempt.org_id == org_id)
    )
    if attempt is None:
        raise NotFound("call not found", code="call_not_found")
    return attempt


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
    return trail.about_any(
        session, org_id=alert.org_id, targets={"alert": [alert.id], "call_attempt": attempt_ids}
    )


def closers(session: Session, alert: Alert) -> dict[str, str]:
    """Display names of the members who acknowledged and resolved the alert, by user id."""
    ids = {i for i in (alert.acknowledged_user_id, alert.resolved_user_id) if i is not None}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {user_id: name or user_id for user_id, name in rows}


def people_named(
    session: Session, *, org_id: str, user_ids: set[str], contact_ids: set[str]
) -> dict[str, str]:
    """Names for the ids an alert's page would otherwise show raw: members by display name (or
    e-mail address when they gave none), the organization's contacts by name."""
    names: dict[str, str] = {}
    if user_ids:
        rows = session.execute(
            select(User.id, User.display_name, User.email).where(User.id.in_(user_ids))
        )
        names.update({user_id: (shown or "").strip() or email for user_id, shown, email in rows})
    if contact_ids:
        contacts = session.execute(
            select(Contact.id, Contact.name).where(
                Contact.org_id == org_id, Contact.id.in_(contact_ids)
            )
        )
        names.update({contact_id: name for contact_id, name in contacts})
    return names


def endpoint_name(session: Session, alert: Alert) -> str:
    """The name of the endpoint the alert came in on; its id once the endpoint is deleted."""
    name = session.scalar(select(Endpoint.name).where(Endpoint.id == alert.endpoint_id))
    return name if name is not None else alert.endpoint_id


@dataclass(frozen=True)
class AlertRow:
    alert: Alert
    endpoint_name: str
    calls: int
    # The escalation ran every step and nobody answered, while the alert is still open.
    exhausted: bool = False
    # A maintenance window muted it, and paging still waits for the window's end.
    muted: bool = False


def alert_rows(session: Session, page: Page[Alert]) -> list[AlertRow]:
    """A page of alerts as the dashboard's table shows them: with their endpoint's name, their
    number of calls and whether nobody answered."""
    ids = [alert.id for alert in page.items]
    endpoint_ids = {alert.endpoint_id for alert in page.items}
    # Three grouped queries for the page, not three per alert.
    names = {
        endpoint_id: name
        for endpoint_id, name in session.execute(
            select(Endpoint.id, Endpoint.name).where(Endpoint.id.in_(endpoint_ids))
        )
    }
    calls = {
        alert_id: count
        for alert_id, count in session.execute(
            select(CallAttempt.alert_id, func.count(CallAttempt.id))
            # The list's "calls" column counts calls; texts and e-mails are on the alert's page.
            .where(CallAttempt.alert_id.in_(ids), CallAttempt.channel == "voice")
            .group_by(CallAttempt.alert_id)
        )
    }
    resting = {
        alert_id: status
        for alert_id, status in session.execute(
            select(Escalation.alert_id, Escalation.status).where(
                Escalation.alert_id.in_(ids),
                Escalation.status.in_((EscalationStatus.EXHAUSTED, EscalationStatus.MUTED)),
            )
        )
    }
    return [
        AlertRow(
            alert,
            names.get(alert.endpoint_id, alert.endpoint_id),
            calls.get(alert.id, 0),
            exhausted=resting.get(alert.id) == EscalationStatus.EXHAUSTED
            and alert.status == AlertStatus.OPEN,
            muted=resting.get(alert.id) == EscalationStatus.MUTED,
        )
        for alert in page.items
    ]
