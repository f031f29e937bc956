"""The integration guides, run as written: a real Alertmanager with the guide's configuration,
and the exact Grafana, Uptime Kuma and curl bodies the guides show, against `tocsin serve`.

The simulated callee never answers and the retry is an hour away, so after the first call an
alert's job waits, and a resolve has something to cancel: exactly the calls the guides promise
are placed, and no more.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select

from tests.e2e import alertmanager
from tests.e2e.alertmanager import Alertmanager
from tests.e2e.docs import block, block_and_answer
from tests.e2e.helpers import System, Tenant, TocsinProcess, provision, wait_for
from tocsin.tables import Alert, CallAttempt, CallJob, Escalation

pytestmark = pytest.mark.e2e

NEVER_ANSWERS = {
    "simulator_outcome": "no_answer",
    "unanswered_retry_seconds": 3600,
    "simulator_record_audio": "false",
}


def paging(system: System, endpoint_name: str) -> tuple[TocsinProcess, Tenant, str]:
    server = system.start_serve(**NEVER_ANSWERS)
    tenant = provision(system, server, endpoints=1)
    [endpoint_id] = tenant.endpoint_ids
    renamed = httpx.patch(
        f"{server.base_url}/v1/orgs/{tenant.org_id}/endpoints/{endpoint_id}",
        json={"name": endpoint_name},
        headers={"Authorization": f"Bearer {tenant.key}"},
    )
    assert renamed.status_code == 200, renamed.text
    return server, tenant, endpoint_id


def only_alert(system: System) -> Alert:
    [alert] = system.read(lambda s: list(s.scalars(select(Alert))))
    return alert


def jobs(system: System) -> list[CallJob]:
    return system.read(lambda s: list(s.scalars(select(CallJob))))


def first_call_over(system: System) -> bool:
    """The first call went unanswered and its job waits for the retry."""
    return [(job.status, job.attempt_count) for job in jobs(system)] == [("pending", 1)]


def spoken(system: System) -> list[str]:
    return system.read(lambda s: list(s.scalars(select(CallAttempt.spoken_text))))


def assert_paging_stopped(system: System, *, calls: int) -> None:
    assert len(system.dials()) == calls
    [job] = jobs(system)
    assert (job.status, job.outcome) == ("cancelled", "resolved")
    [escalation] = system.read(lambda s: list(s.scalars(select(Escalation))))
    assert escalation.status == "resolved"


@pytest.fixture
def am_system(system: System) -> System:
    if not alertmanager.available():
        pytest.skip("prometheus-alertmanager (Debian package) is not installed")
    return system


def test_alertmanager_pages_once_per_group_and_its_resolve_stops_the_escalation(
    am_system: System,
) -> None:
    system = am_system
    server, tenant, endpoint_id = paging(system, "Prometheus")
    config = yaml.safe_load(block("integrations/alertmanager.md", "alertmanager.yml"))
    webhook = config["receivers"][0]["webhook_configs"][0]
    webhook["url"] = f"{server.base_url}/v1/hooks/{endpoint_id}"
    webhook["http_config"]["authorization"]["credentials"] = tenant.key
    # The guide's timers are for production; a test cannot wait thirty seconds per step.
    config["route"].update(group_wait="1s", group_interval="1s")
    manager = Alertmanager(system.root, config)
    try:
        manager.wait_ready()
        cpu = [
            {
                "labels": {"alertname": "HighCPU", "cluster": "eu", "instance": f"db{n}",
                           "severity": "critical"},
                "annotations": {"summary": f"CPU high on db{n}"},
            }
            for n in (1, 2, 3, 4)
        ]  # fmt: skip
        manager.fire(*cpu[:3])
        wait_for(lambda: first_call_over(system), timeout=30, what="one call for the group")
        alert = only_alert(system)
        assert (alert.source, alert.status) == ("alertmanager", "open")
        assert alert.title == "3 alerts firing: CPU high on db1, CPU high on db2, CPU high on db3"
        assert spoken(system) == [
            "3 alerts firing on Prometheus. Severity critical. "
            "CPU high on db1. CPU high on db2. CPU high on db3."
        ]

        # A fourth alert joins the group: Alertmanager notifies again, Tocsin does not call.
        manager.fire(cpu[3])
        wait_for(
            lambda: only_alert(system).repeat_count >= 1,
            timeout=30,
            what="the group's renotification",
        )
        assert len(system.dials()) == 1

        manager.resolve(*cpu)
        wait_for(
            lambda: only_alert(system).status == "resolved",
            timeout=30,
            what="alertmanager's resolved notification",
        )
    finally:
        manager.close()
    assert only_alert(system).resolved_by == "source"
    assert_paging_stopped(system, calls=1)
    assert "Traceback" not in server.log()


def post_body(server: TocsinProcess, endpoint_id: str, key: str, body: str) -> dict[str, Any]:
    response = httpx.post(
        f"{server.base_url}/v1/hooks/{endpoint_id}",
        content=body.encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 202, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_the_grafana_guide_bodies_page_once_and_resolve(sqlite_system: System) -> None:
    system = sqlite_system
    server, tenant, endpoint_id = paging(system, "Grafana")
    firing = post_body(
        server, endpoint_id, tenant.key, block("integrations/grafana.md", "grafana-firing")
    )
    assert (firing["outcome"], firing["calls_queued"]) == ("created", 1)
    wait_for(lambda: first_call_over(system), timeout=15, what="the call for Grafana's group")
    assert spoken(system) == [
        "2 alerts firing on Grafana. Severity critical. "
        "Checkout latency above 2 s. Error rate above 5 percent."
    ]
    resolved = post_body(
        server, endpoint_id, tenant.key, block("integrations/grafana.md", "grafana-resolved")
    )
    assert (resolved["alert_id"], resolved["outcome"], resolved["calls_cancelled"]) == (
        firing["alert_id"],
        "resolved",
        1,
    )
    assert only_alert(system).source == "grafana"
    assert_paging_stopped(system, calls=1)


def test_the_uptime_kuma_guide_bodies_page_once_and_resolve(sqlite_system: System) -> None:
    system = sqlite_system
    server, tenant, endpoint_id = paging(system, "Uptime")
    down = post_body(
        server, endpoint_id, tenant.key, block("integrations/uptime-kuma.md", "kuma-down")
    )
    assert (down["outcome"], down["calls_queued"]) == ("created", 1)
    wait_for(lambda: first_call_over(system), timeout=15, what="the call for the down monitor")
    assert spoken(system) == [
        "Alert from Uptime. Shop checkout is down. timeout of 48000ms exceeded"
    ]
    up = post_body(server, endpoint_id, tenant.key, block("integrations/uptime-kuma.md", "kuma-up"))
    assert (up["alert_id"], up["outcome"], up["calls_cancelled"]) == (
        down["alert_id"],
        "resolved",
        1,
    )
    # The alert keeps the title it paged with; the up heartbeat only resolved it.
    assert (only_alert(system).source, only_alert(system).title) == (
        "uptime_kuma",
        "Shop checkout is down",
    )
    assert_paging_stopped(system, calls=1)


CURL_EXAMPLES = ["curl-page", "curl-repeat", "curl-resolve", "curl-form", "curl-text", "curl-get"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="the guide's examples use curl")
def test_the_curl_guide_examples_answer_what_the_guide_shows(sqlite_system: System) -> None:
    system = sqlite_system
    server, tenant, endpoint_id = paging(system, "Scripts")
    env = {
        **os.environ,
        "TOCSIN_HOOK_URL": f"{server.base_url}/v1/hooks/{endpoint_id}",
        "TOCSIN_ALERT_KEY": tenant.key,
    }
    for name in CURL_EXAMPLES:
        command, shown = block_and_answer("integrations/curl.md", name)
        if name == "curl-resolve":
            # The guide's resolve cancels the retry of a call already made and unanswered.
            wait_for(lambda: first_call_over(system), timeout=15, what="the backup alert's call")
        result = subprocess.run(
            ["bash", "-c", "set -eo pipefail\n" + command],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 0, f"{name}: {result.stderr}"
        answer, expected = json.loads(result.stdout), json.loads(shown)
        assert answer["alert_id"].startswith("al_")
        assert {k: v for k, v in answer.items() if k != "alert_id"} == {
            k: v for k, v in expected.items() if k != "alert_id"
        }, name
    titles = system.read(lambda s: sorted(s.scalars(select(Alert.title))))
    assert titles == [
        "Certificate for shop.example.com expires in 3 days",
        "Disk full on db1",
        "Nightly backup failed",
        "Queue depth above 10000",
    ]
