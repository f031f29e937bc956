"""Workers and pings meeting on one monitor: a monitor another worker holds is passed over
(PostgreSQL, SKIP LOCKED) rather than taken down twice, a ping that lands between the worker's
look and its lock keeps the monitor up, and a monitor taken down is never taken down again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.delivery.pager import Pager
from tests.heartbeats.helpers import make_heartbeat, ping
from tocsin.heartbeats import misses
from tocsin.heartbeats.models import HeartbeatMonitor
from tocsin.paging.models import Alert

pytestmark = [pytest.mark.pager(rounds=1)]


def overdue_heartbeat(pager: Pager) -> dict[str, Any]:
    """A 5-minute heartbeat with a minute of grace, pinged six minutes ago."""
    heartbeat = make_heartbeat(pager, pager.endpoint(pager.contact("Ops")))
    ping(pager.client, heartbeat)
    pager.clock.advance(6 * 60)
    return heartbeat


def take_down(pager: Pager, heartbeat_id: str) -> bool:
    with pager.runtime.database.write() as session:
        return misses.take_down_if_overdue(
            session,
            heartbeat_id=heartbeat_id,
            now=pager.clock.now(),
            skip_locked=pager.runtime.database.is_postgres,
        )


def heartbeat_alert_count(pager: Pager) -> int:
    with pager.runtime.database.read() as session:
        return (
            session.scalar(
                select(func.count()).select_from(Alert).where(Alert.source == "heartbeat")
            )
            or 0
        )


def test_a_monitor_another_worker_holds_is_passed_over_not_taken_down_twice(
    pager: Pager,
) -> None:
    database = pager.runtime.database
    if not database.is_postgres:
        pytest.skip("SQLite's writers take turns: no second worker holds a row meanwhile")
    heartbeat_id = overdue_heartbeat(pager)["id"]
    with database.write() as holder:
        # Another worker, mid-decision on this monitor.
        holder.scalars(
            select(HeartbeatMonitor).where(HeartbeatMonitor.id == heartbeat_id).with_for_update()
        ).one()
        assert take_down(pager, heartbeat_id) is False
    assert heartbeat_alert_count(pager) == 0
    assert take_down(pager, heartbeat_id) is True
    assert take_down(pager, heartbeat_id) is False
    assert heartbeat_alert_count(pager) == 1


def test_a_ping_between_the_workers_look_and_its_lock_keeps_the_monitor_up(
    pager: Pager,
) -> None:
    heartbeat = overdue_heartbeat(pager)
    with pager.runtime.database.read() as session:
        assert misses.due_monitors(session, now=pager.clock.now()) == [heartbeat["id"]]
    # The ping comes before the worker takes the monitor's lock.
    ping(pager.client, heartbeat)
    assert take_down(pager, heartbeat["id"]) is False
    assert heartbeat_alert_count(pager) == 0


def test_due_monitors_are_read_by_deadline_and_only_those_past_it(pager: Pager) -> None:
    endpoint = pager.endpoint(pager.contact("Ops"))
    early = make_heartbeat(pager, endpoint, interval_seconds=120, grace_seconds=0)
    late = make_heartbeat(pager, endpoint, interval_seconds=60, grace_seconds=0)
    unpinged = make_heartbeat(pager, endpoint)
    ping(pager.client, early)
    ping(pager.client, late)
    pager.clock.advance(90)
    now = pager.clock.now()
    with pager.runtime.database.read() as session:
        assert misses.due_monitors(session, now=now) == [late["id"]]
        later = misses.due_monitors(session, now=now + timedelta(days=1))
    assert later == [late["id"], early["id"]]
    assert unpinged["id"] not in later
