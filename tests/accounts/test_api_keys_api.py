"""API keys: shown once, scoped, revocable, endpoint-bound, and never managing people or keys."""

from __future__ import annotations

import re
from datetime import datetime

import httpx
from fastapi.testclient import TestClient

from tests.accounts.helpers import api_key_header, bearer, create_key, error
from tests.factories import Tenant, make_tenant, ok
from tocsin.core.clock import ManualClock

KEY_FORMAT = re.compile(r"^tk_[a-z0-9]{12}_[A-Za-z0-9]{40}$")
CONTACT = {"name": "Night shift", "phone": "+447400123457"}


def _keys(client: TestClient, tenant: Tenant) -> dict[str, dict[str, object]]:
    items = ok(client.get(f"/v1/orgs/{tenant.org_id}/api-keys", headers=tenant.auth))["items"]
    return {item["id"]: item for item in items}


def _hook(client: TestClient, endpoint_id: str, key: str) -> httpx.Response:
    response: httpx.Response = client.post(
        f"/v1/hooks/{endpoint_id}", json={"title": "Disk full"}, headers={"X-Alert-Key": key}
    )
    return response


def test_created_key_is_shown_once_and_never_listed(client: TestClient) -> None:
    tenant = make_tenant(client)
    created = create_key(client, tenant, ["read", "write"], name="terraform")
    assert KEY_FORMAT.match(created["key"])
    assert created["key"].split("_")[1] == created["public_id"]
    assert created["scopes"] == ["read", "write"]
    listed = _keys(client, tenant)
    assert created["id"] in listed
    assert len(listed) == 2  # the factory's ingest key and this one
    for item in listed.values():
        assert "key" not in item
        assert all(created["key"] not in str(value) for value in item.values())
    assert listed[created["id"]]["name"] == "terraform"


def test_ingest_only_key_cannot_read_the_api(client: TestClient) -> None:
    tenant = make_tenant(client)
    headers = api_key_header(tenant.ingest_key)
    response = client.get(f"/v1/orgs/{tenant.org_id}/endpoints", headers=headers)
    assert error(response, 403) == "insufficient_scope"
    response = client.post(f"/v1/orgs/{tenant.org_id}/contacts", json=CONTACT, headers=headers)
    assert error(response, 403) == "insufficient_scope"


def test_read_key_lists_but_cannot_write(client: TestClient) -> None:
    tenant = make_tenant(client)
    headers = api_key_header(create_key(client, tenant, ["read"])["key"])
    endpoints = ok(client.get(f"/v1/orgs/{tenant.org_id}/endpoints", headers=headers))
    assert [item["id"] for item in endpoints["items"]] == [tenant.endpoint_id]
    response = client.post(f"/v1/orgs/{tenant.org_id}/contacts", json=CONTACT, headers=headers)
    assert error(response, 403) == "insufficient_scope"
    alert = ok(_hook(client, tenant.endpoint_id, tenant.ingest_key), 202)
    response = client.post(
        f"/v1/orgs/{tenant.org_id}/alerts/{alert['alert_id']}/acknowledge", headers=headers
    )
    assert error(response, 403) == "insufficient_scope"


def test_write_key_creates_contacts(client: TestClient) -> None:
    tenant = make_tenant(client)
    headers = api_key_header(create_key(client, tenant, ["write"])["key"])
    created = ok(
        client.post(f"/v1/orgs/{tenant.org_id}/contacts", json=CONTACT, headers=headers), 201
    )
    assert created["phone_e164"] == "+447400123457"
    names = ok(client.get(f"/v1/orgs/{tenant.org_id}/contacts", headers=tenant.auth))["items"]
    assert {item["name"] for item in names} == {"On call", "Night shift"}


def test_non_ingest_key_cannot_send_alerts(client: TestClient) -> None:
    tenant = make_tenant(client)
    key = create_key(client, tenant, ["read", "write"])["key"]
    assert error(_hook(client, tenant.endpoint_id, key), 403) == "insufficient_scope"


def test_key_works_as_a_bearer_token_too(client: TestClient) -> None:
    tenant = make_tenant(client)
    key = create_key(client, tenant, ["read"])["key"]
    ok(client.get(f"/v1/orgs/{tenant.org_id}/contacts", headers=bearer(key)))


def test_revoked_key_is_refused_on_ingest_and_api(client: TestClient) -> None:
    tenant = make_tenant(client)
    created = create_key(client, tenant, ["ingest", "read"])
    ok(_hook(client, tenant.endpoint_id, created["key"]), 202)
    ok(client.get(f"/v1/orgs/{tenant.org_id}", headers=api_key_header(created["key"])))
    revoked = client.delete(
        f"/v1/orgs/{tenant.org_id}/api-keys/{created['id']}", headers=tenant.auth
    )
    assert revoked.status_code == 204
    assert _keys(client, tenant)[created["id"]]["revoked_at"] is not None
    assert error(_hook(client, tenant.endpoint_id, created["key"]), 401) == "invalid_key"
    response = client.get(f"/v1/orgs/{tenant.org_id}", headers=api_key_header(created["key"]))
    assert error(response, 401) == "invalid_key"
    # Other keys of the org are untouched.
    ok(_hook(client, tenant.endpoint_id, tenant.ingest_key), 202)


def test_made_up_key_is_refused(client: TestClient) -> None:
    tenant = make_tenant(client)
    forged = tenant.ingest_key[:-4] + "AAAA"
    assert error(_hook(client, tenant.endpoint_id, forged), 401) == "invalid_key"
    response = client.get(f"/v1/orgs/{tenant.org_id}", headers=api_key_header(forged))
    assert error(response, 401) == "invalid_key"


def test_last_used_at_is_set_by_api_use_and_by_ingest(
    client: TestClient, clock: ManualClock
) -> None:
    tenant = make_tenant(client)
    reader = create_key(client, tenant, ["read"])
    assert reader["last_used_at"] is None
    ok(client.get(f"/v1/orgs/{tenant.org_id}/contacts", headers=api_key_header(reader["key"])))
    keys = _keys(client, tenant)
    assert _when(keys[reader["id"]]["last_used_at"]) == clock.now()
    ingest_id = next(key_id for key_id, item in keys.items() if item["name"] == "alertmanager")
    assert keys[ingest_id]["last_used_at"] is None
    clock.advance(120)
    ok(_hook(client, tenant.endpoint_id, tenant.ingest_key), 202)
    assert _when(_keys(client, tenant)[ingest_id]["last_used_at"]) == clock.now()


def test_last_used_at_is_refreshed_at_most_once_a_minute(
    client: TestClient, clock: ManualClock
) -> None:
    tenant = make_tenant(client)
    reader = create_key(client, tenant, ["read"])
    path = f"/v1/orgs/{tenant.org_id}"
    ok(client.get(path, headers=api_key_header(reader["key"])))
    first_use = clock.now()
    clock.advance(30)
    ok(client.get(path, headers=api_key_header(reader["key"])))
    assert _when(_keys(client, tenant)[reader["id"]]["last_used_at"]) == first_use
    clock.advance(31)
    ok(client.get(path, headers=api_key_header(reader["key"])))
    assert _when(_keys(client, tenant)[reader["id"]]["last_used_at"]) == clock.now()


def _when(value: object) -> datetime:
    assert isinstance(value, str)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_endpoint_bound_key_sends_only_to_its_endpoint(client: TestClient) -> None:
    tenant = make_tenant(client)
    other = ok(
        client.post(
            f"/v1/orgs/{tenant.org_id}/endpoints", json={"name": "Staging"}, headers=tenant.auth
        ),
        201,
    )
    bound = create_key(client, tenant, ["ingest"], endpoint_id=tenant.endpoint_id)
    assert bound["endpoint_id"] == tenant.endpoint_id
    ok(_hook(client, tenant.endpoint_id, bound["key"]), 202)
    assert error(_hook(client, other["id"], bound["key"]), 403) == "key_wrong_endpoint"
    # An unbound key of the same org may send to either.
    ok(_hook(client, other["id"], tenant.ingest_key), 202)


def test_key_cannot_be_bound_to_an_unknown_endpoint(client: TestClient) -> None:
    tenant = make_tenant(client)
    response = client.post(
        f"/v1/orgs/{tenant.org_id}/api-keys",
        json={"name": "ci", "endpoint_id": "ep_doesnotexist"},
        headers=tenant.auth,
    )
    assert error(response, 404) == "endpoint_not_found"


def test_key_needs_known_scopes(client: TestClient) -> None:
    tenant = make_tenant(client)
    path = f"/v1/orgs/{tenant.org_id}/api-keys"
    response = client.post(path, json={"name": "x", "scopes": []}, headers=tenant.auth)
    assert error(response, 422) == "invalid_scope"
    response = client.post(path, json={"name": "x", "scopes": ["admin"]}, headers=tenant.auth)
    assert error(response, 422) == "invalid"


def test_api_keys_cannot_manage_keys_invites_members_or_the_org(client: TestClient) -> None:
    tenant = make_tenant(client)
    everything = create_key(client, tenant, ["ingest", "read", "write"])
    owner_id = ok(client.get("/v1/me", headers=tenant.auth))["user"]["id"]
    org = f"/v1/orgs/{tenant.org_id}"
    attempts: list[tuple[str, str, dict[str, object] | None]] = [
        ("POST", f"{org}/api-keys", {"name": "escalated", "scopes": ["write"]}),
        ("GET", f"{org}/api-keys", None),
        ("DELETE", f"{org}/api-keys/{everything['id']}", None),
        ("POST", f"{org}/invites", {"role": "admin"}),
        ("GET", f"{org}/invites", None),
        ("GET", f"{org}/members", None),
        ("PATCH", f"{org}/members/{owner_id}", {"role": "admin"}),
        ("DELETE", f"{org}/members/{owner_id}", None),
        ("PATCH", org, {"name": "Renamed"}),
        ("GET", "/v1/me", None),
        ("POST", "/v1/orgs", {"name": "Another"}),
        ("POST", "/v1/invites/accept", {"code": "inv_x"}),
    ]
    for method, path, body in attempts:
        response = client.request(
            method, path, json=body, headers=api_key_header(everything["key"])
        )
        assert error(response, 403) == "user_required", (method, path)
    keys = _keys(client, tenant)
    assert len(keys) == 2
    assert keys[everything["id"]]["revoked_at"] is None
    assert ok(client.get(org, headers=tenant.auth))["name"] == "Org of +447400123456"


def test_the_api_key_header_takes_api_keys_only(client: TestClient) -> None:
    tenant = make_tenant(client)
    response = client.get(
        f"/v1/orgs/{tenant.org_id}/endpoints", headers=api_key_header(tenant.access_token)
    )
    assert error(response, 401) == "invalid_key"


def test_deleting_an_endpoint_revokes_the_keys_bound_to_it(client: TestClient) -> None:
    tenant = make_tenant(client)
    bound = create_key(client, tenant, ["ingest"], endpoint_id=tenant.endpoint_id, name="bound")
    ok(
        client.delete(
            f"/v1/orgs/{tenant.org_id}/endpoints/{tenant.endpoint_id}", headers=tenant.auth
        ),
        204,
    )
    keys = ok(client.get(f"/v1/orgs/{tenant.org_id}/api-keys", headers=tenant.auth))["items"]
    revoked = {key["name"]: key["revoked_at"] is not None for key in keys}
    assert revoked == {"alertmanager": False, "bound": True}
    assert bound["id"] in {key["id"] for key in keys}
