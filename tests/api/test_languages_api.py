"""Choosing the language of the call prompts over the API: per organization, contact and member,
checked against the catalogue with one structured refusal."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests import seeded
from tests.accounts.helpers import error
from tests.factories import ok
from tocsin.audit.actions import AuditAction
from tocsin.audit.models import AuditEvent
from tocsin.runtime import Runtime
from tocsin.telephony.prompts import LANGUAGES


def test_an_organization_chooses_its_language(client: TestClient, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Languages org")
    url = f"/v1/orgs/{owner.org_id}"
    assert ok(client.get(url, headers=owner.auth))["language"] == "en"
    changed = ok(client.patch(url, json={"language": "uk"}, headers=owner.auth))
    assert changed["language"] == "uk"
    assert ok(client.get(url, headers=owner.auth))["language"] == "uk"
    with runtime.database.read() as session:
        event = session.query(AuditEvent).filter_by(action=AuditAction.ORG_UPDATED).one()
        assert event.details == {"language": "uk", "language_before": "en"}


@pytest.mark.parametrize("given", ["xx", "", "ES", "es-ES"])
def test_an_unknown_organization_language_is_refused_with_the_list(
    client: TestClient, runtime: Runtime, given: str
) -> None:
    owner = seeded.person(runtime, org_name="Languages org")
    url = f"/v1/orgs/{owner.org_id}"
    response = client.patch(url, json={"language": given, "name": "Renamed"}, headers=owner.auth)
    assert error(response, 422) == "unknown_language"
    assert "es, fr, de" in response.json()["error"]["message"]
    # Nothing else of the request changed either.
    after = ok(client.get(url, headers=owner.auth))
    assert (after["language"], after["name"]) == ("en", "Languages org")


def test_a_contact_overrides_the_organizations_language(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Languages contacts")
    url = f"/v1/orgs/{owner.org_id}/contacts"
    created = ok(
        client.post(url, json={"name": "Desk", "phone": "+447400620001", "language": "fr"},
                    headers=owner.auth),
        201,
    )  # fmt: skip
    assert created["language"] == "fr"
    plain = ok(
        client.post(url, json={"name": "Plain", "phone": "+447400620002"}, headers=owner.auth),
        201,
    )
    assert plain["language"] is None
    contact = f"{url}/{created['id']}"
    assert ok(client.patch(contact, json={"language": "pl"}, headers=owner.auth))["language"] == (
        "pl"
    )
    # A rename leaves the language alone; an empty one goes back to the organization's.
    assert ok(client.patch(contact, json={"name": "Desk 2"}, headers=owner.auth))["language"] == (
        "pl"
    )
    assert ok(client.patch(contact, json={"language": ""}, headers=owner.auth))["language"] is None
    refused = client.patch(contact, json={"language": "klingon"}, headers=owner.auth)
    assert error(refused, 422) == "unknown_language"
    refused = client.post(
        url, json={"name": "X", "phone": "+447400620003", "language": "xx"}, headers=owner.auth
    )
    assert error(refused, 422) == "unknown_language"
    names = [c["name"] for c in ok(client.get(url, headers=owner.auth))["items"]]
    assert "X" not in names


def test_a_member_chooses_their_own_language_and_an_admin_may_for_them(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Languages people")
    ana = seeded.member(runtime, owner.org_id)
    bob = seeded.member(runtime, owner.org_id)
    url = f"/v1/orgs/{owner.org_id}/people/{ana.user_id}"
    assert ok(client.get(url, headers=ana.auth))["language"] is None
    assert ok(client.patch(url, json={"language": "de"}, headers=ana.auth)) == {"language": "de"}
    assert ok(client.get(url, headers=owner.auth))["language"] == "de"
    # Another plain member may not; an admin may, and an empty one is the organization's.
    assert error(client.patch(url, json={"language": "it"}, headers=bob.auth), 403) == (
        "insufficient_role"
    )
    assert ok(client.patch(url, json={"language": ""}, headers=owner.auth)) == {"language": None}
    assert error(client.patch(url, json={"language": "xx"}, headers=ana.auth), 422) == (
        "unknown_language"
    )
    people = ok(client.get(f"/v1/orgs/{owner.org_id}/people", headers=owner.auth))["items"]
    assert {person["user_id"]: person["language"] for person in people}[ana.user_id] is None


def test_the_description_offers_the_languages(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    org = schemas["OrgUpdateIn"]["properties"]["language"]
    assert org["anyOf"][0]["enum"] == list(LANGUAGES)
    assert "es, fr, de, pt, it, pl, uk" in org["description"]
    member = schemas["PersonSettingsIn"]["properties"]["language"]
    # Where a member or contact may go back to the organization's language, "" says so.
    assert member["enum"] == [*LANGUAGES, ""]
    for name in ("ContactIn", "ContactPatch", "PersonSettingsIn", "OrgOut", "ContactOut"):
        assert schemas[name]["properties"]["language"]["description"]
