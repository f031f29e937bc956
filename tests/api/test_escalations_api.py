"""The configuration API of paging: escalation policies, endpoint rules and templates, preview,
the do-not-call list. Bad input gets a structured error and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import seeded
from tests.accounts.helpers import error
from tests.factories import Tenant, ok
from tocsin.runtime import Runtime


@pytest.fixture
def tenant(client: TestClient, runtime: Runtime) -> Tenant:
    return seeded.tenant(runtime)


def chain(client: TestClient, tenant: Tenant, steps: list[dict[str, Any]]) -> Any:
    return client.post(
        f"/v1/orgs/{tenant.org_id}/escalations",
        json={"name": "Primary then team", "steps": steps},
        headers=tenant.auth,
    )


def test_an_escalation_policy_is_created_read_changed_and_deleted(
    client: TestClient, tenant: Tenant
) -> None:
    org = f"/v1/orgs/{tenant.org_id}"
    steps = [
        {"type": "call", "contact_ids": [tenant.contact_id]},
        {"type": "wait", "minutes": 5},
        {"type": "repeat", "times": 2},
    ]
    created = ok(chain(client, tenant, steps), 201)
    assert created["steps"] == steps
    assert ok(client.get(f"{org}/escalations/{created['id']}", headers=tenant.auth)) == created
    renamed = ok(
        client.patch(
            f"{org}/escalations/{created['id']}", json={"name": "Renamed"}, headers=tenant.auth
        )
    )
    assert (renamed["name"], renamed["steps"]) == ("Renamed", steps)
    listed = ok(client.get(f"{org}/escalations", headers=tenant.auth))["items"]
    assert [item["id"] for item in listed] == [created["id"]]
    ok(client.delete(f"{org}/escalations/{created['id']}", headers=tenant.auth), 204)
    gone = client.get(f"{org}/escalations/{created['id']}", headers=tenant.auth)
    assert error(gone, 404) == "escalation_not_found"


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([], "1 to 30 steps"),
        ([{"type": "wait", "minutes": 5}], "at least one call step"),
        ([{"type": "call", "contact_ids": []}], "names at least one contact, member"),
        (
            [{"type": "wait", "minutes": -1}, {"type": "call", "contact_ids": ["x"]}],
            "greater than 0",
        ),
        ([{"type": "shout"}], "does not match any of the expected tags"),
        (
            [{"type": "repeat", "times": 1}, {"type": "call", "contact_ids": ["x"]}],
            "repeat can only be the last step",
        ),
    ],
)
def test_a_policy_that_makes_no_sense_is_refused_with_the_reason(
    client: TestClient, tenant: Tenant, steps: list[dict[str, Any]], message: str
) -> None:
    response = chain(client, tenant, steps)
    assert error(response, 422) == "invalid_steps"
    assert message in response.json()["error"]["message"]


def test_a_policy_can_only_call_the_organizations_own_contacts(
    client: TestClient, runtime: Runtime
) -> None:
    a, b = seeded.tenant(runtime), seeded.tenant(runtime, phone="+447400222222")
    response = chain(client, a, [{"type": "call", "contact_ids": [b.contact_id]}])
    assert error(response, 404) == "contact_not_found"
    assert ok(client.get(f"/v1/orgs/{a.org_id}/escalations", headers=a.auth))["items"] == []


def endpoint_patch(client: TestClient, tenant: Tenant, body: dict[str, Any]) -> Any:
    return client.patch(
        f"/v1/orgs/{tenant.org_id}/endpoints/{tenant.endpoint_id}", json=body, headers=tenant.auth
    )


def test_endpoint_rules_and_template_are_saved_and_shown(
    client: TestClient, tenant: Tenant
) -> None:
    policy = ok(chain(client, tenant, [{"type": "call", "contact_ids": [tenant.contact_id]}]), 201)
    rules = [
        {
            "name": "database",
            "conditions": [{"field": "labels.team", "op": "in", "value": ["db"]}],
            "action": {"type": "call_escalation", "escalation_id": policy["id"]},
        }
    ]
    template = "{{ title }}, from {{ endpoint }}."
    updated = ok(endpoint_patch(client, tenant, {"rules": rules, "template": template}))
    assert updated["rules"] == [{**rules[0], "match": "all"}]
    assert updated["template"] == template
    # The policy is in use now, so it cannot be deleted from under the rule.
    in_use = client.delete(
        f"/v1/orgs/{tenant.org_id}/escalations/{policy['id']}", headers=tenant.auth
    )
    assert error(in_use, 409) == "escalation_in_use"
    cleared = ok(endpoint_patch(client, tenant, {"rules": [], "template": ""}))
    assert (cleared["rules"], cleared["template"]) == ([], None)


@pytest.mark.parametrize(
    ("rules", "status", "code"),
    [
        ([{"conditions": [{"field": "x", "op": "like", "value": "y"}],
           "action": {"type": "call_all"}}], 422, "invalid_rules"),
        ([{"action": {"type": "call_member"}}], 422, "invalid_rules"),
        ([{"action": {"type": "call_member", "contact_id": "ct_nowhere"}}], 404,
         "contact_not_found"),
        ([{"action": {"type": "call_escalation", "escalation_id": "esp_nowhere"}}], 404,
         "escalation_not_found"),
        ([{"action": {"type": "call_all"}, "priority": 1}], 422, "invalid_rules"),
        ([{"hours": {"spans": [{"days": ["mon"], "start": "09:00", "end": "18:00"}],
                     "timezone": "Moon/Base"}, "action": {"type": "call_all"}}], 422,
         "invalid_rules"),
        ([{"hours": {"spans": [{"days": ["mon"], "start": "9am", "end": "18:00"}]},
           "action": {"type": "call_all"}}], 422, "invalid_rules"),
        ([{"action": {"type": "notify", "user_id": "usr_a", "project_id": "prj_b"}}], 422,
         "invalid_rules"),
        ([{"action": {"type": "notify", "escalation_id": "esp_a"}}], 422, "invalid_rules"),
        ([{"action": {"type": "record", "contact_id": "ct_a"}}], 422, "invalid_rules"),
        ([{"action": {"type": "notify", "schedule_id": "sch_nowhere"}}], 404,
         "schedule_not_found"),
    ],
)  # fmt: skip
def test_rules_that_do_not_parse_or_name_strangers_are_refused(
    client: TestClient, tenant: Tenant, rules: list[dict[str, Any]], status: int, code: str
) -> None:
    assert error(endpoint_patch(client, tenant, {"rules": rules}), status) == code
    shown = ok(
        client.get(f"/v1/orgs/{tenant.org_id}/endpoints/{tenant.endpoint_id}", headers=tenant.auth)
    )
    assert shown["rules"] == []


def test_business_hours_and_quiet_actions_are_saved_as_given(
    client: TestClient, tenant: Tenant
) -> None:
    rules = [
        {
            "name": "office",
            "hours": {
                "spans": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00",
                           "end": "18:00"}],
                "timezone": "Europe/Kyiv",
                "holidays": ["2026-01-01", "2026-01-07"],
            },
            "action": {"type": "call_all"},
        },
        {"name": "quiet", "action": {"type": "notify", "contact_id": tenant.contact_id}},
        {"name": "log", "action": {"type": "record"}},
    ]  # fmt: skip
    updated = ok(endpoint_patch(client, tenant, {"rules": rules}))
    assert updated["rules"][0]["hours"] == {**rules[0]["hours"], "outside": False}
    assert [rule["action"] for rule in updated["rules"][1:]] == [
        {"type": "notify", "contact_id": tenant.contact_id},
        {"type": "record"},
    ]


def test_a_rule_cannot_name_another_organizations_policy(
    client: TestClient, runtime: Runtime
) -> None:
    a, b = seeded.tenant(runtime), seeded.tenant(runtime, phone="+447400222222")
    b_policy = ok(chain(client, b, [{"type": "call", "contact_ids": [b.contact_id]}]), 201)
    rules = [{"action": {"type": "call_escalation", "escalation_id": b_policy["id"]}}]
    assert error(endpoint_patch(client, a, {"rules": rules}), 404) == "escalation_not_found"


def test_a_broken_template_is_refused_with_its_line(client: TestClient, tenant: Tenant) -> None:
    response = endpoint_patch(client, tenant, {"template": "Hello\n{{ title "})
    assert error(response, 422) == "invalid_template"
    assert "line 2" in response.json()["error"]["message"]


def test_preview_shows_how_a_body_would_be_read_routed_and_spoken(
    client: TestClient, tenant: Tenant
) -> None:
    body = {
        "version": "4",
        "groupKey": '{}:{alertname="HighCPU"}',
        "status": "firing",
        "commonLabels": {"alertname": "HighCPU", "team": "db"},
        "alerts": [
            {"status": "firing", "labels": {"alertname": "HighCPU", "instance": "db1"}},
            {"status": "firing", "labels": {"alertname": "HighCPU", "instance": "db2"}},
        ],
    }
    preview = ok(
        client.post(
            f"/v1/orgs/{tenant.org_id}/endpoints/{tenant.endpoint_id}/preview",
            json=body,
            headers=tenant.auth,
        )
    )
    assert preview["source"] == "alertmanager"
    assert preview["title"] == "2 alerts firing: HighCPU on db1, HighCPU on db2"
    assert preview["route"] == {"action": "call_primary", "rule": None}
    assert preview["first_calls"] == [
        {"contact_id": tenant.contact_id, "phone_e164": "+447400123456"}
    ]
    assert preview["spoken_text"].startswith("2 alerts firing on Production.")
    assert preview["template_problem"] is None
    # Nothing was called or even recorded.
    alerts = ok(client.get(f"/v1/orgs/{tenant.org_id}/alerts", headers=tenant.auth))["items"]
    assert alerts == []


def test_the_do_not_call_list_takes_any_real_number_and_refuses_junk(
    client: TestClient, tenant: Tenant
) -> None:
    org = f"/v1/orgs/{tenant.org_id}"
    added = ok(
        client.post(f"{org}/do-not-call", json={"number": "07400 123456"}, headers=tenant.auth),
        201,
    )
    assert (added["phone_e164"], added["source"], added["calls_cancelled"]) == (
        "+447400123456",
        "api",
        0,
    )
    again = ok(
        client.post(f"{org}/do-not-call", json={"number": "+447400123456"}, headers=tenant.auth),
        201,
    )
    assert again["id"] == added["id"]
    junk = client.post(f"{org}/do-not-call", json={"number": "call me"}, headers=tenant.auth)
    assert error(junk, 422) == "invalid_number"
    listed = ok(client.get(f"{org}/do-not-call", headers=tenant.auth))["items"]
    assert [entry["phone_e164"] for entry in listed] == ["+447400123456"]
