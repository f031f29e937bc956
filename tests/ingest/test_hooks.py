"""Webhook ingest through the HTTP API."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import make_tenant, ok
from tocsin.delivery.models import CallJob
from tocsin.ingest.models import Alert
from tocsin.runtime import Runtime
from tocsin.trust.models import AuditEvent


def _count(runtime: Runtime, model: type) -> int:
    with runtime.database.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_json_alert_is_recorded_with_its_call_job_and_audit_event(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = make_tenant(client)
    body = ok(
        client.post(f"/v1/hooks/{tenant.endpoint_id}", headers=tenant.alert_key,
                    json={"title": "Disk full on db1", "severity": "CRITICAL"}),
        202,
    )  # fmt: skip
    assert body["outcome"] == "created"
    assert body["calls_queued"] == 1
    with runtime.database.read() as session:
        alert = session.get(Alert, body["alert_id"])
        assert alert is not None
        assert (alert.title, alert.severity, alert.status) == ("Disk full on db1", "critical", "open")
        jobs = list(session.scalars(select(CallJob).where(CallJob.alert_id == alert.id)))
        assert [job.to_number for job in jobs] == ["+447400123456"]
        actions = set(session.scalars(select(AuditEvent.action)))
        assert "alert.received" in actions
