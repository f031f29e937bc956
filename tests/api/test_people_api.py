"""The people API: a member adds a number, verifies it themself and sets their rules; an admin
may not verify it for them; projects with a restricted member list."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests import seeded
from tests.factories import code_sent, ok
from tocsin.accounts.models import Role
from tocsin.runtime import Runtime


def test_a_member_adds_verifies_and_orders_their_numbers(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="API people")
    ana = seeded.member(runtime, owner.org_id)
    base = f"/v1/orgs/{owner.org_id}/people/{ana.user_id}"
    mobile = ok(
        client.post(f"{base}/methods", json={"name": "mobile", "phone": "+447400610001"},
                    headers=ana.auth),
        201,
    )  # fmt: skip
    assert (mobile["method"], mobile["verified"]) == ("voice", False)
    # The owner may add a number for Ana but not verify it for her.
    desk = ok(
        client.post(f"{base}/methods", json={"name": "desk", "phone": "+447400610002"},
                    headers=owner.auth),
        201,
    )  # fmt: skip
    refused = client.post(f"{base}/methods/{desk['id']}/verify", headers=owner.auth)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "member_verifies_own_number"
    for number in (mobile, desk):
        sent = ok(client.post(f"{base}/methods/{number['id']}/verify", headers=ana.auth), 202)
        code = code_sent(client, sent["verification_id"])
        consent = ok(
            client.post(f"{base}/methods/{number['id']}/verify/confirm", json={"code": code},
                        headers=ana.auth)
        )  # fmt: skip
        assert (consent["actor_type"], consent["actor_id"]) == ("user", ana.user_id)
        client.app.state.runtime.clock.advance(61)  # type: ignore[attr-defined]
    wanted = [
        {"method": "voice", "contact_id": mobile["id"], "delay_minutes": 0},
        {"method": "voice", "contact_id": desk["id"], "delay_minutes": 3},
    ]
    assert ok(client.put(f"{base}/rules", json={"rules": wanted}, headers=ana.auth)) == {
        "rules": wanted
    }
    person = ok(client.get(base, headers=owner.auth))
    assert [n["verified"] for n in person["numbers"]] == [True, True]
    assert [(p["phone_e164"], p["delay_minutes"]) for p in person["plan"]] == [
        ("+447400610001", 0),
        ("+447400610002", 3),
    ]
    # Neither shows as a plain contact, nor can be one.
    contacts = ok(client.get(f"/v1/orgs/{owner.org_id}/contacts", headers=owner.auth))
    assert contacts["items"] == []
    missing = client.get(f"/v1/orgs/{owner.org_id}/contacts/{mobile['id']}", headers=owner.auth)
    assert missing.status_code == 404
    assert ok(client.delete(f"{base}/methods/{desk['id']}", headers=ana.auth), 204) is None


def test_another_member_may_not_change_someones_rules(client: TestClient, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="API rules")
    ana = seeded.member(runtime, owner.org_id)
    ben = seeded.member(runtime, owner.org_id)
    response = client.put(
        f"/v1/orgs/{owner.org_id}/people/{ana.user_id}/rules", json={"rules": []}, headers=ben.auth
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_role"


def test_a_restricted_project_keeps_out_admins_who_are_not_its_editors(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="API projects")
    admin = seeded.member(runtime, owner.org_id, role=Role.ADMIN)
    org = f"/v1/orgs/{owner.org_id}"
    project = ok(
        client.post(f"{org}/projects", json={"name": "Platform", "restricted": True},
                    headers=owner.auth),
        201,
    )  # fmt: skip
    refused = client.patch(
        f"{org}/projects/{project['id']}", json={"name": "Mine"}, headers=admin.auth
    )
    assert refused.json()["error"]["code"] == "project_restricted"
    ok(
        client.post(f"{org}/projects/{project['id']}/members",
                    json={"user_id": admin.user_id, "can_edit": True}, headers=owner.auth)
    )  # fmt: skip
    renamed = ok(client.patch(f"{org}/projects/{project['id']}", json={"name": "Mine"},
                              headers=admin.auth))  # fmt: skip
    assert renamed["name"] == "Mine"
    assert [m["user_id"] for m in renamed["members"]] == [admin.user_id]


def test_a_projects_time_zone_is_set_cleared_and_checked(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="API project zones")
    org = f"/v1/orgs/{owner.org_id}"
    project = ok(
        client.post(f"{org}/projects", json={"name": "Kyiv", "timezone": "Europe/Kyiv"},
                    headers=owner.auth),
        201,
    )  # fmt: skip
    assert project["timezone"] == "Europe/Kyiv"
    path = f"{org}/projects/{project['id']}"
    bad = client.patch(path, json={"timezone": "Europe/Atlantis"}, headers=owner.auth)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_timezone")
    assert ok(client.get(path, headers=owner.auth))["timezone"] == "Europe/Kyiv"
    cleared = ok(client.patch(path, json={"timezone": ""}, headers=owner.auth))
    assert cleared["timezone"] is None
