"""Alerts as people see them: lists, detail with timeline, acknowledge and resolve."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import seeded
from tests.accounts.helpers import api_key_header, create_key, error, user_id
from tests.factories import Tenant, ok
from tocsin.paging.models import CallJob
from tocsin.runtime import Runtime


def _send(client: TestClient, tenant: Tenant, **payload: Any) -> str:
    body = ok(
        client.post(f"/v1/hooks/{tenant.endpoint_id}", json=payload, headers=tenant.alert_key), 202
    )
    alert_id: str = body["alert_id"]
    return alert_id


def _job_statuses(runtime: Runtime, alert_id: str) -> list[str]:
    with runtime.database.read() as session:
        return list(session.scalars(select(CallJob.status).where(CallJob.alert_id == alert_id)))


def test_alert_detail_shows_payload_and_timeline(client: TestClient, runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    alert_id = _send(client, tenant, title="Disk full", severity="critical", host="db1")
    detail = ok(client.get(f"/v1/orgs/{tenant.org_id}/alerts/{alert_id}", headers=tenant.auth))
    assert (detail["title"], detail["severity"], detail["status"]) == (
        "Disk full",
        "critical",
        "open",
    )
    assert detail["endpoint_id"] == tenant.endpoint_id
    assert detail["payload"]["host"] == "db1"
    assert [entry["action"] for entry in detail["timeline"]] == ["alert.received"]
    assert detail["calls"] == []


def test_acknowledge_cancels_pending_calls_and_names_who_did_it(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = seeded.tenant(runtime)
    alert_id = _send(client, tenant, title="CPU")
    assert _job_statuses(runtime, alert_id) == ["pending"]
    path = f"/v1/orgs/{tenant.org_id}/alerts/{alert_id}"
    acked = ok(client.post(f"{path}/acknowledge", headers=tenant.auth))
    assert acked["status"] == "acknowledged"
    assert acked["acknowledged_by"] == f"user:{user_id(client, tenant.auth)}"
    assert _job_statuses(runtime, alert_id) == ["cancelled"]
    timeline = ok(client.get(path, headers=tenant.auth))["timeline"]
    assert timeline[-1]["action"] == "alert.acknowledged"
    assert timeline[-1]["details"] == {"calls_cancelled": 1}
    assert error(client.post(f"{path}/acknowledge", headers=tenant.auth), 409) == ("alert_not_open")


def test_resolve_works_once_and_then_acknowledge_is_refused(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = seeded.tenant(runtime)
    path = f"/v1/orgs/{tenant.org_id}/alerts/{_send(client, tenant, title='CPU')}"
    ok(client.post(f"{path}/acknowledge", headers=tenant.auth))
    resolved = ok(client.post(f"{path}/resolve", headers=tenant.auth))
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"] is not None
    assert error(client.post(f"{path}/resolve", headers=tenant.auth), 409) == "alert_resolved"
    assert error(client.post(f"{path}/acknowledge", headers=tenant.auth), 409) == ("alert_not_open")


def test_write_key_acknowledges_as_itself(client: TestClient, runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    writer = create_key(client, tenant, ["write"])
    alert_id = _send(client, tenant, title="CPU")
    acked = ok(
        client.post(
            f"/v1/orgs/{tenant.org_id}/alerts/{alert_id}/acknowledge",
            headers=api_key_header(writer["key"]),
        )
    )
    assert acked["acknowledged_by"] == f"api_key:{writer['id']}"


def test_alert_list_filters_by_status_and_endpoint(client: TestClient, runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    org = f"/v1/orgs/{tenant.org_id}"
    first = _send(client, tenant, title="one")
    second = _send(client, tenant, title="two")
    ok(client.post(f"{org}/alerts/{first}/resolve", headers=tenant.auth))

    def listed(query: str) -> list[str]:
        return [
            item["id"]
            for item in ok(client.get(f"{org}/alerts{query}", headers=tenant.auth))["items"]
        ]

    assert listed("?status=open") == [second]
    assert listed("?status=resolved") == [first]
    assert listed("?status=acknowledged") == []
    assert set(listed(f"?endpoint_id={tenant.endpoint_id}")) == {first, second}
    assert listed("?endpoint_id=ep_other") == []
    assert error(client.get(f"{org}/alerts?status=bogus", headers=tenant.auth), 422) == (
        "invalid_status"
    )


def test_unknown_alert_is_not_found(client: TestClient, runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    path = f"/v1/orgs/{tenant.org_id}/alerts/al_nowhere"
    assert error(client.get(path, headers=tenant.auth), 404) == "alert_not_found"
    response = client.post(f"{path}/acknowledge", headers=tenant.auth)
    assert error(response, 404) == "alert_not_found"
