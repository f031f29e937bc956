"""The worker's look at monitors whose deadline passed: which are due (by the index on
`alert_at`), and one monitor taken down, in a transaction of its own, under its row lock.

PostgreSQL workers skip a monitor another worker (or a ping) holds: that one decides, and the
deadline it leaves is what the next look reads, so two workers never open two alerts. SQLite's
writers take turns already.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.core.actors import Actor
from tocsin.heartbeats import transitions
from tocsin.heartbeats.models import HeartbeatMonitor
from tocsin.heartbeats.queries import snapshot_of
from tocsin.heartbeats.states import overdue
from tocsin.routing.steps import DEFAULT_PAGING, PagingDefaults

# Monitors taken down per look; more wait for the next.
BATCH = 200


def due_monitors(session: Session, *, now: datetime, limit: int = BATCH) -> list[str]:
    """Monitors whose deadline has passed, the longest overdue first."""
    return list(
        session.scalars(
            select(HeartbeatMonitor.id)
            .where(HeartbeatMonitor.alert_at <= now)
            .order_by(HeartbeatMonitor.alert_at)
            .limit(limit)
        )
    )


def take_down_if_overdue(
    session: Session,
    *,
    heartbeat_id: str,
    now: datetime,
    skip_locked: bool,
    paging: PagingDefaults = DEFAULT_PAGING,
) -> bool:
    """Take the monitor down (and open its alert) if it is still overdue once locked; returns
    whether it went down."""
    statement = select(HeartbeatMonitor).where(HeartbeatMonitor.id == heartbeat_id)
    monitor = session.scalar(statement.with_for_update(skip_locked=skip_locked))
    if monitor is None:
        return False  # deleted meanwhile, or another worker holds it
    change = overdue(snapshot_of(session, monitor), now)
    if change is None:
        return False  # a ping came meanwhile
    actor = Actor("heartbeat", monitor.id)
    transitions.apply(session, monitor, change, actor=actor, now=now, paging=paging)
    return True
