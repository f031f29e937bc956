"""Reading monitors and their pings. A person's lookup is scoped by organization: an id alone
never finds another organization's monitor."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.core.errors import NotFound
from tocsin.core.pagination import Page, paginate
from tocsin.heartbeats.models import DownReason, HeartbeatMonitor, HeartbeatPing, MonitorState
from tocsin.heartbeats.schedule import Plan
from tocsin.heartbeats.states import Snapshot
from tocsin.paging.models import Alert, AlertStatus

# The pings a monitor keeps: enough to see a pattern, few enough that a storm costs nothing.
PING_LOG = 50


def ping_url(base_url: str, heartbeat_id: str) -> str:
    return f"{base_url.rstrip('/')}/v1/heartbeats/{heartbeat_id}"


def heartbeat_not_found() -> NotFound:
    return NotFound("heartbeat not found", code="heartbeat_not_found")


def get_monitor(
    session: Session, *, org_id: str, heartbeat_id: str, lock: bool = False
) -> HeartbeatMonitor:
    """The organization's monitor; with `lock`, under its row lock (a write's turn)."""
    statement = select(HeartbeatMonitor).where(
        HeartbeatMonitor.id == heartbeat_id, HeartbeatMonitor.org_id == org_id
    )
    monitor = session.scalar(statement.with_for_update() if lock else statement)
    if monitor is None:
        raise heartbeat_not_found()
    return monitor


def list_monitors(
    session: Session, *, org_id: str, limit: int, cursor: str | None
) -> Page[HeartbeatMonitor]:
    query = select(HeartbeatMonitor).where(HeartbeatMonitor.org_id == org_id)
    return paginate(session, query, HeartbeatMonitor.id, limit=limit, cursor=cursor)


def all_monitors(session: Session, *, org_id: str) -> list[HeartbeatMonitor]:
    return list(
        session.scalars(
            select(HeartbeatMonitor)
            .where(HeartbeatMonitor.org_id == org_id)
            .order_by(HeartbeatMonitor.name, HeartbeatMonitor.id)
        )
    )


def recent_pings(session: Session, heartbeat_id: str) -> list[HeartbeatPing]:
    """The pings the monitor keeps, newest first."""
    return list(
        session.scalars(
            select(HeartbeatPing)
            .where(HeartbeatPing.heartbeat_id == heartbeat_id)
            .order_by(HeartbeatPing.id.desc())
            .limit(PING_LOG)
        )
    )


def plan_of(monitor: HeartbeatMonitor) -> Plan:
    return Plan(
        interval=(
            timedelta(seconds=monitor.interval_seconds)
            if monitor.interval_seconds is not None
            else None
        ),
        cron=monitor.cron,
        timezone=monitor.timezone,
        grace=timedelta(seconds=monitor.grace_seconds),
        max_runtime=(
            timedelta(seconds=monitor.max_runtime_seconds)
            if monitor.max_runtime_seconds is not None
            else None
        ),
    )


def alert_open(session: Session, monitor: HeartbeatMonitor) -> bool:
    """Whether the alert the monitor opened is still open (or acknowledged)."""
    if monitor.alert_id is None:
        return False
    status = session.scalar(select(Alert.status).where(Alert.id == monitor.alert_id))
    return status is not None and status != AlertStatus.RESOLVED


def snapshot_of(session: Session, monitor: HeartbeatMonitor, plan: Plan | None = None) -> Snapshot:
    """What the pure decisions (states.py) read of the monitor; `plan` instead of its own."""
    return Snapshot(
        plan=plan or plan_of(monitor),
        state=MonitorState(monitor.state),
        paused=monitor.paused,
        down_reason=DownReason(monitor.down_reason) if monitor.down_reason else None,
        last_ping_at=monitor.last_ping_at,
        run_started_at=monitor.run_started_at,
        next_due_at=monitor.next_due_at,
        alert_at=monitor.alert_at,
        alert_open=alert_open(session, monitor),
    )


def status_of(monitor: HeartbeatMonitor, now: datetime) -> str:
    """What a list shows: `paused`, `late` (up, past due and within grace), or the state."""
    if monitor.paused:
        return "paused"
    late = monitor.next_due_at is not None and now >= monitor.next_due_at
    if monitor.state == MonitorState.UP and late:
        return "late"
    return monitor.state
