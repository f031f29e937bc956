"""Small request helpers shared by the accounts and API tests."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.factories import PASSWORD, Tenant, ok, signed_in_as, signed_in_tokens
from tocsin.accounts.service import find_user_by_email


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api_key_header(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def error(response: httpx.Response, status: int) -> str:
    """Assert the status and the error shape, and return the error code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str)
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    code: str = body["error"]["code"]
    return code


def user_id(client: TestClient, auth: dict[str, str]) -> str:
    me: dict[str, Any] = ok(client.get("/v1/me", headers=auth))
    value: str = me["user"]["id"]
    return value


def create_key(
    client: TestClient,
    tenant: Tenant,
    scopes: list[str],
    *,
    endpoint_id: str | None = None,
    name: str = "key",
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "scopes": scopes}
    if endpoint_id is not None:
        body["endpoint_id"] = endpoint_id
    created: dict[str, Any] = ok(
        client.post(f"/v1/orgs/{tenant.org_id}/api-keys", json=body, headers=tenant.auth), 201
    )
    return created


def invite(client: TestClient, tenant: Tenant, role: str = "member") -> dict[str, Any]:
    created: dict[str, Any] = ok(
        client.post(f"/v1/orgs/{tenant.org_id}/invites", json={"role": role}, headers=tenant.auth),
        201,
    )
    return created


def join(
    client: TestClient, tenant: Tenant, role: str, *, email: str
) -> tuple[dict[str, str], str]:
    """Sign a new person up with an invite into the tenant's org; their auth and user id."""
    code = invite(client, tenant, role)["code"]
    ok(
        client.post(
            "/v1/auth/signup", json={"email": email, "password": PASSWORD, "invite_code": code}
        ),
        202,
    )
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    with runtime.database.write() as session:
        tokens = signed_in_tokens(session, runtime, find_user_by_email(session, email).id)
    body = signed_in_as(client, tokens)
    assert body["organization"] == {**body["organization"], "id": tenant.org_id, "role": role}
    return bearer(tokens["access_token"]), body["user"]["id"]
