"""Contacts and endpoints through the management API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.accounts.helpers import error
from tests.factories import add_contact, make_tenant, ok


def test_contact_phone_is_stored_in_e164(client: TestClient) -> None:
    tenant = make_tenant(client)
    org = f"/v1/orgs/{tenant.org_id}"
    national = ok(
        client.post(
            f"{org}/contacts",
            json={"name": "  Ops   desk ", "phone": "07400 123458", "region": "gb"},
            headers=tenant.auth,
        ),
        201,
    )
    assert (national["name"], national["phone_e164"]) == ("Ops desk", "+447400123458")
    spaced = ok(
        client.post(
            f"{org}/contacts",
            json={"name": "Spaced", "phone": "+44 7400 123459"},
            headers=tenant.auth,
        ),
        201,
    )
    assert spaced["phone_e164"] == "+447400123459"


@pytest.mark.parametrize("phone", ["12", "not a number", "+4474001234589999", "+44 7400 12345"])
def test_invalid_phone_is_refused_with_the_reason(client: TestClient, phone: str) -> None:
    tenant = make_tenant(client)
    response = client.post(
        f"/v1/orgs/{tenant.org_id}/contacts",
        json={"name": "Bad", "phone": phone},
        headers=tenant.auth,
    )
    assert error(response, 422) == "number_blocked"
    assert [reason["code"] for reason in response.json()["error"]["details"]["reasons"]] == [
        "invalid"
    ]


def test_national_format_is_read_in_the_home_country(client: TestClient) -> None:
    tenant = make_tenant(client)  # the test settings make GB the default home country
    contact = ok(
        client.post(
            f"/v1/orgs/{tenant.org_id}/contacts",
            json={"name": "National", "phone": "07400 123458"},
            headers=tenant.auth,
        ),
        201,
    )
    assert contact["phone_e164"] == "+447400123458"


def test_contact_update_changes_only_what_is_given(client: TestClient) -> None:
    tenant = make_tenant(client)
    path = f"/v1/orgs/{tenant.org_id}/contacts/{tenant.contact_id}"
    renamed = ok(client.patch(path, json={"name": "Primary"}, headers=tenant.auth))
    assert (renamed["name"], renamed["phone_e164"]) == ("Primary", "+447400123456")
    moved = ok(client.patch(path, json={"phone": "+447400123450"}, headers=tenant.auth))
    assert (moved["name"], moved["phone_e164"]) == ("Primary", "+447400123450")
    assert ok(client.get(path, headers=tenant.auth)) == moved


def test_endpoint_shows_its_webhook_url_and_ordered_contacts(client: TestClient) -> None:
    tenant = make_tenant(client)
    org = f"/v1/orgs/{tenant.org_id}"
    backup = {
        "id": add_contact(client, tenant.org_id, tenant.auth, name="Backup", phone="+447400123457")
    }
    endpoint = ok(
        client.post(
            f"{org}/endpoints",
            json={
                "name": "Both",
                "routing": "all",
                "contact_ids": [backup["id"], tenant.contact_id],
            },
            headers=tenant.auth,
        ),
        201,
    )
    assert endpoint["webhook_url"] == f"http://tocsin.test/v1/hooks/{endpoint['id']}"
    assert endpoint["contact_ids"] == [backup["id"], tenant.contact_id]
    assert endpoint["routing"] == "all"
    assert endpoint["require_key"] is True
    reordered = ok(
        client.patch(
            f"{org}/endpoints/{endpoint['id']}",
            json={"contact_ids": [tenant.contact_id, backup["id"]]},
            headers=tenant.auth,
        )
    )
    assert reordered["contact_ids"] == [tenant.contact_id, backup["id"]]
    assert reordered["name"] == "Both"


def test_endpoint_refuses_a_contact_listed_twice(client: TestClient) -> None:
    tenant = make_tenant(client)
    response = client.post(
        f"/v1/orgs/{tenant.org_id}/endpoints",
        json={"name": "Dup", "contact_ids": [tenant.contact_id, tenant.contact_id]},
        headers=tenant.auth,
    )
    assert error(response, 422) == "duplicate_contact"


def test_deleted_contact_leaves_the_endpoints_that_called_it(client: TestClient) -> None:
    tenant = make_tenant(client)
    org = f"/v1/orgs/{tenant.org_id}"
    deleted = client.delete(f"{org}/contacts/{tenant.contact_id}", headers=tenant.auth)
    assert deleted.status_code == 204
    endpoint = ok(client.get(f"{org}/endpoints/{tenant.endpoint_id}", headers=tenant.auth))
    assert endpoint["contact_ids"] == []
    response = client.get(f"{org}/contacts/{tenant.contact_id}", headers=tenant.auth)
    assert error(response, 404) == "contact_not_found"


def test_deleted_endpoint_no_longer_takes_alerts(client: TestClient) -> None:
    tenant = make_tenant(client)
    path = f"/v1/orgs/{tenant.org_id}/endpoints/{tenant.endpoint_id}"
    assert client.delete(path, headers=tenant.auth).status_code == 204
    assert error(client.get(path, headers=tenant.auth), 404) == "endpoint_not_found"
    response = client.post(
        f"/v1/hooks/{tenant.endpoint_id}", json={"title": "late"}, headers=tenant.alert_key
    )
    assert error(response, 404) == "endpoint_not_found"
