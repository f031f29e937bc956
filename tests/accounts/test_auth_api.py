"""Sign-in, token rotation and sign-out through the HTTP API (sign-up: test_sign_up_api.py)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.accounts.helpers import bearer, error, invite
from tests.factories import PASSWORD, make_tenant, ok, signup
from tocsin.accounts.models import RefreshToken
from tocsin.audit.models import AuditEvent
from tocsin.core.clock import ManualClock
from tocsin.runtime import Runtime


def _login(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def _refresh(client: TestClient, token: str) -> Any:
    return client.post("/v1/auth/refresh", json={"refresh_token": token})


# Login ------------------------------------------------------------------------------------------


def test_login_returns_working_tokens(client: TestClient) -> None:
    email, _ = signup(client)
    tokens = ok(_login(client, email.upper()))
    me = ok(client.get("/v1/me", headers=bearer(tokens["access_token"])))
    assert me["user"]["email"] == email


def test_wrong_password_and_unknown_email_look_the_same(client: TestClient) -> None:
    email, _ = signup(client)
    wrong_password = _login(client, email, PASSWORD + "x")
    unknown_email = _login(client, "nobody@example.com")
    malformed_email = _login(client, "nobody")
    assert error(wrong_password, 401) == "invalid_credentials"
    assert error(unknown_email, 401) == "invalid_credentials"
    assert error(malformed_email, 401) == "invalid_credentials"
    assert wrong_password.json() == unknown_email.json() == malformed_email.json()


# Tokens -----------------------------------------------------------------------------------------


def test_refresh_rotates_to_a_new_working_pair(client: TestClient) -> None:
    _, body = signup(client)
    first = body["tokens"]
    second = ok(_refresh(client, first["refresh_token"]))
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    ok(client.get("/v1/me", headers=bearer(second["access_token"])))
    third = ok(_refresh(client, second["refresh_token"]))
    ok(client.get("/v1/me", headers=bearer(third["access_token"])))


def test_reused_refresh_token_revokes_the_whole_family(
    client: TestClient, runtime: Runtime
) -> None:
    _, body = signup(client)
    stolen = body["tokens"]["refresh_token"]
    newer = ok(_refresh(client, stolen))["refresh_token"]
    assert error(_refresh(client, stolen), 401) == "token_reused"
    # The legitimate holder of the newer token is signed out too: the family is burned.
    assert error(_refresh(client, newer), 401) == "token_revoked"
    with runtime.database.read() as session:
        rows = list(session.scalars(select(RefreshToken)))
        assert len(rows) == 2
        assert all(row.revoked_at is not None for row in rows)
        reuse = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.refresh_token_reused")
        ).one()
        assert reuse.target_id == body["user"]["id"]


def test_reuse_in_one_family_leaves_other_sessions_alone(client: TestClient) -> None:
    email, body = signup(client)
    other_session = ok(_login(client, email))["refresh_token"]
    stolen = body["tokens"]["refresh_token"]
    ok(_refresh(client, stolen))
    assert error(_refresh(client, stolen), 401) == "token_reused"
    ok(_refresh(client, other_session))


def test_logout_revokes_the_refresh_token(client: TestClient) -> None:
    _, body = signup(client)
    refresh_token = body["tokens"]["refresh_token"]
    response = client.post("/v1/auth/logout", json={"refresh_token": refresh_token})
    assert response.status_code == 204
    assert error(_refresh(client, refresh_token), 401) == "token_revoked"


def test_logout_revokes_tokens_rotated_from_the_same_login(client: TestClient) -> None:
    _, body = signup(client)
    rotated = ok(_refresh(client, body["tokens"]["refresh_token"]))["refresh_token"]
    ok(client.post("/v1/auth/logout", json={"refresh_token": rotated}), 204)
    assert error(_refresh(client, rotated), 401) == "token_revoked"


def test_access_token_cannot_be_used_to_refresh(client: TestClient) -> None:
    _, body = signup(client)
    assert error(_refresh(client, body["tokens"]["access_token"]), 401) == "invalid_token"


def test_refresh_token_cannot_be_used_as_access_token(client: TestClient) -> None:
    _, body = signup(client)
    response = client.get("/v1/me", headers=bearer(body["tokens"]["refresh_token"]))
    assert error(response, 401) == "invalid_token"


def test_expired_access_token_is_refused_and_refresh_still_works(
    client: TestClient, clock: ManualClock, runtime: Runtime
) -> None:
    _, body = signup(client)
    tokens = body["tokens"]
    clock.advance(runtime.settings.access_token_seconds - 1)
    ok(client.get("/v1/me", headers=bearer(tokens["access_token"])))
    clock.advance(1)
    assert error(client.get("/v1/me", headers=bearer(tokens["access_token"])), 401) == (
        "token_expired"
    )
    fresh = ok(_refresh(client, tokens["refresh_token"]))
    ok(client.get("/v1/me", headers=bearer(fresh["access_token"])))


def test_expired_refresh_token_is_refused(
    client: TestClient, clock: ManualClock, runtime: Runtime
) -> None:
    _, body = signup(client)
    clock.advance(runtime.settings.refresh_token_seconds)
    assert error(_refresh(client, body["tokens"]["refresh_token"]), 401) == "token_expired"


def test_tokens_issued_far_in_the_injected_future_work(
    client: TestClient, clock: ManualClock
) -> None:
    clock.advance(100 * 365 * 24 * 3600)
    _, body = signup(client)
    ok(client.get("/v1/me", headers=bearer(body["tokens"]["access_token"])))
    ok(_refresh(client, body["tokens"]["refresh_token"]))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-jwt"},
    ],
)
def test_me_needs_a_valid_bearer_token(client: TestClient, headers: dict[str, str]) -> None:
    code = error(client.get("/v1/me", headers=headers), 401)
    assert code in {"unauthenticated", "invalid_token"}


def test_me_lists_every_org_with_the_role_held_there(client: TestClient) -> None:
    host = make_tenant(client)
    _, guest = signup(client, org_name="Guest Org")
    guest_auth = bearer(guest["tokens"]["access_token"])
    code = invite(client, host, "admin")["code"]
    ok(client.post("/v1/invites/accept", json={"code": code}, headers=guest_auth))
    me = ok(client.get("/v1/me", headers=guest_auth))
    roles = {org["id"]: org["role"] for org in me["organizations"]}
    assert roles == {guest["organization"]["id"]: "owner", host.org_id: "admin"}
    host_me = ok(client.get("/v1/me", headers=host.auth))
    assert [org["id"] for org in host_me["organizations"]] == [host.org_id]


def test_new_org_makes_its_creator_owner(client: TestClient) -> None:
    _, body = signup(client)
    auth = bearer(body["tokens"]["access_token"])
    created = ok(client.post("/v1/orgs", json={"name": "Second  Org"}, headers=auth), 201)
    assert (created["name"], created["role"]) == ("Second Org", "owner")
    me = ok(client.get("/v1/me", headers=auth))
    assert {org["id"] for org in me["organizations"]} == {
        body["organization"]["id"],
        created["id"],
    }
