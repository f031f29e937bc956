"""Issue 19's acceptance: a recurring weekly window mutes an Alertmanager alert from a real
Alertmanager inside it, and pages after it ends if still firing.

A real Alertmanager (Debian's prometheus-alertmanager) posts its webhooks over real HTTP to
Tocsin's application served by uvicorn in this process, on the test's injected clock, so "inside
the weekly window" and "after it ends" are moments the test sets, not waits. The only waiting is
for Alertmanager itself, polled with a deadline.

The pager's clock reads Thursday 2026-01-01 00:00 UTC. The window repeats every Thursday from
00:30 to 02:30 in Berlin (23:30 to 01:30 UTC in winter), from a Thursday in December: its
occurrence of this week is in force.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.delivery.pager import Pager
from tests.e2e import alertmanager
from tests.e2e.alertmanager import Alertmanager
from tests.e2e.helpers import wait_for
from tests.maintenance.window_rows import window
from tests.telephony.rest.fakes import serve
from tocsin.paging.models import Alert

pytestmark = [pytest.mark.e2e]

DEADLINE = 30


@pytest.fixture
def tocsin_url(client: TestClient) -> Iterator[str]:
    """The application the `client` fixture points at the test's runtime, over real HTTP."""
    with serve(client.app) as base_url:  # type: ignore[arg-type]
        yield base_url


def config(url: str, key: str) -> dict[str, Any]:
    return {
        "route": {
            "receiver": "tocsin",
            "group_by": ["alertname"],
            "group_wait": "1s",
            "group_interval": "1s",
            "repeat_interval": "4h",
        },
        "receivers": [
            {
                "name": "tocsin",
                "webhook_configs": [
                    {
                        "url": url,
                        "send_resolved": True,
                        "http_config": {"authorization": {"type": "Bearer", "credentials": key}},
                    }
                ],
            }
        ],
    }


def alert_titled(pager: Pager, words: str) -> Alert | None:
    with pager.runtime.database.read() as session:
        alerts = session.scalars(select(Alert).where(Alert.org_id == pager.org_id))
        return next((alert for alert in alerts if words in alert.title), None)


def test_a_weekly_window_mutes_a_real_alertmanagers_alert_and_pages_after_it_if_still_firing(
    pager: Pager, tocsin_url: str, tmp_path: Any
) -> None:
    if not alertmanager.available():
        pytest.skip("prometheus-alertmanager (Debian package) is not installed")
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.endpoint(alice)
    window_id = window(
        pager.runtime,
        pager.org_id,
        reason="Thursday database maintenance",
        starts_at=datetime(2025, 12, 4, 0, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        minutes=120,
        rrule="FREQ=WEEKLY;BYDAY=TH",
        timezone="Europe/Berlin",
        match=("severity=critical",),
    )
    manager = Alertmanager(tmp_path, config(f"{tocsin_url}/v1/hooks/{endpoint}", pager.ingest_key))
    disk = {
        "labels": {"alertname": "DiskFull", "instance": "db1", "severity": "critical"},
        "annotations": {"summary": "Disk full on db1"},
    }
    replica = {
        "labels": {"alertname": "ReplicaLag", "instance": "db2", "severity": "critical"},
        "annotations": {"summary": "Replica lag on db2"},
    }
    try:
        manager.wait_ready()
        manager.fire(disk, replica)
        firing = wait_for(
            lambda: alert_titled(pager, "Disk full on db1"), timeout=DEADLINE, what="DiskFull"
        )
        lagging = wait_for(
            lambda: alert_titled(pager, "Replica lag on db2"),
            timeout=DEADLINE,
            what="ReplicaLag",
        )
        # Inside the window: recorded, visible, and nobody called.
        assert pager.run() == 0
        assert pager.calls() == []
        for alert in (firing, lagging):
            detail = pager.alert(alert.id)
            assert (detail["source"], detail["status"]) == ("alertmanager", "open")
            assert detail["escalation"]["status"] == "muted"
            assert detail["muted_by"]["window_id"] == window_id
            assert detail["muted_by"]["reason"] == "Thursday database maintenance"
            assert detail["muted_by"]["until"] == "2026-01-01T01:30:00Z"
            assert "alert.muted" in pager.actions(alert.id)

        # The replica catches up while the window lasts: Alertmanager resolves that group.
        manager.resolve(replica)
        wait_for(
            lambda: pager.alert(lagging.id)["status"] == "resolved",
            timeout=DEADLINE,
            what="Alertmanager's resolved notification",
        )
    finally:
        manager.close()

    # Just before the end, still nobody; at the end, the disk (still firing) pages, the
    # replica (resolved) never does.
    assert pager.later(minutes=89, seconds=59) == 0
    assert pager.calls() == []
    assert pager.later(seconds=1) == 1
    assert pager.numbers_called() == [pager.phone(alice)]
    [call] = pager.alert(firing.id)["calls"]
    assert "Disk full on db1" in call["spoken_text"]
    actions = pager.actions(firing.id)
    assert actions.index("alert.muted") < actions.index("alert.unmuted")
    assert pager.alert(lagging.id)["calls"] == []
    assert "alert.unmuted" not in pager.actions(lagging.id)
