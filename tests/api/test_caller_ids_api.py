"""The caller IDs API (issue 16, finding 1): a number is added unproven, proven by a code sent in
the platform's words from the platform's number or by a provider account's own records, chosen
by provider accounts, and removed only when nothing has chosen it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests import rows, seeded
from tests.factories import Tenant, code_sent, ok
from tests.telephony.rest.fakes import FakeTwilio
from tocsin.runtime import Runtime

NUMBER = "+447400000002"


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    fake = FakeTwilio("AC" + "2" * 32, "twilio-auth-token")
    with fake.running():
        yield fake


def caller_ids(tenant: Tenant) -> str:
    return f"/v1/orgs/{tenant.org_id}/caller-ids"


def error_code(response: object, status: int) -> str:
    assert getattr(response, "status_code", None) == status, getattr(response, "text", "")
    code: str = response.json()["error"]["code"]  # type: ignore[attr-defined]
    return code


def test_a_caller_id_is_proven_by_a_code_in_the_platforms_words(
    client: TestClient, runtime: Runtime, data_dir: object
) -> None:
    tenant = seeded.tenant(runtime)
    added = ok(
        client.post(caller_ids(tenant), json={"number": "07400 000002"}, headers=tenant.auth), 201
    )
    assert (added["number"], added["proven"]) == (NUMBER, False)
    path = f"{caller_ids(tenant)}/{added['id']}"
    sent = ok(client.post(f"{path}/code", headers=tenant.auth), 202)
    transcript = next((runtime.settings.data_dir / "simulator" / "calls").glob("*.txt")).read_text()
    assert f"from {runtime.settings.caller_id}" in transcript  # the platform's own number
    assert "this is Tocsin" in transcript
    assert "may be shown as the caller ID" in transcript
    assert error_code(
        client.post(f"{path}/confirm", json={"code": "000000"}, headers=tenant.auth), 422
    ) == ("verification_code_wrong")
    code = code_sent(client, sent["verification_id"])
    proven = ok(client.post(f"{path}/confirm", json={"code": code}, headers=tenant.auth))
    assert (proven["proven"], proven["proof"], proven["proven_account_id"]) == (True, "code", None)
    listed = ok(client.get(caller_ids(tenant), headers=tenant.auth))["items"]
    assert [item["id"] for item in listed] == [added["id"]]


@pytest.mark.parametrize(
    ("number", "code", "status"),
    [("999", "caller_id_refused", 422), ("+19005551234", "caller_id_refused", 422)],
)
def test_numbers_that_cannot_be_a_caller_id_are_refused(
    client: TestClient, runtime: Runtime, number: str, code: str, status: int
) -> None:
    tenant = seeded.tenant(runtime)
    refused = client.post(caller_ids(tenant), json={"number": number}, headers=tenant.auth)
    assert error_code(refused, status) == code


def test_an_unproven_caller_id_cannot_be_chosen_and_one_in_use_cannot_be_removed(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = seeded.tenant(runtime)
    added = ok(client.post(caller_ids(tenant), json={"number": NUMBER}, headers=tenant.auth), 201)
    again = client.post(caller_ids(tenant), json={"number": NUMBER}, headers=tenant.auth)
    assert error_code(again, 409) == "caller_id_exists"
    providers = f"/v1/orgs/{tenant.org_id}/providers"
    body = {"kind": "simulator", "name": "Lab", "caller_id_id": added["id"]}
    assert error_code(client.post(providers, json=body, headers=tenant.auth), 422) == (
        "caller_id_unproven"
    )
    # Allowed without one, but the answer says its calls will be passed over.
    account = ok(
        client.post(providers, json={"kind": "simulator", "name": "Lab"}, headers=tenant.auth), 201
    )
    assert account["caller_id_id"] is None
    assert "has no caller ID chosen" in account["warnings"][0]

    rows.proven_caller_id(runtime, tenant.org_id, NUMBER)
    chosen = ok(
        client.patch(
            f"{providers}/{account['id']}", json={"caller_id_id": added["id"]}, headers=tenant.auth
        )
    )
    assert (chosen["caller_id_id"], chosen["warnings"]) == (added["id"], [])
    in_use = client.delete(f"{caller_ids(tenant)}/{added['id']}", headers=tenant.auth)
    assert error_code(in_use, 409) == "caller_id_in_use"
    ok(client.patch(f"{providers}/{account['id']}", json={"caller_id_id": ""}, headers=tenant.auth))
    assert (
        client.delete(f"{caller_ids(tenant)}/{added['id']}", headers=tenant.auth).status_code == 204
    )


def test_a_twilio_account_that_owns_the_number_proves_it_for_itself_only(
    client: TestClient, runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    tenant = seeded.tenant(runtime)
    providers = f"/v1/orgs/{tenant.org_id}/providers"
    account = ok(
        client.post(providers, json=twilio_api.provider_account("Our Twilio"), headers=tenant.auth),
        201,
    )
    added = ok(client.post(caller_ids(tenant), json={"number": NUMBER}, headers=tenant.auth), 201)
    check = f"{caller_ids(tenant)}/{added['id']}/check"
    not_owned = client.post(check, json={"account_id": account["id"]}, headers=tenant.auth)
    assert error_code(not_owned, 422) == "caller_id_not_owned"

    twilio_api.owned.add(NUMBER)
    proven = ok(client.post(check, json={"account_id": account["id"]}, headers=tenant.auth))
    assert (proven["proof"], proven["proven_account_id"]) == ("provider", account["id"])
    assert proven["proven_how"] == "a Twilio incoming number"
    chosen = ok(
        client.patch(
            f"{providers}/{account['id']}", json={"caller_id_id": added["id"]}, headers=tenant.auth
        )
    )
    assert chosen["warnings"] == []
    # Its proof goes with the account.
    assert client.delete(f"{providers}/{account['id']}", headers=tenant.auth).status_code == 204
    [after] = ok(client.get(caller_ids(tenant), headers=tenant.auth))["items"]
    assert (after["proven"], after["proof"]) == (False, None)


def test_a_simulator_account_cannot_vouch_for_a_number(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = seeded.tenant(runtime)
    account = rows.provider_account(runtime, tenant.org_id, "simulator")
    added = ok(client.post(caller_ids(tenant), json={"number": NUMBER}, headers=tenant.auth), 201)
    refused = client.post(
        f"{caller_ids(tenant)}/{added['id']}/check",
        json={"account_id": account},
        headers=tenant.auth,
    )
    assert error_code(refused, 422) == "caller_id_check_unsupported"


def test_a_code_texted_through_the_orgs_twilio_comes_from_its_caller_id(
    client: TestClient, runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    """issue 16, finding 1: texts through the organization's account were sent from the one
    global TOCSIN_CALLER_ID; they come from its chosen, proven caller ID."""
    tenant = seeded.tenant(runtime)
    caller_id = rows.proven_caller_id(runtime, tenant.org_id, NUMBER)
    ok(
        client.post(
            f"/v1/orgs/{tenant.org_id}/providers",
            json=twilio_api.provider_account("Our Twilio", caller_id),
            headers=tenant.auth,
        ),
        201,
    )
    contact = ok(
        client.post(
            f"/v1/orgs/{tenant.org_id}/contacts",
            json={"name": "Ana", "phone": "+447400123499"},
            headers=tenant.auth,
        ),
        201,
    )
    ok(
        client.post(
            f"/v1/orgs/{tenant.org_id}/contacts/{contact['id']}/verification",
            json={"channel": "sms"},
            headers=tenant.auth,
        ),
        202,
    )
    [text] = twilio_api.texts
    assert text.request["From"] == NUMBER


def test_new_credentials_unprove_what_the_accounts_records_proved(
    client: TestClient, runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    """Issue 16, finding 2 (review): a caller ID proven by an account's records stayed proven
    after the account's settings or credentials were replaced (only deleting it unproved it)."""
    tenant = seeded.tenant(runtime)
    providers = f"/v1/orgs/{tenant.org_id}/providers"
    account = ok(
        client.post(providers, json=twilio_api.provider_account("Our Twilio"), headers=tenant.auth),
        201,
    )
    added = ok(client.post(caller_ids(tenant), json={"number": NUMBER}, headers=tenant.auth), 201)
    twilio_api.owned.add(NUMBER)
    check = f"{caller_ids(tenant)}/{added['id']}/check"
    ok(client.post(check, json={"account_id": account["id"]}, headers=tenant.auth))
    path = f"{providers}/{account['id']}"
    ok(client.patch(path, json={"caller_id_id": added["id"]}, headers=tenant.auth))
    # A rename changes nothing the proof rests on.
    renamed = ok(client.patch(path, json={"name": "Twilio"}, headers=tenant.auth))
    assert (renamed["caller_id_id"], renamed["caller_ids_unproven"]) == (added["id"], [])

    credentials = {"account_sid": twilio_api.account_sid, "auth_token": "another-token"}
    changed = ok(client.patch(path, json={"credentials": credentials}, headers=tenant.auth))
    assert changed["caller_ids_unproven"] == [NUMBER]
    assert changed["caller_id_id"] is None
    assert any(
        NUMBER in warning and "no longer proven" in warning for warning in changed["warnings"]
    )
    [after] = ok(client.get(caller_ids(tenant), headers=tenant.auth))["items"]
    assert (after["proven"], after["proof"]) == (False, None)
    audit = ok(client.get(f"/v1/orgs/{tenant.org_id}/audit", headers=tenant.auth))["items"]
    assert "caller_id.unproven" in [event["action"] for event in audit]


def test_only_the_providers_own_api_host_can_vouch_for_a_number(
    client: TestClient, runtime: Runtime
) -> None:
    """Issue 16, finding 2 (review): ownership was asked of the account's own api_base_url, so
    any https server the customer runs could answer "owned" for any number."""
    tenant = seeded.tenant(runtime)
    account = rows.provider_account(
        runtime,
        tenant.org_id,
        "twilio",
        # A public host, but not Twilio's.
        settings={"api_base_url": "https://8.8.8.8"},
        credentials={"account_sid": "AC" + "3" * 32, "auth_token": "token"},
    )
    added = ok(client.post(caller_ids(tenant), json={"number": NUMBER}, headers=tenant.auth), 201)
    refused = client.post(
        f"{caller_ids(tenant)}/{added['id']}/check",
        json={"account_id": account},
        headers=tenant.auth,
    )
    assert error_code(refused, 422) == "caller_id_check_host_not_official"
    assert "prove" in refused.json()["error"]["message"]
    listed = ok(client.get(caller_ids(tenant), headers=tenant.auth))["items"]
    assert [item["proven"] for item in listed if item["id"] == added["id"]] == [False]
