"""Helpers that build tenants through the public API, so tests read as what a user does."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tocsin.accounts.email_addresses import verify_by_operator
from tocsin.accounts.service import find_user_by_email, issue_tokens
from tocsin.audit.log import SYSTEM
from tocsin.db.session import Session
from tocsin.runtime import Runtime
from tocsin.telephony.simulator import code_heard

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


def signup(
    client: TestClient, *, org_name: str | None = None, email_verified: bool = True
) -> tuple[str, dict[str, Any]]:
    """A sign-up over the API; the address is then verified as `tocsin user verify-email` does
    it (following the mailed link is tests/mail's subject), unless `email_verified` is False,
    and the person signed in. The body is the user, their organization and their tokens."""
    email = f"user{next(_counter)}@example.com"
    ok(
        client.post(
            "/v1/auth/signup",
            json={"email": email, "password": PASSWORD, "organization_name": org_name},
        ),
        202,
    )
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    with runtime.database.write() as session:
        if email_verified:
            verify_by_operator(session, email=email, actor=SYSTEM, now=runtime.clock.now())
        tokens = signed_in_tokens(session, runtime, find_user_by_email(session, email).id)
    return email, {**signed_in_as(client, tokens), "tokens": tokens}


def signed_in_tokens(session: Session, runtime: Runtime, user_id: str) -> dict[str, Any]:
    """Tokens as signing in issues them (`POST /v1/auth/login`'s subject is signing in; a
    password hash a sign-in costs would slow every test that builds a tenant)."""
    pair = issue_tokens(
        session,
        user_id=user_id,
        codec=runtime.tokens,
        now=runtime.clock.now(),
        access_lifetime=runtime.access_lifetime,
        refresh_lifetime=runtime.refresh_lifetime,
    )
    return {
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "token_type": "bearer",
        "expires_in": pair.expires_in,
    }


def signed_in_as(client: TestClient, tokens: dict[str, Any]) -> dict[str, Any]:
    """The user and their (first) organization with their role, as `GET /v1/me` shows them."""
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = ok(client.get("/v1/me", headers=auth))
    return {"user": me["user"], "organization": me["organizations"][0]}


def make_tenant(client: TestClient, *, phone: str = "+447400123456") -> Tenant:
    email, body = signup(client, org_name=f"Org of {phone}")
    tokens = body["tokens"]
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    org_id = body["organization"]["id"]
    contact_id = add_contact(client, org_id, auth, phone=phone)
    endpoint = ok(
        client.post(f"/v1/orgs/{org_id}/endpoints",
                    json={"name": "Production", "contact_ids": [contact_id]}, headers=auth),
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
        contact_id=contact_id,
        endpoint_id=endpoint["id"],
        ingest_key=key["key"],
    )


def code_sent(client: TestClient, verification_id: str) -> str:
    """The code the simulated phone heard (or was texted) for a verification."""
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    return code_in_simulator(runtime.settings.data_dir, verification_id)


def code_in_simulator(data_dir: Path, verification_id: str) -> str:
    code = code_heard(data_dir, verification_id)
    assert code is not None, f"no code was sent for {verification_id}"
    return code


def verify_contact(
    client: httpx.Client,
    org_id: str,
    contact_id: str,
    headers: dict[str, str],
    *,
    data_dir: Path | None = None,
) -> dict[str, Any]:
    """Verify a contact's number the way its owner would: ask for a code, type it back.

    The code is read where the server's simulator wrote it: `data_dir`, or for a TestClient
    its app's own."""
    base = f"/v1/orgs/{org_id}/contacts/{contact_id}/verification"
    sent = ok(client.post(base, headers=headers), 202)
    verification_id = sent["verification_id"]
    if data_dir is None:
        assert isinstance(client, TestClient), "a server in another process needs its data_dir"
        code = code_sent(client, verification_id)
    else:
        code = code_in_simulator(data_dir, verification_id)
    confirmed: dict[str, Any] = ok(
        client.post(
            f"{base}/confirm",
            json={"code": code, "verification_id": sent["verification_id"]},
            headers=headers,
        )
    )
    return confirmed


def add_contact(
    client: TestClient,
    org_id: str,
    headers: dict[str, str],
    *,
    phone: str,
    name: str = "On call",
    verified: bool = True,
) -> str:
    """A contact, verified by its owner unless `verified` is False."""
    contact = ok(
        client.post(
            f"/v1/orgs/{org_id}/contacts", json={"name": name, "phone": phone}, headers=headers
        ),
        201,
    )
    if verified:
        verify_contact(client, org_id, contact["id"], headers)
    contact_id: str = contact["id"]
    return contact_id


def alert_dials(simulator_root: Path) -> list[dict[str, Any]]:
    """The simulator's dial requests for alerts, duplicates included; verification calls (keys
    `verify/...`) are left out."""
    path = simulator_root / "dials.log"
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return [line for line in lines if not line["idempotency_key"].startswith("verify/")]


def consent_written_directly(database: Any, org_id: str, number: str, at: Any) -> None:
    """A consent record put straight into the database, as if it got past the API somehow:
    for tests of what dial time does with whatever the tables hold."""
    from tocsin.core.ids import new_id
    from tocsin.numbers.models import ConsentRecord

    with database.write() as session:
        session.add(
            ConsentRecord(
                id=new_id("cns"),
                org_id=org_id,
                phone_e164=number,
                verification_id="ver_written_directly",
                method="call",
                actor_type="test",
                policy_version="test",
                created_at=at,
            )
        )
