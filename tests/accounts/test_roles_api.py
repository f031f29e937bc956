"""Roles: members read and act on alerts, admins configure, owners manage people."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.accounts.helpers import error, join
from tests.factories import Tenant, add_contact, make_tenant, ok

CONTACT = {"name": "Night shift", "phone": "+447400123457"}


def _members(client: TestClient, tenant: Tenant) -> dict[str, str]:
    items = ok(client.get(f"/v1/orgs/{tenant.org_id}/members", headers=tenant.auth))["items"]
    return {item["user_id"]: item["role"] for item in items}


def _admin_actions(tenant: Tenant) -> list[tuple[str, str, dict[str, Any] | None]]:
    org = f"/v1/orgs/{tenant.org_id}"
    return [
        ("POST", f"{org}/contacts", CONTACT),
        ("PATCH", f"{org}/contacts/{tenant.contact_id}", {"name": "Renamed"}),
        ("DELETE", f"{org}/contacts/{tenant.contact_id}", None),
        ("POST", f"{org}/endpoints", {"name": "Staging"}),
        ("PATCH", f"{org}/endpoints/{tenant.endpoint_id}", {"name": "Renamed"}),
        ("DELETE", f"{org}/endpoints/{tenant.endpoint_id}", None),
        ("POST", f"{org}/api-keys", {"name": "ci", "scopes": ["ingest"]}),
        ("GET", f"{org}/api-keys", None),
        ("POST", f"{org}/invites", {"role": "member"}),
        ("GET", f"{org}/invites", None),
        ("PATCH", org, {"name": "Renamed"}),
    ]


def test_member_cannot_configure_anything(client: TestClient) -> None:
    owner = make_tenant(client)
    member, _ = join(client, owner, "member", email="member@example.com")
    for method, path, body in _admin_actions(owner):
        response = client.request(method, path, json=body, headers=member)
        assert error(response, 403) == "insufficient_role", (method, path)
    # Nothing changed behind the refusals.
    endpoint = ok(
        client.get(f"/v1/orgs/{owner.org_id}/endpoints/{owner.endpoint_id}", headers=owner.auth)
    )
    assert (endpoint["name"], endpoint["contact_ids"]) == ("Production", [owner.contact_id])
    contacts = ok(client.get(f"/v1/orgs/{owner.org_id}/contacts", headers=owner.auth))["items"]
    assert [contact["name"] for contact in contacts] == ["On call"]


def test_member_can_read_and_handle_alerts(client: TestClient) -> None:
    owner = make_tenant(client)
    member, _ = join(client, owner, "member", email="member@example.com")
    org = f"/v1/orgs/{owner.org_id}"
    for path in (org, f"{org}/contacts", f"{org}/endpoints", f"{org}/members", f"{org}/alerts"):
        ok(client.get(path, headers=member))
    alert = ok(
        client.post(
            f"/v1/hooks/{owner.endpoint_id}", json={"title": "CPU"}, headers=owner.alert_key
        ),
        202,
    )
    acked = ok(client.post(f"{org}/alerts/{alert['alert_id']}/acknowledge", headers=member))
    assert acked["status"] == "acknowledged"
    resolved = ok(client.post(f"{org}/alerts/{alert['alert_id']}/resolve", headers=member))
    assert resolved["status"] == "resolved"


def test_admin_can_configure(client: TestClient) -> None:
    owner = make_tenant(client)
    admin, _ = join(client, owner, "admin", email="admin@example.com")
    org = f"/v1/orgs/{owner.org_id}"
    contact_id = add_contact(client, owner.org_id, admin, **CONTACT)
    endpoint = ok(
        client.post(
            f"{org}/endpoints",
            json={"name": "Staging", "contact_ids": [contact_id]},
            headers=admin,
        ),
        201,
    )
    assert endpoint["contact_ids"] == [contact_id]
    key = ok(client.post(f"{org}/api-keys", json={"name": "ci"}, headers=admin), 201)
    assert key["scopes"] == ["ingest"]
    created = ok(client.post(f"{org}/invites", json={"role": "admin"}, headers=admin), 201)
    assert created["role"] == "admin"
    assert ok(client.patch(org, json={"name": "Renamed"}, headers=admin))["name"] == "Renamed"
    revoked = client.delete(f"{org}/api-keys/{key['id']}", headers=admin)
    assert revoked.status_code == 204


def test_only_the_owner_changes_roles(client: TestClient) -> None:
    owner = make_tenant(client)
    admin, admin_id = join(client, owner, "admin", email="admin@example.com")
    member, member_id = join(client, owner, "member", email="member@example.com")
    org = f"/v1/orgs/{owner.org_id}"
    for caller in (admin, member):
        response = client.patch(
            f"{org}/members/{member_id}", json={"role": "admin"}, headers=caller
        )
        assert error(response, 403) == "insufficient_role"
    # An admin cannot promote themselves either.
    response = client.patch(f"{org}/members/{admin_id}", json={"role": "owner"}, headers=admin)
    assert error(response, 403) == "insufficient_role"
    assert _members(client, owner)[member_id] == "member"
    changed = client.patch(f"{org}/members/{member_id}", json={"role": "admin"}, headers=owner.auth)
    assert changed.status_code == 204
    assert _members(client, owner)[member_id] == "admin"
    ok(client.get(f"{org}/api-keys", headers=member))


def test_owner_removes_a_member_but_an_admin_cannot(client: TestClient) -> None:
    owner = make_tenant(client)
    admin, _ = join(client, owner, "admin", email="admin@example.com")
    member, member_id = join(client, owner, "member", email="member@example.com")
    path = f"/v1/orgs/{owner.org_id}/members/{member_id}"
    assert error(client.delete(path, headers=admin), 403) == "insufficient_role"
    assert client.delete(path, headers=owner.auth).status_code == 204
    assert member_id not in _members(client, owner)
    assert error(client.get(f"/v1/orgs/{owner.org_id}", headers=member), 404) == "org_not_found"


def test_member_may_leave(client: TestClient) -> None:
    owner = make_tenant(client)
    member, member_id = join(client, owner, "member", email="member@example.com")
    response = client.delete(f"/v1/orgs/{owner.org_id}/members/{member_id}", headers=member)
    assert response.status_code == 204
    assert member_id not in _members(client, owner)
    assert ok(client.get("/v1/me", headers=member))["organizations"] == []


def test_last_owner_cannot_be_demoted_or_removed(client: TestClient) -> None:
    owner = make_tenant(client)
    owner_id = ok(client.get("/v1/me", headers=owner.auth))["user"]["id"]
    path = f"/v1/orgs/{owner.org_id}/members/{owner_id}"
    demote = client.patch(path, json={"role": "admin"}, headers=owner.auth)
    assert error(demote, 409) == "last_owner"
    assert error(client.delete(path, headers=owner.auth), 409) == "last_owner"
    assert _members(client, owner) == {owner_id: "owner"}


def test_an_owner_can_step_down_once_there_is_another_owner(client: TestClient) -> None:
    owner = make_tenant(client)
    owner_id = ok(client.get("/v1/me", headers=owner.auth))["user"]["id"]
    second, second_id = join(client, owner, "admin", email="second@example.com")
    org = f"/v1/orgs/{owner.org_id}"
    promoted = client.patch(
        f"{org}/members/{second_id}", json={"role": "owner"}, headers=owner.auth
    )
    assert promoted.status_code == 204
    assert (
        client.patch(
            f"{org}/members/{owner_id}", json={"role": "member"}, headers=owner.auth
        ).status_code
        == 204
    )
    assert _members(client, owner) == {owner_id: "member", second_id: "owner"}
    # Now the second owner is the last one.
    demote = client.patch(f"{org}/members/{second_id}", json={"role": "admin"}, headers=second)
    assert error(demote, 409) == "last_owner"
    assert error(client.delete(f"{org}/members/{second_id}", headers=second), 409) == "last_owner"


def test_changing_the_role_of_a_non_member_is_not_found(client: TestClient) -> None:
    owner = make_tenant(client)
    response = client.patch(
        f"/v1/orgs/{owner.org_id}/members/usr_nobody", json={"role": "admin"}, headers=owner.auth
    )
    assert error(response, 404) == "member_not_found"
    response = client.delete(f"/v1/orgs/{owner.org_id}/members/usr_nobody", headers=owner.auth)
    assert error(response, 404) == "member_not_found"
