"""Big notifications page; what is kept of them is trimmed, never refused (issue 14, finding 3).

Before: an Alertmanager notification for a 150-alert group (about 80 KB) got 413; Alertmanager
treats a 4xx as final and never retries, so the outage never paged and the group's resolve never
resolved. The body shape here is Alertmanager's webhook payload (version 4), as its
documentation gives it: https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import ok
from tests.rows import tenant_rows
from tocsin.audit.models import AuditEvent, Notice
from tocsin.formats.trim import MAX_STORED_PAYLOAD_BYTES, trim_payload
from tocsin.messages import MessageContext, render_message
from tocsin.paging.models import Alert, CallJob
from tocsin.runtime import Runtime

GROUP_KEY = '{}:{alertname="InstanceDown"}'


def group(count: int, status: str = "firing") -> dict[str, Any]:
    alerts = [
        {
            "status": status,
            "labels": {
                "alertname": "InstanceDown",
                "instance": f"node{n:04d}.eu-west.example.net:9100",
                "job": "node",
                "severity": "critical",
            },
            "annotations": {
                "summary": f"node{n:04d} is down",
                "description": f"node{n:04d}.eu-west.example.net has not answered for 5 minutes",
            },
            "startsAt": "2026-12-01T10:00:00Z",
            "endsAt": "2026-12-01T11:00:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
            "generatorURL": f"http://prometheus.example.net/graph?g0.expr=up%7Binstance%3D{n}%7D",
            "fingerprint": f"{n:016x}",
        }
        for n in range(count)
    ]
    return {
        "version": "4",
        "groupKey": GROUP_KEY,
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "tocsin",
        "groupLabels": {"alertname": "InstanceDown"},
        "commonLabels": {"alertname": "InstanceDown", "job": "node", "severity": "critical"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.net",
        "alerts": alerts,
    }


def test_a_thousand_alert_group_pages_once_and_its_resolve_resolves(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = tenant_rows(runtime)
    body = json.dumps(group(1000)).encode()
    assert len(body) > 450_000  # the 150-alert group of the finding was about 80 KB
    hook = f"/v1/hooks/{tenant.endpoint_id}"
    headers = {**tenant.alert_key, "Content-Type": "application/json"}
    created = ok(client.post(hook, content=body, headers=headers), 202)
    assert (created["outcome"], created["calls_queued"]) == ("created", 1)

    with runtime.database.read() as session:
        alert = session.get(Alert, created["alert_id"])
        assert alert is not None
        stored = json.dumps(alert.payload, separators=(",", ":")).encode()
        assert len(stored) <= MAX_STORED_PAYLOAD_BYTES
        assert alert.payload["tocsin_trimmed"]["alerts"] == 1000
        assert alert.payload["truncatedAlerts"] == 1000 - len(alert.payload["alerts"])
        context = MessageContext(
            endpoint="Production",
            title=alert.title,
            message=alert.message,
            severity=alert.severity,
            source=alert.source,
            payload=alert.payload,
        )
    spoken = render_message(None, context, max_characters=600).text
    assert spoken.startswith("1000 alerts firing on Production. Severity critical. node0000 is")
    assert spoken.endswith("And 995 more.")

    resolved = json.dumps(group(1000, status="resolved")).encode()
    closed = ok(client.post(hook, content=resolved, headers=headers), 202)
    assert (closed["alert_id"], closed["outcome"], closed["calls_cancelled"]) == (
        created["alert_id"],
        "resolved",
        1,
    )
    with runtime.database.read() as session:
        jobs = session.scalars(select(CallJob.status)).all()
    assert jobs == ["cancelled"]


def test_alertmanagers_own_max_alerts_still_counts_every_firing_alert() -> None:
    payload = group(20)
    payload["alerts"] = payload["alerts"][:5]
    payload["truncatedAlerts"] = 15
    context = MessageContext(
        endpoint="Production",
        title="x",
        message="",
        severity="critical",
        source="alertmanager",
        payload=payload,
    )
    assert render_message(None, context, max_characters=600).text.startswith(
        "20 alerts firing on Production."
    )


def test_a_body_over_the_cap_is_refused_on_record_for_a_good_key_only(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = tenant_rows(runtime)
    hook = f"/v1/hooks/{tenant.endpoint_id}"
    too_big = b"x" * (runtime.settings.max_payload_bytes + 1)
    stranger = client.post(hook, content=too_big, headers={"X-Alert-Key": "tk_nobody_000000"})
    assert stranger.status_code == 413
    with runtime.database.read() as session:
        refused = select(AuditEvent).where(AuditEvent.action == "alert.refused")
        assert session.scalars(refused).all() == []

    refused = client.post(hook, content=too_big, headers=tenant.alert_key)
    assert refused.status_code == 413
    with runtime.database.read() as session:
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "alert.refused")
        ).all()
        [notice] = session.scalars(select(Notice).where(Notice.org_id == tenant.org_id)).all()
    assert (event.target_id, event.details["code"]) == (tenant.endpoint_id, "payload_too_large")
    assert notice.kind == "alerts_refused"


def test_an_unreadable_alert_from_a_good_key_is_on_record_too(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = tenant_rows(runtime)
    empty = client.post(f"/v1/hooks/{tenant.endpoint_id}", content=b"", headers=tenant.alert_key)
    assert (empty.status_code, empty.json()["error"]["code"]) == (422, "empty_alert")
    with runtime.database.read() as session:
        codes = [
            event.details["code"]
            for event in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "alert.refused")
            )
        ]
    assert codes == ["empty_alert"]


def test_any_other_big_body_keeps_its_shape_cut_down() -> None:
    payload = {
        "title": "Disk full",
        "log": "line\n" * 50_000,
        "samples": list(range(100_000)),
        "nested": {"deeper": [{"values": ["v" * 5000] * 200}]},
    }
    trimmed = trim_payload(payload)
    assert len(json.dumps(trimmed, separators=(",", ":"))) <= MAX_STORED_PAYLOAD_BYTES
    assert trimmed["title"] == "Disk full"
    assert trimmed["tocsin_trimmed"]["bytes"] > MAX_STORED_PAYLOAD_BYTES
    assert 0 < len(trimmed["samples"]) <= 50
