"""Invites: created by admins, shown once, single-use, expiring, and never granting owner."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.accounts.helpers import bearer, error, invite, join
from tests.factories import PASSWORD, make_tenant, ok, signup
from tocsin.accounts.models import Invite
from tocsin.core.clock import ManualClock
from tocsin.runtime import Runtime


def _accept(client: TestClient, code: str, auth: dict[str, str]) -> httpx.Response:
    response: httpx.Response = client.post("/v1/invites/accept", json={"code": code}, headers=auth)
    return response


def _refreshed_auth(client: TestClient, refresh_token: str) -> dict[str, str]:
    """After the clock jumps past an access token's life, the client refreshes it first."""
    tokens = ok(client.post("/v1/auth/refresh", json={"refresh_token": refresh_token}))
    return bearer(tokens["access_token"])


def _roles(client: TestClient, org_id: str, auth: dict[str, str]) -> dict[str, str]:
    members = ok(client.get(f"/v1/orgs/{org_id}/members", headers=auth))["items"]
    return {member["email"]: member["role"] for member in members}


def test_admin_invites_and_another_user_joins_with_the_invited_role(
    client: TestClient, runtime: Runtime
) -> None:
    host = make_tenant(client)
    created = invite(client, host, "admin")
    assert created["code"].startswith("inv_")
    assert created["role"] == "admin"
    assert created["used_at"] is None
    guest_email, guest = signup(client)
    guest_auth = bearer(guest["tokens"]["access_token"])
    joined = ok(_accept(client, created["code"], guest_auth))
    assert (joined["id"], joined["role"]) == (host.org_id, "admin")
    assert _roles(client, host.org_id, host.auth) == {host.email: "owner", guest_email: "admin"}
    # The new admin can do what admins do in that org.
    ok(client.get(f"/v1/orgs/{host.org_id}/api-keys", headers=guest_auth))
    listed = ok(client.get(f"/v1/orgs/{host.org_id}/invites", headers=host.auth))["items"]
    assert [item["id"] for item in listed] == [created["id"]]
    assert listed[0]["used_at"] is not None
    assert "code" not in listed[0]
    with runtime.database.read() as session:
        stored = session.scalars(select(Invite)).one()
        assert created["code"] not in stored.code_digest


def test_invite_code_works_only_once(client: TestClient) -> None:
    host = make_tenant(client)
    code = invite(client, host)["code"]
    _, first = signup(client)
    _, second = signup(client)
    ok(_accept(client, code, bearer(first["tokens"]["access_token"])))
    response = _accept(client, code, bearer(second["tokens"]["access_token"]))
    assert error(response, 409) == "invite_used"
    me = ok(client.get("/v1/me", headers=bearer(second["tokens"]["access_token"])))
    assert host.org_id not in {org["id"] for org in me["organizations"]}


def test_used_invite_cannot_open_signup_either(client: TestClient) -> None:
    host = make_tenant(client)
    code = invite(client, host)["code"]
    join_body = {"email": "late@example.com", "password": PASSWORD, "invite_code": code}
    ok(client.post("/v1/auth/signup", json=join_body), 202)
    again = {**join_body, "email": "later@example.com"}
    assert error(client.post("/v1/auth/signup", json=again), 409) == "invite_used"


def test_expired_invite_is_refused(
    client: TestClient, clock: ManualClock, runtime: Runtime
) -> None:
    host = make_tenant(client)
    code = invite(client, host)["code"]
    _, guest = signup(client)
    clock.advance(runtime.settings.invite_seconds)
    response = _accept(client, code, _refreshed_auth(client, guest["tokens"]["refresh_token"]))
    assert error(response, 409) == "invite_expired"


def test_invite_is_still_good_just_before_it_expires(
    client: TestClient, clock: ManualClock, runtime: Runtime
) -> None:
    host = make_tenant(client)
    code = invite(client, host)["code"]
    _, guest = signup(client)
    clock.advance(runtime.settings.invite_seconds - 1)
    guest_auth = _refreshed_auth(client, guest["tokens"]["refresh_token"])
    assert ok(_accept(client, code, guest_auth))["role"] == "member"


def test_signup_with_an_invite_joins_that_org_instead_of_creating_one(
    client: TestClient,
) -> None:
    host = make_tenant(client)
    auth, user_id = join(client, host, "member", email="newcomer@example.com")
    me = ok(client.get("/v1/me", headers=auth))
    assert me["user"]["id"] == user_id
    assert [(org["id"], org["role"]) for org in me["organizations"]] == [(host.org_id, "member")]


def test_owner_role_cannot_be_invited(client: TestClient) -> None:
    host = make_tenant(client)
    response = client.post(
        f"/v1/orgs/{host.org_id}/invites", json={"role": "owner"}, headers=host.auth
    )
    assert error(response, 422) == "invalid_role"
    assert ok(client.get(f"/v1/orgs/{host.org_id}/invites", headers=host.auth))["items"] == []


def test_revoked_invite_is_refused(client: TestClient) -> None:
    host = make_tenant(client)
    created = invite(client, host)
    revoked = client.delete(f"/v1/orgs/{host.org_id}/invites/{created['id']}", headers=host.auth)
    assert revoked.status_code == 204
    _, guest = signup(client)
    response = _accept(client, created["code"], bearer(guest["tokens"]["access_token"]))
    assert error(response, 404) == "invite_invalid"


def test_unknown_invite_code_is_refused(client: TestClient) -> None:
    _, guest = signup(client)
    response = _accept(client, "inv_doesnotexist", bearer(guest["tokens"]["access_token"]))
    assert error(response, 404) == "invite_invalid"


def test_invite_for_an_email_only_admits_that_email(client: TestClient) -> None:
    host = make_tenant(client)
    intended_email, intended = signup(client)
    _, other = signup(client)
    created = ok(
        client.post(
            f"/v1/orgs/{host.org_id}/invites",
            json={"role": "member", "email": intended_email.upper()},
            headers=host.auth,
        ),
        201,
    )
    assert created["email"] == intended_email
    response = _accept(client, created["code"], bearer(other["tokens"]["access_token"]))
    assert error(response, 403) == "invite_wrong_email"
    ok(_accept(client, created["code"], bearer(intended["tokens"]["access_token"])))


def test_existing_member_cannot_burn_an_invite(client: TestClient) -> None:
    host = make_tenant(client)
    code = invite(client, host)["code"]
    assert error(_accept(client, code, host.auth), 409) == "already_member"
    # The refused attempt left the code unused.
    _, guest = signup(client)
    ok(_accept(client, code, bearer(guest["tokens"]["access_token"])))
