"""Acknowledging and resolving alerts: the one way an alert closes, whoever closes it.

Reading them is `paging.queries`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict
from tocsin.db.locks import Lock, lock_clause, note_locked
from tocsin.outgoing.events import alert_changed
from tocsin.outgoing.models import AlertEvent
from tocsin.paging.escalation import stop_paging
from tocsin.paging.models import Alert, AlertStatus
from tocsin.paging.queries import get_alert


def acknowledge(
    session: Session,
    *,
    org_id: str,
    alert_id: str,
    actor: Actor,
    now: datetime,
    within_endpoint: str | None = None,
) -> Alert:
    """Acknowledge an open alert; Conflict `alert_not_open` when it is not (another closer got
    there first, or it is resolved), which changes nothing. `within_endpoint`: see
    `queries.get_alert`."""
    alert = get_alert(session, org_id=org_id, alert_id=alert_id, within_endpoint=within_endpoint)
    if close(session, alert, AlertStatus.ACKNOWLEDGED, actor=actor, now=now) is None:
        raise Conflict(f"alert is {alert.status}, not open", code="alert_not_open")
    return alert


def resolve(
    session: Session,
    *,
    org_id: str,
    alert_id: str,
    actor: Actor,
    now: datetime,
    within_endpoint: str | None = None,
) -> Alert:
    """Resolve an alert, open or acknowledged; Conflict `alert_resolved` when it is resolved
    already, which changes nothing."""
    alert = get_alert(session, org_id=org_id, alert_id=alert_id, within_endpoint=within_endpoint)
    if close(session, alert, AlertStatus.RESOLVED, actor=actor, now=now) is None:
        raise Conflict("alert is already resolved", code="alert_resolved")
    return alert


_CLOSED = {
    AlertStatus.ACKNOWLEDGED: AuditAction.ALERT_ACKNOWLEDGED,
    AlertStatus.RESOLVED: AuditAction.ALERT_RESOLVED,
}


def close(
    session: Session,
    alert: Alert,
    to: AlertStatus,
    *,
    actor: Actor,
    now: datetime,
    by: str | None = None,
    details: dict[str, Any] | None = None,
    except_attempt_id: str | None = None,
    member_id: str | None = None,
    locked: bool = False,
) -> int | None:
    """Acknowledge or resolve an alert: its state, its paging stopped, and its audit event, in
    the caller's transaction. The one way an alert closes, whoever closes it: the API, the
    dashboard, the shell, a callee's key or the sender itself.

    Returns how many pending calls were cancelled, or None when the alert was already there
    (acknowledging one that is not open, resolving one that is resolved): nothing changed.
    `except_attempt_id` is the call the callee is on, which finishes by itself. `member_id` is
    the person who did it when the actor is not one (a key pressed on a member's number); a
    signed-in user is their own. `locked`: the caller read the alert in this transaction
    under the lock `_lock` takes, so it is not read again.

    Closers take turns on the alert's row: of two at once, the second waits for the first to
    commit and decides on what it left, so a resolve is never overwritten by an acknowledgement
    read before it, and of many acknowledgements one changes the alert and is audited.
    """
    if not locked:
        _lock(session, alert)
    by = by or f"{actor.type}:{actor.id}"
    if member_id is None and actor.type == "user":
        member_id = actor.id
    if to == AlertStatus.ACKNOWLEDGED:
        if alert.status != AlertStatus.OPEN:
            return None
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_at, alert.acknowledged_by = now, by
        alert.acknowledged_user_id = member_id
    elif to == AlertStatus.RESOLVED:
        if alert.status == AlertStatus.RESOLVED:
            return None
        alert.status = AlertStatus.RESOLVED
        alert.open_dedup_key = None
        alert.resolved_at, alert.resolved_by = now, by
        alert.resolved_user_id = member_id
    else:
        raise ValueError(f"an alert closes as acknowledged or resolved, not {to}")
    cancelled = stop_paging(
        session, alert_id=alert.id, status=to, now=now, except_attempt_id=except_attempt_id
    )
    if member_id is not None and actor.type != "user":
        # A user's own event names them as its actor already.
        details = {**(details or {}), "member_id": member_id}
    _record_closed(session, alert, to, actor=actor, now=now, details=details, cancelled=cancelled)
    alert_changed(session, org_id=alert.org_id, alert=alert, event=AlertEvent(to.value), now=now)
    return cancelled


# The lock `close` takes on the alert's row (see `_lock`), for a caller that reads it itself.
CLOSER_LOCK = Lock.NO_KEY_UPDATE


def _lock(session: Session, alert: Alert) -> None:
    """Re-read the alert under its row lock (PostgreSQL; SQLite's writers already take turns
    from BEGIN IMMEDIATE); every caller has read it before, unlocked or not.

    The lock is the one an UPDATE of the row takes (FOR NO KEY UPDATE): it waits for other
    closers and for workers reading the alert under a shared lock to dial or to settle a call
    (`engine.dial_facts`, `paging.settle`), but not for transactions that only insert rows
    pointing at the alert, such as a worker writing the next step's calls while it holds the
    escalation this close ends next."""
    session.flush()
    session.refresh(alert, with_for_update=lock_clause(CLOSER_LOCK))
    note_locked(session, alert, Alert, alert.id, CLOSER_LOCK)


def arrived_closed(
    session: Session, alert: Alert, *, actor: Actor, now: datetime, details: dict[str, Any]
) -> None:
    """The audit event of an alert whose sender acknowledged or resolved an incident Tocsin had
    no open alert for: nothing to stop, but the timeline shows it arrived."""
    _record_closed(
        session,
        alert,
        AlertStatus(alert.status),
        actor=actor,
        now=now,
        details=details,
        cancelled=0,
    )


def _record_closed(
    session: Session,
    alert: Alert,
    to: AlertStatus,
    *,
    actor: Actor,
    now: datetime,
    details: dict[str, Any] | None,
    cancelled: int,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=_CLOSED[to],
        at=now,
        org_id=alert.org_id,
        target_type="alert",
        target_id=alert.id,
        details={**(details or {}), "calls_cancelled": cancelled},
    )
