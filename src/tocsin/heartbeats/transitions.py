"""The one place a monitor takes a change (states.py) and with it opens or resolves its alert.

Going down opens ONE alert through the ordinary intake command (`intake.accept.accept_alert`)
on the monitor's endpoint, whose rules and contacts route it; its dedup key is the monitor's, so
even a second opening would find the first. A monitor whose alert is still open opens none. A
good ping resolves the alert through `paging.lifecycle.close`, as the sender's own resolve does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.endpoints.queries import find_route
from tocsin.formats.known import Source
from tocsin.formats.parse import ParsedAlert
from tocsin.formats.severity import Severity
from tocsin.heartbeats.models import DownReason, HeartbeatMonitor, MonitorState
from tocsin.heartbeats.queries import alert_open
from tocsin.heartbeats.states import Change
from tocsin.intake.accept import accept_alert
from tocsin.intake.refusals import Refusal, record_refusal
from tocsin.paging import lifecycle
from tocsin.paging.models import Alert, AlertStatus
from tocsin.restrictions.blocks import ingest_block
from tocsin.routing.steps import DEFAULT_PAGING, PagingDefaults


def dedup_key(heartbeat_id: str) -> str:
    return f"heartbeat:{heartbeat_id}"


def apply(
    session: Session,
    monitor: HeartbeatMonitor,
    change: Change,
    *,
    actor: Actor,
    now: datetime,
    paging: PagingDefaults = DEFAULT_PAGING,
) -> str | None:
    """Write the change; open or resolve the alert it calls for. Returns the id of the alert
    it opened or found open, if it went down."""
    was = MonitorState(monitor.state)
    monitor.state = change.state.value
    monitor.down_reason = change.down_reason.value if change.down_reason else None
    monitor.run_started_at = change.run_started_at
    monitor.next_due_at = change.next_due_at
    monitor.alert_at = change.alert_at
    monitor.updated_at = now
    if change.closes:
        _come_up(session, monitor, was, actor=actor, now=now)
    if change.opens is not None:
        return _go_down(session, monitor, change, change.opens, actor=actor, now=now, paging=paging)
    return None


def _come_up(
    session: Session, monitor: HeartbeatMonitor, was: MonitorState, *, actor: Actor, now: datetime
) -> None:
    alert = session.get(Alert, monitor.alert_id) if monitor.alert_id else None
    monitor.alert_id = None
    resolved = False
    if alert is not None:
        resolved = (
            lifecycle.close(
                session,
                alert,
                AlertStatus.RESOLVED,
                actor=actor,
                now=now,
                by="source",
                details={"by": "source", "heartbeat_id": monitor.id},
            )
            is not None
        )
    if was == MonitorState.DOWN or resolved:
        audit.record(
            session,
            actor=actor,
            action=AuditAction.HEARTBEAT_UP,
            at=now,
            org_id=monitor.org_id,
            target_type="heartbeat",
            target_id=monitor.id,
            details={"alert_id": alert.id if alert is not None else None, "resolved": resolved},
        )


def _go_down(
    session: Session,
    monitor: HeartbeatMonitor,
    change: Change,
    reason: DownReason,
    *,
    actor: Actor,
    now: datetime,
    paging: PagingDefaults,
) -> str | None:
    details: dict[str, Any] = {"reason": reason.value, "expected_at": _iso(change.expected_at)}
    if alert_open(session, monitor):
        # Told already: the alert it opened before is still open.
        details["alert_id"] = monitor.alert_id
        _record_down(session, monitor, actor=actor, now=now, details=details)
        return monitor.alert_id
    endpoint = find_route(session, monitor.endpoint_id)
    if endpoint is None:
        raise LookupError(f"heartbeat {monitor.id} has no endpoint")  # deleted with it, by FK
    block = ingest_block(session, org_id=monitor.org_id, endpoint_id=endpoint.id, now=now)
    if block is not None:
        # Refused as the endpoint's webhook would be, and on the record as its refusals are:
        # the owners hear that an alert was refused.
        refusal = Refusal(monitor.org_id, endpoint.id, actor, block.refusal())
        record_refusal(session, refusal, count=1, now=now)
        details["refused"] = block.code
        _record_down(session, monitor, actor=actor, now=now, details=details)
        return None
    result = accept_alert(
        session,
        endpoint=endpoint,
        parsed=missed_alert(monitor, change, now),
        actor=actor,
        now=now,
        paging=paging,
    )
    monitor.alert_id = result.alert_id
    details["alert_id"] = result.alert_id
    _record_down(session, monitor, actor=actor, now=now, details=details)
    return result.alert_id


def _record_down(
    session: Session,
    monitor: HeartbeatMonitor,
    *,
    actor: Actor,
    now: datetime,
    details: dict[str, Any],
) -> None:
    audit.record(
        session,
        actor=actor,
        action=AuditAction.HEARTBEAT_DOWN,
        at=now,
        org_id=monitor.org_id,
        target_type="heartbeat",
        target_id=monitor.id,
        details=details,
    )


def missed_alert(monitor: HeartbeatMonitor, change: Change, now: datetime) -> ParsedAlert:
    """The alert of a monitor going down, worded to be read aloud."""
    reason = change.opens or DownReason.MISSED
    zone = ZoneInfo(monitor.timezone)
    name = monitor.name
    if reason == DownReason.FAILED:
        title = f'Heartbeat "{name}" failed at {_clock(now, zone)}'
        message = "The job reported a failure."
    elif reason == DownReason.RUN_TOO_LONG:
        started = _clock(change.run_started_at, zone) if change.run_started_at else "unknown"
        title = (
            f'Heartbeat "{name}" ran too long: started {started}, '
            f"not finished by {_clock(change.expected_at, zone)}"
        )
        message = ""
    else:
        title = f'Heartbeat "{name}" missed: expected by {_clock(change.expected_at, zone)}'
        message = (
            f"The last ping came at {monitor.last_ping_at.astimezone(zone):%Y-%m-%d %H:%M %Z}."
            if monitor.last_ping_at
            else "No ping has come."
        )
    payload = {
        "heartbeat": {
            "id": monitor.id,
            "name": name,
            "expected_at": _iso(change.expected_at),
            "last_ping_at": _iso(monitor.last_ping_at),
            "reason": reason.value,
        }
    }
    return ParsedAlert(
        title=title,
        message=message,
        severity=Severity(monitor.severity),
        dedup_key=dedup_key(monitor.id),
        payload=payload,
        content_type="json",
        source=Source.HEARTBEAT,
    )


def _clock(instant: datetime | None, zone: ZoneInfo) -> str:
    return "unknown" if instant is None else f"{instant.astimezone(zone):%H:%M %Z}"


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant is not None else None
