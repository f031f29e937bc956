"""Enforcement takes effect at once: a suspended organization's webhooks get 403 with a code,
its queued calls are cancelled, and the audit log says why."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.delivery.pager import Pager
from tests.factories import PASSWORD, ok
from tocsin.audit.log import SYSTEM
from tocsin.core.clock import ManualClock
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.restrictions.models import EnforcementAction
from tocsin.runtime import Runtime


def act(client: TestClient, staff: dict[str, str], **body: Any) -> dict[str, Any]:
    result: dict[str, Any] = ok(client.post("/v1/admin/enforcement", json=body, headers=staff), 201)
    return result


def hook(pager: Pager, endpoint_id: str, title: str = "Disk full") -> Any:
    return pager.client.post(
        f"/v1/hooks/{endpoint_id}", json={"title": title}, headers={"X-Alert-Key": pager.ingest_key}
    )


def test_a_suspended_organization_gets_403_and_its_queued_calls_are_cancelled(
    pager: Pager, staff: dict[str, str], client: TestClient
) -> None:
    # Ana does not answer, so a retry is queued for two minutes later.
    ana = pager.contact("Ana", behaviour="no_answer")
    endpoint = pager.endpoint(ana)
    alert = pager.fire(endpoint)
    pager.run()
    assert len(pager.calls()) == 1
    assert [job["status"] for job in pager.alert(alert)["jobs"]] == ["pending"]

    taken = act(
        client,
        staff,
        kind="suspension",
        scope="organization",
        target=pager.org_id,
        reason="robocalling complaints",
    )
    assert taken["calls_cancelled"] == 1
    refused = hook(pager, endpoint, "Another alert")
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "org_suspended"
    assert "robocalling complaints" in error["message"]

    pager.later(minutes=3)
    assert len(pager.calls()) == 1
    detail = pager.alert(alert)
    assert [(job["status"], job["outcome"]) for job in detail["jobs"]] == [("cancelled", "blocked")]
    # The organization sees why, in its audit trail (on the alert whose call it stopped too)
    # and its enforcement list.
    trail = ok(client.get(f"{pager.org}/audit?action=enforcement.", headers=pager.user_auth))
    assert sorted(
        (event["action"], event["target_type"], event["details"]["reason"])
        for event in trail["items"]
    ) == [
        ("enforcement.suspension", "alert", "robocalling complaints"),
        ("enforcement.suspension", "organization", "robocalling complaints"),
    ]
    assert "enforcement.suspension" in pager.actions(alert)
    listed = ok(client.get(f"{pager.org}/enforcement", headers=pager.auth))["items"]
    assert [item["id"] for item in listed] == [taken["id"]]

    ok(client.post(f"/v1/admin/enforcement/{taken['id']}/lift", headers=staff))
    assert hook(pager, endpoint, "After the suspension").status_code == 202


def test_an_endpoint_suspension_leaves_the_other_endpoints_working(
    pager: Pager, staff: dict[str, str], client: TestClient
) -> None:
    ana = pager.contact("Ana")
    suspended, other = pager.endpoint(ana), pager.endpoint(ana)
    act(client, staff, kind="suspension", scope="endpoint", target=suspended, reason="spam")
    assert hook(pager, suspended).json()["error"]["code"] == "endpoint_suspended"
    assert hook(pager, other).status_code == 202


def test_a_suspended_number_is_called_by_no_organization_even_if_already_queued(
    pager: Pager, staff: dict[str, str], client: TestClient, runtime: Runtime
) -> None:
    number = "+447400765432"
    endpoint = pager.endpoint(pager.contact("Ana", phone=number))
    pager.fire(endpoint)
    # Written straight to the table, as if by another process just after the call was queued
    # and without cancelling anything: the worker's own check at dial time must stop it.
    with runtime.database.write() as session:
        session.add(
            EnforcementAction(
                id="enf_direct",
                kind=ActionKind.SUSPENSION.value,
                scope=ActionScope.NUMBER.value,
                target_id=number,
                reason="harassment report",
                actor_type=SYSTEM.type,
                starts_at=runtime.clock.now(),
                created_at=runtime.clock.now(),
            )
        )
    pager.run()
    assert pager.calls() == []


def test_a_terminated_user_cannot_sign_in_or_use_a_token(
    pager: Pager, staff: dict[str, str], client: TestClient
) -> None:
    me = ok(client.get("/v1/me", headers=pager.user_auth))["user"]
    act(client, staff, kind="termination", scope="user", target=me["id"], reason="fraud")
    refused = client.get("/v1/me", headers=pager.user_auth)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "user_terminated")
    login = client.post("/v1/auth/login", json={"email": me["email"], "password": PASSWORD})
    assert login.json()["error"]["code"] == "user_terminated"


def test_a_warning_tells_the_owners_and_blocks_nothing(
    pager: Pager, staff: dict[str, str], client: TestClient
) -> None:
    endpoint = pager.endpoint(pager.contact("Ana"))
    act(client, staff, kind="warning", scope="organization", target=pager.org_id, reason="late")
    assert hook(pager, endpoint).status_code == 202
    notices = ok(client.get(f"{pager.org}/notices", headers=pager.auth))["items"]
    assert [notice["kind"] for notice in notices] == ["enforcement_warning"]


def test_only_platform_administrators_act(pager: Pager, client: TestClient) -> None:
    body = {"kind": "suspension", "scope": "organization", "target": pager.org_id, "reason": "x"}
    as_owner = client.post("/v1/admin/enforcement", json=body, headers=pager.user_auth)
    assert (as_owner.status_code, as_owner.json()["error"]["code"]) == (
        403,
        "platform_admin_required",
    )
    as_key = client.post("/v1/admin/enforcement", json=body, headers=pager.auth)
    assert as_key.json()["error"]["code"] == "user_required"


def test_bad_actions_are_refused_with_a_reason(
    pager: Pager, staff: dict[str, str], client: TestClient
) -> None:
    def refused(**body: Any) -> str:
        response = client.post("/v1/admin/enforcement", json=body, headers=staff)
        assert response.status_code in (404, 422), response.text
        code: str = response.json()["error"]["code"]
        return code

    base = {"kind": "suspension", "scope": "organization", "reason": "x"}
    assert refused(**base, target="org_01nowhere000000000000000000") == "org_not_found"
    assert refused(**{**base, "reason": "   "}, target=pager.org_id) == "reason_required"
    assert (
        refused(
            kind="termination",
            scope="organization",
            reason="x",
            target=pager.org_id,
            ends_at="2030-01-01T00:00:00Z",
        )
        == "invalid_end"
    )
    assert refused(**{**base, "scope": "planet"}, target=pager.org_id) == "invalid"


def test_a_suspension_with_an_end_lapses_by_itself(
    pager: Pager, staff: dict[str, str], client: TestClient, clock: ManualClock
) -> None:
    endpoint = pager.endpoint(pager.contact("Ana"))
    act(
        client,
        staff,
        kind="suspension",
        scope="organization",
        target=pager.org_id,
        reason="cool-off",
        ends_at=(clock.now() + timedelta(hours=1)).isoformat(),
    )
    assert hook(pager, endpoint).status_code == 403
    clock.advance(3600)
    assert hook(pager, endpoint, "an hour later").status_code == 202


def test_security_txt_says_where_to_report(client: TestClient) -> None:
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = dict(line.split(": ", 1) for line in response.text.strip().splitlines())
    assert lines["Contact"] == "mailto:security@tocsin.test"
    assert lines["Expires"].startswith("2027-01-01")
    assert lines["Canonical"] == "http://tocsin.test/.well-known/security.txt"
