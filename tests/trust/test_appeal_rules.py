"""Who may decide an appeal, and what can be appealed: an administrator other than the one who
took the action (or filed the appeal) decides, and an action of every scope (user,
organization, endpoint, number) can be appealed by the organization it affects."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests import seeded
from tests.delivery.pager import Pager
from tests.factories import ok


def take(client: TestClient, staff: dict[str, str], scope: str, target: str) -> str:
    taken = ok(
        client.post(
            "/v1/admin/enforcement",
            json={"kind": "suspension", "scope": scope, "target": target, "reason": "complaints"},
            headers=staff,
        ),
        201,
    )
    action_id: str = taken["id"]
    return action_id


def appeal(pager: Pager, action_id: str) -> Any:
    return pager.client.post(
        f"{pager.org}/appeals",
        json={"action_id": action_id, "statement": "our own on-call engineers"},
        headers=pager.auth,
    )


def decide(client: TestClient, auth: dict[str, str], case_id: str, decision: str) -> Any:
    return client.post(
        f"/v1/admin/cases/{case_id}/decision",
        json={"decision": decision, "note": "checked the rota"},
        headers=auth,
    )


def refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def lifted(client: TestClient, auth: dict[str, str], target: str) -> bool:
    [action] = ok(client.get("/v1/admin/enforcement", params={"target": target}, headers=auth))[
        "items"
    ]
    return action["lifted_at"] is not None


def test_the_administrator_who_took_the_action_cannot_decide_the_appeal(
    client: TestClient, pager: Pager, staff: dict[str, str], colleague: dict[str, str]
) -> None:
    """issue 16, finding 11: the admin who took an action could decide the appeal against
    it."""
    case = ok(appeal(pager, take(client, staff, "organization", pager.org_id)), 201)

    refused(decide(client, staff, case["id"], "uphold"), 403, "appeal_decider_acted")
    closing = client.patch(
        f"/v1/admin/cases/{case['id']}",
        json={"status": "dismissed", "resolution": "no"},
        headers=staff,
    )
    refused(closing, 403, "appeal_decider_acted")
    # Notes and assignment are not decisions.
    ok(client.patch(f"/v1/admin/cases/{case['id']}", json={"note": "asked"}, headers=staff))

    decided = ok(decide(client, colleague, case["id"], "grant"))
    assert decided["status"] == "resolved"
    assert lifted(client, colleague, pager.org_id)


def test_staff_who_filed_an_appeal_for_someone_cannot_decide_it(
    client: TestClient, pager: Pager, staff: dict[str, str], colleague: dict[str, str]
) -> None:
    action_id = take(client, staff, "organization", pager.org_id)
    filed = ok(
        client.post(
            "/v1/admin/appeals",
            json={"action_id": action_id, "statement": "the owner wrote to abuse@ by mail"},
            headers=colleague,
        ),
        201,
    )
    assert filed["action_id"] == action_id
    refused(decide(client, colleague, filed["id"], "grant"), 403, "appeal_decider_filed")
    refused(decide(client, staff, filed["id"], "grant"), 403, "appeal_decider_acted")
    third = seeded.platform_admin(pager.runtime, email="third@tocsin.example").auth
    assert ok(decide(client, third, filed["id"], "uphold"))["resolution"].startswith("uphold")
    # The organization sees the appeal filed for it.
    mine = ok(pager.client.get(f"{pager.org}/appeals", headers=pager.auth))["items"]
    assert [item["id"] for item in mine] == [filed["id"]]


def test_a_members_suspension_can_be_appealed_by_the_organization(
    client: TestClient, pager: Pager, staff: dict[str, str], colleague: dict[str, str]
) -> None:
    """issue 16, finding 11: user-scope actions could not be appealed."""
    bea = seeded.member(pager.runtime, pager.org_id, email="bea@example.com")
    action_id = take(client, staff, "user", bea.user_id)

    case = ok(appeal(pager, action_id), 201)

    assert case["action_id"] == action_id
    ok(decide(client, colleague, case["id"], "grant"))
    assert lifted(client, colleague, bea.user_id)
    notices = ok(pager.client.get(f"{pager.org}/notices", headers=pager.user_auth))["items"]
    assert any(notice["kind"] == "appeal_grant" for notice in notices)


def test_a_numbers_suspension_can_be_appealed_by_an_organization_that_calls_it(
    client: TestClient, pager: Pager, staff: dict[str, str], colleague: dict[str, str]
) -> None:
    """issue 16, finding 11: number-scope actions could not be appealed."""
    number = pager.phone(pager.contact("Ana"))
    action_id = take(client, staff, "number", number)

    case = ok(appeal(pager, action_id), 201)

    ok(decide(client, colleague, case["id"], "grant"))
    assert lifted(client, colleague, number)


def test_only_an_action_that_affects_the_organization_can_be_appealed_by_it(
    client: TestClient, pager: Pager, staff: dict[str, str]
) -> None:
    stranger = seeded.person(pager.runtime, email="stranger@example.com")
    for scope, target in (
        ("user", stranger.user_id),
        ("number", "+447700900123"),
        ("organization", stranger.org_id),
    ):
        refused(appeal(pager, take(client, staff, scope, target)), 404, "action_not_found")
