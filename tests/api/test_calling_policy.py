"""An organization's calling policy: home country, international calling, allowed countries,
and the platform blocks that none of it can lift."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests import seeded
from tests.accounts.helpers import error, join
from tests.factories import Tenant, ok
from tocsin.runtime import Runtime


def _policy_path(tenant: Tenant) -> str:
    return f"/v1/orgs/{tenant.org_id}/calling-policy"


def _add_contact(client: TestClient, tenant: Tenant, phone: str) -> object:
    return client.post(
        f"/v1/orgs/{tenant.org_id}/contacts",
        json={"name": "Someone", "phone": phone},
        headers=tenant.auth,
    )


def test_international_calling_is_off_until_an_admin_enables_the_country(
    client: TestClient,
    runtime: Runtime,
) -> None:
    tenant = seeded.tenant(runtime)
    assert ok(client.get(_policy_path(tenant), headers=tenant.auth)) == {
        "home_region": "GB",
        "international_enabled": False,
        "allowed_regions": [],
        "voice": None,
    }
    french = "+33 6 12 34 56 78"
    refused = _add_contact(client, tenant, french)
    assert error(refused, 422) == "number_blocked"  # type: ignore[arg-type]
    reasons = refused.json()["error"]["details"]["reasons"]  # type: ignore[attr-defined]
    assert [reason["code"] for reason in reasons] == ["international_disabled"]

    ok(
        client.patch(
            _policy_path(tenant), json={"international_enabled": True}, headers=tenant.auth
        )
    )
    not_listed = _add_contact(client, tenant, french)
    assert error(not_listed, 422) == "number_blocked"  # type: ignore[arg-type]
    assert "country_not_allowed" in not_listed.text  # type: ignore[attr-defined]

    policy = ok(
        client.patch(
            _policy_path(tenant), json={"allowed_regions": ["fr", "DE"]}, headers=tenant.auth
        )
    )
    assert policy["allowed_regions"] == ["DE", "FR"]
    added = ok(_add_contact(client, tenant, french), 201)
    assert added["phone_e164"] == "+33612345678"


@pytest.mark.parametrize(
    ("phone", "code"),
    [
        ("+1 911", "emergency"),
        ("+44 909 879 0123", "test_number"),
        ("+44 9098 765432", "premium_rate"),
        ("+7 978 123 4567", "sanctioned"),
        ("+881 6 1234 5678", "high_risk"),
        ("+1 800 225 5288", "toll_free"),
    ],
)
def test_no_policy_setting_lifts_a_platform_block(
    client: TestClient, runtime: Runtime, phone: str, code: str
) -> None:
    tenant = seeded.tenant(runtime)
    every_region = ["US", "GB", "RU", "UA", "FR", "DE", "CU", "IR"]
    ok(
        client.patch(
            _policy_path(tenant),
            json={"international_enabled": True, "allowed_regions": every_region},
            headers=tenant.auth,
        )
    )
    refused = _add_contact(client, tenant, phone)
    assert error(refused, 422) == "number_blocked"  # type: ignore[arg-type]
    codes = [r["code"] for r in refused.json()["error"]["details"]["reasons"]]  # type: ignore[attr-defined]
    assert code in codes
    # Changing an existing contact to it is refused the same way.
    changed = client.patch(
        f"/v1/orgs/{tenant.org_id}/contacts/{tenant.contact_id}",
        json={"phone": phone},
        headers=tenant.auth,
    )
    assert error(changed, 422) == "number_blocked"
    contact = ok(
        client.get(f"/v1/orgs/{tenant.org_id}/contacts/{tenant.contact_id}", headers=tenant.auth)
    )
    assert contact["phone_e164"] == "+447400123456"


def test_unknown_country_codes_are_refused(client: TestClient, runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    response = client.patch(
        _policy_path(tenant), json={"allowed_regions": ["XX"]}, headers=tenant.auth
    )
    assert error(response, 422) == "invalid_region"


def test_members_can_read_but_not_change_the_policy(client: TestClient, runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    member, _ = join(client, tenant, "member", email="member@example.com")
    assert ok(client.get(_policy_path(tenant), headers=member))["home_region"] == "GB"
    response = client.patch(
        _policy_path(tenant), json={"international_enabled": True}, headers=member
    )
    assert error(response, 403) == "insufficient_role"


def test_signup_takes_a_home_country(client: TestClient) -> None:
    signup = {"email": "fr@example.com", "password": "correct horse battery staple"}
    ok(client.post("/v1/auth/signup", json={**signup, "country": "FR"}), 202)
    tokens = ok(client.post("/v1/auth/login", json=signup))
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    org_id = ok(client.get("/v1/me", headers=auth))["organizations"][0]["id"]
    policy = ok(client.get(f"/v1/orgs/{org_id}/calling-policy", headers=auth))
    assert policy["home_region"] == "FR"
    contact = ok(
        client.post(
            f"/v1/orgs/{org_id}/contacts",
            json={"name": "Local", "phone": "06 12 34 56 78"},
            headers=auth,
        ),
        201,
    )
    assert contact["phone_e164"] == "+33612345678"


def test_calls_are_read_in_the_organizations_voice(
    client: TestClient, runtime: Runtime, data_dir: Path
) -> None:
    tenant = seeded.tenant(runtime)
    policy = ok(client.patch(_policy_path(tenant), json={"voice": "en-US"}, headers=tenant.auth))
    assert policy["voice"] == "en-us"
    refused = client.patch(_policy_path(tenant), json={"voice": "klingon"}, headers=tenant.auth)
    assert error(refused, 422) == "invalid_voice"
    ok(
        client.post(
            f"/v1/hooks/{tenant.endpoint_id}", json={"title": "Disk full"}, headers=tenant.alert_key
        ),
        202,
    )
    asyncio.run(runtime.build_worker().run_until_idle())
    records = [json.loads(p.read_text()) for p in (data_dir / "simulator" / "by-key").glob("*")]
    [call] = [r for r in records if not r["idempotency_key"].startswith("verify/")]
    assert call["voice"] == "en-us"
    reset = ok(client.patch(_policy_path(tenant), json={"voice": ""}, headers=tenant.auth))
    assert reset["voice"] is None
