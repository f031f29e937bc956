"""Webhook ingest through the HTTP API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests import seeded
from tests.factories import Tenant, ok
from tocsin.audit.models import AuditEvent
from tocsin.paging.models import Alert, CallJob
from tocsin.runtime import Runtime


def _count(runtime: Runtime, model: type) -> int:
    with runtime.database.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_json_alert_is_recorded_with_its_call_job_and_audit_event(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = seeded.tenant(runtime)
    body = ok(
        client.post(
            f"/v1/hooks/{tenant.endpoint_id}",
            headers=tenant.alert_key,
            json={"title": "Disk full on db1", "severity": "CRITICAL"},
        ),
        202,
    )
    assert body["outcome"] == "created"
    assert body["calls_queued"] == 1
    with runtime.database.read() as session:
        alert = session.get(Alert, body["alert_id"])
        assert alert is not None
        assert (alert.title, alert.severity, alert.status) == (
            "Disk full on db1",
            "critical",
            "open",
        )
        jobs = list(session.scalars(select(CallJob).where(CallJob.alert_id == alert.id)))
        assert [job.to_number for job in jobs] == ["+447400123456"]
        actions = set(session.scalars(select(AuditEvent.action)))
        assert "alert.received" in actions


def _hook(
    client: TestClient, tenant: Tenant, headers: dict[str, str] | None = None, **kwargs: Any
) -> Any:
    return client.post(
        f"/v1/hooks/{tenant.endpoint_id}", headers={**tenant.alert_key, **(headers or {})}, **kwargs
    )


def test_repeat_of_an_open_alert_does_not_queue_a_second_call(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = seeded.tenant(runtime)
    first = ok(_hook(client, tenant, json={"title": "CPU hot"}), 202)
    second = ok(_hook(client, tenant, json={"title": "cpu  HOT"}), 202)
    assert second == {
        **first,
        "outcome": "deduplicated",
        "calls_queued": 0,
        "message": "an alert with the same title is still open, so this counts as a repeat of "
        "it and calls nobody new; for a new alert send another dedup_key or title, or resolve "
        "this one first",
    }
    assert _count(runtime, CallJob) == 1
    with runtime.database.read() as session:
        alert = session.get(Alert, first["alert_id"])
        assert alert is not None
        assert alert.repeat_count == 1


def test_explicit_dedup_key_groups_alerts_with_different_titles(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = seeded.tenant(runtime)
    first = ok(_hook(client, tenant, json={"title": "a", "dedup_key": "db1"}), 202)
    second = ok(_hook(client, tenant, json={"title": "b", "dedup_key": "db1"}), 202)
    assert second["alert_id"] == first["alert_id"]


def test_resolved_event_cancels_calls_not_yet_placed(client: TestClient, runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    fired = ok(_hook(client, tenant, json={"title": "API 5xx", "dedup_key": "api"}), 202)
    resolved = ok(
        _hook(client, tenant, json={"dedup_key": "api", "title": "API 5xx", "status": "resolved"}),
        202,
    )
    assert resolved["alert_id"] == fired["alert_id"]
    assert (resolved["outcome"], resolved["calls_cancelled"]) == ("resolved", 1)
    with runtime.database.read() as session:
        alert = session.get(Alert, fired["alert_id"])
        assert alert is not None
        assert (alert.status, alert.resolved_by) == ("resolved", "source")
        job = session.scalar(select(CallJob).where(CallJob.alert_id == alert.id))
        assert job is not None
        assert job.status == "cancelled"
    # Once resolved, the same alert firing again is a new incident with a new call.
    refired = ok(_hook(client, tenant, json={"title": "API 5xx", "dedup_key": "api"}), 202)
    assert refired["alert_id"] != fired["alert_id"]
    assert refired["calls_queued"] == 1


def test_resolve_without_open_alert_is_recorded_without_a_call(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = seeded.tenant(runtime)
    body = ok(_hook(client, tenant, json={"title": "never fired", "status": "ok"}), 202)
    assert (body["outcome"], body["calls_queued"]) == ("resolved", 0)
    assert _count(runtime, CallJob) == 0
    assert _count(runtime, Alert) == 1


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_put_and_patch_are_accepted_like_post(
    client: TestClient, runtime: Runtime, method: str
) -> None:
    tenant = seeded.tenant(runtime)
    response = client.request(
        method,
        f"/v1/hooks/{tenant.endpoint_id}",
        headers=tenant.alert_key,
        json={"title": f"via {method}"},
    )
    assert ok(response, 202)["outcome"] == "created"


def test_get_with_query_string_is_an_alert(client: TestClient, runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    body = ok(
        client.get(
            f"/v1/hooks/{tenant.endpoint_id}",
            params={"title": "cron failed", "severity": "major"},
            headers=tenant.alert_key,
        ),
        202,
    )
    with runtime.database.read() as session:
        alert = session.get(Alert, body["alert_id"])
        assert alert is not None
        assert (alert.title, alert.severity) == ("cron failed", "major")


def test_form_and_multipart_bodies_are_accepted(client: TestClient, runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    form = ok(_hook(client, tenant, data={"title": "from form", "level": "warning"}), 202)
    multipart = ok(_hook(client, tenant, files={"title": (None, "from multipart")}), 202)
    with runtime.database.read() as session:
        titles = {
            session.get(Alert, form["alert_id"]).title,  # type: ignore[union-attr]
            session.get(Alert, multipart["alert_id"]).title,
        }  # type: ignore[union-attr]
    assert titles == {"from form", "from multipart"}


def test_raw_text_and_broken_json_are_kept_as_the_message(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = seeded.tenant(runtime)
    body = ok(
        _hook(
            client,
            tenant,
            content=b'{"oops',
            headers={**tenant.alert_key, "Content-Type": "application/json"},
        ),
        202,
    )
    with runtime.database.read() as session:
        alert = session.get(Alert, body["alert_id"])
        assert alert is not None
        assert alert.message == '{"oops'


def test_oversized_payload_is_refused_and_nothing_written(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = seeded.tenant(runtime)
    limit = runtime.settings.max_payload_bytes
    assert limit == 1024 * 1024
    response = _hook(client, tenant, content=b"x" * (limit + 1))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert _count(runtime, Alert) == 0
    exactly_limit = _hook(client, tenant, content=b"y" * limit)
    assert exactly_limit.status_code == 202


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "missing_key"),
        ({"X-Alert-Key": "tk_aaaaaaaaaaaa_" + "b" * 40}, 401, "invalid_key"),
        ({"X-Alert-Key": "not-a-key"}, 401, "invalid_key"),
        ({"Authorization": "Basic Zm9vOmJhcg=="}, 401, "invalid_key"),  # foo:bar
        ({"Authorization": "Basic Og=="}, 401, "missing_key"),  # ":"
        ({"Authorization": "Basic not base64!"}, 401, "invalid_key"),
        ({"Authorization": "Digest username=x"}, 401, "invalid_token"),
    ],
)
def test_bad_keys_are_refused_and_nothing_written(
    client: TestClient, runtime: Runtime, headers: dict[str, str], status: int, code: str
) -> None:
    tenant = seeded.tenant(runtime)
    response = client.post(f"/v1/hooks/{tenant.endpoint_id}", headers=headers, json={"title": "x"})
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    # However the key was refused, the challenge names both schemes the webhook takes.
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="tocsin", Basic realm="tocsin"'
    assert _count(runtime, Alert) == 0


@pytest.mark.parametrize("where", ["password", "user name"])
def test_a_key_in_basic_credentials_is_accepted(
    client: TestClient, runtime: Runtime, where: str
) -> None:
    """Amazon SNS and Google Cloud Monitoring send no custom header, but both send the user
    and password of the URL they are given as `Authorization: Basic` (SNS: "HTTP/HTTPS
    endpoints ... basic and digest access authentication", Cloud Monitoring: "webhook with
    basic authentication"), so the key can ride there."""
    tenant = seeded.tenant(runtime)
    auth = ("tocsin", tenant.ingest_key) if where == "password" else (tenant.ingest_key, "")
    body = ok(
        client.post(f"/v1/hooks/{tenant.endpoint_id}", auth=auth, json={"title": "Disk full"}),
        202,
    )
    assert body["calls_queued"] == 1


def test_unknown_endpoint_is_404(client: TestClient, runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    response = client.post(
        "/v1/hooks/ep_doesnotexist", headers=tenant.alert_key, json={"title": "x"}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "endpoint_not_found"
    assert _count(runtime, Alert) == 0


def test_key_is_optional_when_the_endpoint_does_not_require_one(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = seeded.tenant(runtime)
    ok(
        client.patch(
            f"/v1/orgs/{tenant.org_id}/endpoints/{tenant.endpoint_id}",
            json={"require_key": False},
            headers=tenant.auth,
        )
    )
    body = ok(client.post(f"/v1/hooks/{tenant.endpoint_id}", json={"title": "open"}), 202)
    assert body["calls_queued"] == 1
    # A wrong key is still refused: it is a misconfiguration worth hearing about.
    wrong = client.post(
        f"/v1/hooks/{tenant.endpoint_id}",
        json={"title": "o"},
        headers={"X-Alert-Key": "tk_aaaaaaaaaaaa_" + "b" * 40},
    )
    assert wrong.status_code == 401


def test_endpoint_with_routing_all_calls_every_contact(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = seeded.tenant(runtime)
    second = {"id": seeded.contact(runtime, tenant.org_id, name="Backup", phone="+447400123499")}
    ok(
        client.patch(
            f"/v1/orgs/{tenant.org_id}/endpoints/{tenant.endpoint_id}",
            json={"routing": "all", "contact_ids": [tenant.contact_id, second["id"]]},
            headers=tenant.auth,
        )
    )
    body = ok(_hook(client, tenant, json={"title": "everyone"}), 202)
    assert body["calls_queued"] == 2
