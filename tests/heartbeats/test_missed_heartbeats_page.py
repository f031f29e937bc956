"""The issue's acceptance, on the test clock with the simulator: a heartbeat with a 5-minute
interval and 1 minute of grace, silent for 6 minutes, opens exactly one alert and places one
call, however often the worker looks; the next ping resolves it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.delivery.pager import Pager
from tests.heartbeats.helpers import check, heartbeat_alerts, heartbeat_of, make_heartbeat, ping
from tocsin.paging.models import Alert

pytestmark = [pytest.mark.pager(rounds=1)]


def test_six_silent_minutes_open_one_alert_and_one_call_and_a_ping_resolves_it(
    pager: Pager,
) -> None:
    pager.clock.advance(3 * 3600)  # 03:00 UTC
    phone = pager.contact("Ops")
    endpoint = pager.endpoint(phone)
    heartbeat = make_heartbeat(pager, endpoint)
    assert ping(pager.client, heartbeat)["state"] == "up"  # 03:00, due 03:05, down at 03:06

    pager.clock.advance(5 * 60 + 59)
    assert check(pager) == 0
    assert heartbeat_of(pager, heartbeat["id"])["status"] == "late"
    assert pager.run() == 0

    pager.clock.advance(1)  # six minutes without a ping
    assert check(pager) == 1
    # The worker looks again and again, and another minute passes: nothing more opens.
    assert check(pager) == 0
    assert pager.later(minutes=1) == 1
    assert check(pager) == 0
    pager.later(minutes=30)
    assert check(pager) == 0

    [alert] = heartbeat_alerts(pager)
    assert alert["title"] == 'Heartbeat "backup" missed: expected by 03:05 UTC'
    assert pager.numbers_called() == [pager.phone(phone)]
    assert pager.alert(alert["id"])["severity"] == "critical"
    with pager.runtime.database.read() as session:
        row = session.get(Alert, alert["id"])
        assert row is not None
        assert (row.source, row.dedup_key) == ("heartbeat", f"heartbeat:{heartbeat['id']}")
        assert row.payload == {
            "heartbeat": {
                "id": heartbeat["id"],
                "name": "backup",
                "expected_at": "2026-01-01T03:05:00+00:00",
                "last_ping_at": "2026-01-01T03:00:00+00:00",
                "reason": "missed",
            }
        }
    shown = heartbeat_of(pager, heartbeat["id"])
    assert (shown["state"], shown["down_reason"], shown["alert_id"]) == (
        "down",
        "missed",
        alert["id"],
    )

    assert ping(pager.client, heartbeat)["state"] == "up"
    resolved = pager.alert(alert["id"])
    assert (resolved["status"], resolved["resolved_by"]) == ("resolved", "source")
    assert heartbeat_of(pager, heartbeat["id"])["alert_id"] is None
    assert len(heartbeat_alerts(pager)) == 1
    assert len(pager.calls()) == 1


def test_a_running_worker_looks_by_itself_and_calls_about_a_missed_heartbeat(
    pager: Pager,
) -> None:
    pager.settings = replace(pager.settings, heartbeat_interval=timedelta(milliseconds=20))
    heartbeat = make_heartbeat(pager, pager.endpoint(pager.contact("Ops")))
    ping(pager.client, heartbeat)
    pager.clock.advance(6 * 60)

    async def run_until_called() -> None:
        stop = asyncio.Event()
        running = asyncio.create_task(pager.worker.run(stop))
        try:
            for _ in range(500):  # polls what the simulator was asked, for up to 10 s
                if pager.calls():
                    return
                await asyncio.sleep(0.02)
        finally:
            stop.set()
            await running

    asyncio.run(run_until_called())
    assert len(pager.calls()) == 1
    [alert] = heartbeat_alerts(pager)
    assert alert["title"] == 'Heartbeat "backup" missed: expected by 00:05 UTC'
