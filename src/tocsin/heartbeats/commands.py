"""What people do to heartbeat monitors: make, change, pause, resume, rotate the key of and
delete them, the one way the API, the dashboard and the shell all use. Each command checks,
changes and audits inside the caller's transaction and never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import Forbidden, InvalidInput
from tocsin.core.ids import new_id
from tocsin.core.names import clean_name
from tocsin.endpoints.models import Endpoint
from tocsin.endpoints.queries import get_endpoint
from tocsin.formats.severity import Severity
from tocsin.heartbeats import states, transitions
from tocsin.heartbeats.keys import new_key
from tocsin.heartbeats.models import HeartbeatMonitor, MonitorState
from tocsin.heartbeats.queries import get_monitor, plan_of, snapshot_of
from tocsin.heartbeats.schedule import Plan, checked_plan
from tocsin.heartbeats.states import Change
from tocsin.oncall.projects import require_project_editor
from tocsin.restrictions.blocks import require_writable

# Each monitor is a row the worker may look at every round: enough for any real organization.
MAX_MONITORS = 1000
SEVERITIES = (Severity.CRITICAL, Severity.MAJOR, Severity.MINOR, Severity.INFO)


@dataclass(frozen=True)
class MonitorWithKey:
    monitor: HeartbeatMonitor
    # Shown to whoever made or rotated the key this once; only its digest is stored.
    key: str


def create_monitor(
    session: Session,
    *,
    org_id: str,
    endpoint_id: str,
    name: str,
    grace_seconds: int,
    actor: Actor,
    now: datetime,
    digest_key: bytes,
    interval_seconds: int | None = None,
    cron: str | None = None,
    timezone: str = "UTC",
    max_runtime_seconds: int | None = None,
    severity: str = Severity.CRITICAL.value,
) -> MonitorWithKey:
    """A monitor of the organization, new (it expects nothing until its first ping), whose
    alerts go to `endpoint_id`."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    endpoint = _endpoint(session, org_id=org_id, endpoint_id=endpoint_id, actor=actor)
    plan = checked_plan(
        interval_seconds=interval_seconds,
        cron=cron,
        timezone=timezone,
        grace_seconds=grace_seconds,
        max_runtime_seconds=max_runtime_seconds,
    )
    count = session.scalar(
        select(func.count()).select_from(HeartbeatMonitor).where(HeartbeatMonitor.org_id == org_id)
    )
    if (count or 0) >= MAX_MONITORS:
        raise Forbidden(
            f"an organization has at most {MAX_MONITORS} heartbeats; delete one first",
            code="too_many_heartbeats",
        )
    key = new_key(digest_key)
    monitor = HeartbeatMonitor(
        id=new_id("hb"),
        org_id=org_id,
        endpoint_id=endpoint.id,
        name=clean_name(name),
        severity=_severity(severity),
        key_prefix=key.prefix,
        key_digest=key.digest,
        paused=False,
        state=MonitorState.NEW.value,
        created_at=now,
        updated_at=now,
        **_plan_columns(plan),
    )
    session.add(monitor)
    session.flush()
    _record(session, monitor, AuditAction.HEARTBEAT_CREATED, actor, now, _described(monitor))
    return MonitorWithKey(monitor, key.plaintext)


def update_monitor(
    session: Session,
    *,
    org_id: str,
    heartbeat_id: str,
    actor: Actor,
    now: datetime,
    name: str | None = None,
    endpoint_id: str | None = None,
    interval_seconds: int | None = None,
    cron: str | None = None,
    timezone: str | None = None,
    grace_seconds: int | None = None,
    max_runtime_seconds: int | None = None,
    clear_max_runtime: bool = False,
    severity: str | None = None,
) -> HeartbeatMonitor:
    """Change what is given. An interval replaces a cron expression and the other way round;
    a changed plan moves the due time and deadline at once (from the last good ping)."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    monitor = _editable(session, org_id=org_id, heartbeat_id=heartbeat_id, actor=actor)
    before = _described(monitor)
    if endpoint_id is not None:
        monitor.endpoint_id = _endpoint(
            session, org_id=org_id, endpoint_id=endpoint_id, actor=actor
        ).id
    if name is not None:
        monitor.name = clean_name(name)
    if severity is not None:
        monitor.severity = _severity(severity)
    plan = _edited_plan(
        monitor,
        interval_seconds=interval_seconds,
        cron=cron,
        timezone=timezone,
        grace_seconds=grace_seconds,
        max_runtime_seconds=max_runtime_seconds,
        clear_max_runtime=clear_max_runtime,
    )
    if plan != plan_of(monitor):
        change = states.replanned(snapshot_of(session, monitor, plan), now)
        for column, value in _plan_columns(plan).items():
            setattr(monitor, column, value)
        _apply(session, monitor, change, actor, now)
    monitor.updated_at = now
    after = _described(monitor)
    changed = sorted(field for field in after if after[field] != before[field])
    _record(session, monitor, AuditAction.HEARTBEAT_UPDATED, actor, now, {"changed": changed})
    return monitor


def _edited_plan(
    monitor: HeartbeatMonitor,
    *,
    interval_seconds: int | None,
    cron: str | None,
    timezone: str | None,
    grace_seconds: int | None,
    max_runtime_seconds: int | None,
    clear_max_runtime: bool,
) -> Plan:
    interval, expression = monitor.interval_seconds, monitor.cron
    if interval_seconds is not None or cron is not None:
        # Both given is refused by checked_plan, as on creation.
        interval, expression = interval_seconds, cron
    max_runtime = None if clear_max_runtime else monitor.max_runtime_seconds
    return checked_plan(
        interval_seconds=interval,
        cron=expression,
        timezone=timezone if timezone is not None else monitor.timezone,
        grace_seconds=grace_seconds if grace_seconds is not None else monitor.grace_seconds,
        max_runtime_seconds=max_runtime_seconds if max_runtime_seconds is not None else max_runtime,
    )


def pause_monitor(
    session: Session, *, org_id: str, heartbeat_id: str, actor: Actor, now: datetime
) -> HeartbeatMonitor:
    """A paused monitor never alerts; its pings are still taken and logged."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    monitor = _editable(session, org_id=org_id, heartbeat_id=heartbeat_id, actor=actor)
    if not monitor.paused:
        change = states.paused(snapshot_of(session, monitor))
        monitor.paused = True
        _apply(session, monitor, change, actor, now)
        _record(session, monitor, AuditAction.HEARTBEAT_PAUSED, actor, now, None)
    return monitor


def resume_monitor(
    session: Session, *, org_id: str, heartbeat_id: str, actor: Actor, now: datetime
) -> HeartbeatMonitor:
    """Armed again with a whole period from now (states.resumed says when it is not)."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    monitor = _editable(session, org_id=org_id, heartbeat_id=heartbeat_id, actor=actor)
    if monitor.paused:
        monitor.paused = False
        change = states.resumed(snapshot_of(session, monitor), now)
        _apply(session, monitor, change, actor, now)
        details = {"alert_at": change.alert_at.isoformat() if change.alert_at else None}
        _record(session, monitor, AuditAction.HEARTBEAT_RESUMED, actor, now, details)
    return monitor


def rotate_key(
    session: Session,
    *,
    org_id: str,
    heartbeat_id: str,
    actor: Actor,
    now: datetime,
    digest_key: bytes,
) -> MonitorWithKey:
    """A new ping key; the old one stops working at once."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    monitor = _editable(session, org_id=org_id, heartbeat_id=heartbeat_id, actor=actor)
    key = new_key(digest_key)
    old_prefix = monitor.key_prefix
    monitor.key_prefix, monitor.key_digest, monitor.updated_at = key.prefix, key.digest, now
    details = {"old_prefix": old_prefix, "new_prefix": key.prefix}
    _record(session, monitor, AuditAction.HEARTBEAT_KEY_ROTATED, actor, now, details)
    return MonitorWithKey(monitor, key.plaintext)


def delete_monitor(
    session: Session, *, org_id: str, heartbeat_id: str, actor: Actor, now: datetime
) -> None:
    """Gone, its pings with it; pings with its key are answered as for an unknown id. An alert
    it opened stays, for people to resolve."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    monitor = _editable(session, org_id=org_id, heartbeat_id=heartbeat_id, actor=actor)
    details = {"name": monitor.name, "endpoint_id": monitor.endpoint_id}
    _record(session, monitor, AuditAction.HEARTBEAT_DELETED, actor, now, details)
    session.delete(monitor)
    session.flush()


def _editable(
    session: Session, *, org_id: str, heartbeat_id: str, actor: Actor
) -> HeartbeatMonitor:
    """The monitor under its row lock, if `actor` may change what its endpoint's project holds."""
    monitor = get_monitor(session, org_id=org_id, heartbeat_id=heartbeat_id, lock=True)
    _endpoint(session, org_id=org_id, endpoint_id=monitor.endpoint_id, actor=actor)
    return monitor


def _endpoint(session: Session, *, org_id: str, endpoint_id: str, actor: Actor) -> Endpoint:
    """The organization's endpoint (another's is not found), if `actor` may change what its
    project holds: a monitor pages whoever the endpoint pages."""
    endpoint = get_endpoint(session, org_id=org_id, endpoint_id=endpoint_id)
    if endpoint.project_id is not None:
        require_project_editor(session, org_id=org_id, project_id=endpoint.project_id, actor=actor)
    return endpoint


def _severity(value: str) -> str:
    if value not in SEVERITIES:
        raise InvalidInput(
            f"severity must be one of {', '.join(SEVERITIES)}", code="invalid_severity"
        )
    return value


def _plan_columns(plan: Plan) -> dict[str, Any]:
    return {
        "interval_seconds": int(plan.interval.total_seconds()) if plan.interval else None,
        "cron": plan.cron,
        "timezone": plan.timezone,
        "grace_seconds": int(plan.grace.total_seconds()),
        "max_runtime_seconds": (
            int(plan.max_runtime.total_seconds()) if plan.max_runtime else None
        ),
    }


def _described(monitor: HeartbeatMonitor) -> dict[str, Any]:
    return {
        "name": monitor.name,
        "endpoint_id": monitor.endpoint_id,
        "interval_seconds": monitor.interval_seconds,
        "cron": monitor.cron,
        "timezone": monitor.timezone,
        "grace_seconds": monitor.grace_seconds,
        "max_runtime_seconds": monitor.max_runtime_seconds,
        "severity": monitor.severity,
    }


def _apply(
    session: Session, monitor: HeartbeatMonitor, change: Change, actor: Actor, now: datetime
) -> None:
    # Pause, resume and edits only move deadlines (states.py): none opens or resolves an alert.
    transitions.apply(session, monitor, change, actor=actor, now=now)


def _record(
    session: Session,
    monitor: HeartbeatMonitor,
    action: AuditAction,
    actor: Actor,
    now: datetime,
    details: dict[str, Any] | None,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        at=now,
        org_id=monitor.org_id,
        target_type="heartbeat",
        target_id=monitor.id,
        details=details,
    )
