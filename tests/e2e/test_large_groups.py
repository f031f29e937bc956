"""A real Alertmanager sends a 1,000-alert group (issue 14, finding 3): one call names the
group, and Alertmanager's resolve resolves it. Before, anything over 64 KiB got 413, which
Alertmanager never retries, so a big outage never paged and its resolve never resolved."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from tests.e2e import alertmanager
from tests.e2e.alertmanager import Alertmanager
from tests.e2e.helpers import System, provision, wait_for
from tocsin.tables import Alert, CallAttempt, CallJob

pytestmark = pytest.mark.e2e

GROUP = 1000


def test_a_thousand_alert_group_from_alertmanager_pages_once_and_its_resolve_resolves(
    system: System,
) -> None:
    if not alertmanager.available():
        pytest.skip("prometheus-alertmanager (Debian package) is not installed")
    # The callee never answers and its retry is an hour away: exactly one call is placed.
    server = system.start_serve(
        simulator_outcome="no_answer",
        unanswered_retry_seconds=3600,
        simulator_record_audio="false",
    )
    tenant = provision(system, server, endpoints=1)
    [endpoint_id] = tenant.endpoint_ids
    config = {
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
                        "url": f"{server.base_url}/v1/hooks/{endpoint_id}",
                        "send_resolved": True,
                        "http_config": {
                            "authorization": {"type": "Bearer", "credentials": tenant.key}
                        },
                    }
                ],
            }
        ],
    }
    manager = Alertmanager(system.root, config)
    nodes = [
        {
            "labels": {
                "alertname": "InstanceDown",
                "instance": f"node{n:04d}.eu-west.example.net:9100",
                "job": "node",
                "severity": "critical",
            },
            "annotations": {"summary": f"node{n:04d} is down"},
        }
        for n in range(GROUP)
    ]
    try:
        manager.wait_ready()
        manager.fire(*nodes)
        [alert] = wait_for(
            lambda: system.read(lambda s: list(s.scalars(select(Alert)))) or None,
            timeout=60,
            what="the group's alert",
        )
        wait_for(lambda: len(system.dials()) >= 1, timeout=30, what="the group's call")
        [spoken] = system.read(lambda s: list(s.scalars(select(CallAttempt.spoken_text))))
        assert spoken.startswith(f"{GROUP} alerts firing on ")
        assert alert.source == "alertmanager"

        manager.resolve(*nodes)
        wait_for(
            lambda: system.read(lambda s: s.get(Alert, alert.id)).status == "resolved",
            timeout=60,
            what="alertmanager's resolve of the whole group",
        )
        # Tocsin commits the resolve before it answers; Alertmanager hears the answer a moment
        # later. Closing it before then cancels a request Tocsin already served, which its log
        # calls a failed notification.
        wait_for(
            lambda: manager.log().count('msg="Notify success"') >= 2,
            timeout=30,
            what="alertmanager to hear Tocsin's answer to the resolve",
        )
    finally:
        manager.close()
    assert len(system.dials()) == 1
    assert system.count(Alert) == 1
    statuses = system.read(lambda s: list(s.scalars(select(CallJob.status))))
    assert "pending" not in statuses
    assert "Traceback" not in server.log()
    # Alertmanager was never refused: its log has no failed notification.
    assert "Notify for alerts failed" not in manager.log()
    httpx.get(f"{server.base_url}/healthz").raise_for_status()
