"""Helpers that build tenants through the public API, so tests read as what a user does."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


@dataclass
class Tenant:
    """A signed-up user with their own organization, one contact, one endpoint and an ingest key."""

    email: str
    access_token: str
    refresh_token: str
    org_id: str
    contact_id: str
    endpoint_id: str
    ingest_key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    @property
    def alert_key(self) -> dict[str, str]:
        return {"X-Alert-Key": self.ingest_key}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def signup(client: TestClient, *, org_name: str | None = None) -> tuple[str, dict[str, Any]]:
    email = f"user{next(_counter)}@example.com"
    body = ok(
        client.post(
            "/v1/auth/signup",
            json={"email": email, "password": PASSWORD, "organization_name": org_name},
        ),
        201,
    )
    return email, body


def make_tenant(client: TestClient, *, phone: str = "+447400123456") -> Tenant:
    email, body = signup(client, org_name=f"Org of {phone}")
    tokens = body["tokens"]
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    org_id = body["organization"]["id"]
    contact = ok(
        client.post(f"/v1/orgs/{org_id}/contacts", json={"name": "On call", "phone": phone},
                    headers=auth),
        201,
    )  # fmt: skip
    endpoint = ok(
        client.post(f"/v1/orgs/{org_id}/endpoints",
                    json={"name": "Production", "contact_ids": [contact["id"]]}, headers=auth),
        201,
    )  # fmt: skip
    key = ok(
        client.post(f"/v1/orgs/{org_id}/api-keys", json={"name": "alertmanager"}, headers=auth),
        201,
    )
    return Tenant(
        email=email,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        org_id=org_id,
        contact_id=contact["id"],
        endpoint_id=endpoint["id"],
        ingest_key=key["key"],
    )
