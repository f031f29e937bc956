"""The trust and safety queue: appeals with a five-business-day target, and what
administrators can do with any case (assign, note, resolve, act) and see (its audit trail)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.delivery.pager import Pager
from tests.factories import ok
from tests.trust.conftest import COLLEAGUE_EMAIL, staff_login
from tocsin.trust.cases import add_business_days


def suspend(client: TestClient, staff: dict[str, str], org_id: str) -> dict[str, Any]:
    taken: dict[str, Any] = ok(
        client.post(
            "/v1/admin/enforcement",
            json={
                "kind": "suspension",
                "scope": "organization",
                "target": org_id,
                "reason": "complaints about calls",
            },
            headers=staff,
        ),
        201,
    )
    return taken


def appeal(pager: Pager, action_id: str) -> dict[str, Any]:
    filed: dict[str, Any] = ok(
        pager.client.post(
            f"{pager.org}/appeals",
            json={"action_id": action_id, "statement": "These were our own on-call engineers."},
            headers=pager.auth,
        ),
        201,
    )
    return filed


def error_code(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    code: str = response.json()["error"]["code"]
    return code


@pytest.mark.parametrize(
    ("filed", "due"),
    [
        (datetime(2026, 1, 1, 9, tzinfo=UTC), datetime(2026, 1, 8, 9, tzinfo=UTC)),  # Thursday
        (datetime(2026, 1, 2, 17, tzinfo=UTC), datetime(2026, 1, 9, 17, tzinfo=UTC)),  # Friday
        (datetime(2026, 1, 3, 12, tzinfo=UTC), datetime(2026, 1, 9, 12, tzinfo=UTC)),  # Saturday
        (datetime(2026, 1, 5, 8, tzinfo=UTC), datetime(2026, 1, 12, 8, tzinfo=UTC)),  # Monday
    ],
)
def test_five_business_days_skip_the_weekend(filed: datetime, due: datetime) -> None:
    assert add_business_days(filed, 5) == due


def test_an_appeal_past_five_business_days_shows_as_overdue(
    client: TestClient, pager: Pager, staff: dict[str, str], colleague: dict[str, str]
) -> None:
    action = suspend(client, staff, pager.org_id)
    filed = appeal(pager, action["id"])  # Thursday 2026-01-01
    assert filed["status"] == "open"
    assert datetime.fromisoformat(filed["due_at"]) == datetime(2026, 1, 8, tzinfo=UTC)
    assert filed["overdue"] is False
    again = pager.client.post(
        f"{pager.org}/appeals",
        json={"action_id": action["id"], "statement": "again"},
        headers=pager.auth,
    )
    assert error_code(again, 409) == "already_appealed"

    pager.clock.advance(7 * 86400 - 1)  # the last second of the fifth business day
    staff = staff_login(pager.runtime)
    assert ok(client.get("/v1/admin/cases?overdue=true", headers=staff))["items"] == []
    pager.clock.advance(2)
    staff = staff_login(pager.runtime)
    overdue = ok(client.get("/v1/admin/cases?overdue=true", headers=staff))["items"]
    assert [(c["id"], c["kind"], c["overdue"]) for c in overdue] == [(filed["id"], "appeal", True)]
    mine = ok(pager.client.get(f"{pager.org}/appeals", headers=pager.auth))["items"]
    assert [(a["id"], a["overdue"]) for a in mine] == [(filed["id"], True)]
    # Answered (by an administrator other than the one who suspended), it is no longer overdue.
    ok(
        client.post(
            f"/v1/admin/cases/{filed['id']}/decision",
            json={"decision": "uphold", "note": "the numbers were a purchased list"},
            headers=staff_login(pager.runtime, COLLEAGUE_EMAIL),
        )
    )
    assert ok(client.get("/v1/admin/cases?overdue=true", headers=staff))["items"] == []
    [answered] = ok(pager.client.get(f"{pager.org}/appeals", headers=pager.auth))["items"]
    assert (answered["status"], answered["overdue"]) == ("resolved", False)
    assert answered["resolution"] == "uphold: the numbers were a purchased list"


def test_granting_an_appeal_lifts_the_action_and_tells_the_owners(
    client: TestClient, pager: Pager, staff: dict[str, str], colleague: dict[str, str]
) -> None:
    endpoint = pager.endpoint(pager.contact("Ana"))
    action = suspend(client, staff, pager.org_id)
    blocked = pager.client.post(
        f"/v1/hooks/{endpoint}", json={"title": "x"}, headers={"X-Alert-Key": pager.ingest_key}
    )
    assert error_code(blocked, 403) == "org_suspended"
    filed = appeal(pager, action["id"])
    decided = ok(
        client.post(
            f"/v1/admin/cases/{filed['id']}/decision",
            json={"decision": "grant", "note": "verified on-call rota"},
            headers=colleague,
        )
    )
    assert decided["status"] == "resolved"
    actions = [event["action"] for event in decided["history"]]
    assert actions == ["case.opened.appeal", "case.updated"]
    pager.fire(endpoint)  # accepted again
    notices = ok(pager.client.get(f"{pager.org}/notices", headers=pager.user_auth))["items"]
    assert any(n["kind"] == "appeal_grant" for n in notices)
    lifted = ok(client.get(f"/v1/admin/enforcement?org_id={pager.org_id}", headers=staff))
    assert lifted["items"][0]["lifted_at"] is not None


def test_only_an_organizations_own_live_actions_can_be_appealed(
    client: TestClient, pager: Pager, staff: dict[str, str]
) -> None:
    action = suspend(client, staff, pager.org_id)
    unknown = pager.client.post(
        f"{pager.org}/appeals",
        json={"action_id": "enf_nope", "statement": "x"},
        headers=pager.auth,
    )
    assert error_code(unknown, 404) == "action_not_found"
    ok(client.post(f"/v1/admin/enforcement/{action['id']}/lift", headers=staff))
    lifted = pager.client.post(
        f"{pager.org}/appeals",
        json={"action_id": action["id"], "statement": "x"},
        headers=pager.auth,
    )
    assert error_code(lifted, 409) == "action_lifted"


def test_administrators_work_a_case_and_see_its_trail(
    client: TestClient, pager: Pager, staff: dict[str, str], colleague: dict[str, str]
) -> None:
    filed = appeal(pager, suspend(client, staff, pager.org_id)["id"])
    case_url = f"/v1/admin/cases/{filed['id']}"
    # The colleague works the appeal: the administrator who suspended may not answer it.
    staff = colleague
    me = ok(client.get("/v1/me", headers=staff))["user"]["id"]
    assigned = ok(client.patch(case_url, json={"assignee_id": me, "note": "mine"}, headers=staff))
    assert assigned["assignee_id"] == me
    unexplained = client.patch(case_url, json={"status": "dismissed"}, headers=staff)
    assert error_code(unexplained, 422) == "resolution_required"
    warned = ok(
        client.post(
            f"{case_url}/enforcement",
            json={
                "kind": "warning",
                "scope": "organization",
                "target": pager.org_id,
                "reason": "keep consent records",
            },
            headers=staff,
        ),
        201,
    )
    assert warned["reason"] == f"keep consent records (case {filed['id']})"
    closed = ok(
        client.patch(
            case_url, json={"status": "resolved", "resolution": "warned instead"}, headers=staff
        )
    )
    assert (closed["status"], closed["resolved_by"]) == ("resolved", me)
    assert [e["action"] for e in closed["history"]] == [
        "case.opened.appeal",
        "case.updated",
        "case.action_taken",
        "case.updated",
    ]
    assert closed["history"][1]["details"] == {"assignee_id": me, "note": "mine"}
    decided = client.post(
        f"{case_url}/decision", json={"decision": "grant", "note": "late"}, headers=staff
    )
    assert error_code(decided, 409) == "case_closed"
    reopened = ok(
        client.patch(case_url, json={"status": "open", "note": "new facts"}, headers=staff)
    )
    assert reopened["status"] == "open"
    assert reopened["resolved_at"] is None
    # The platform-wide trail: everything done about the organization, newest first.
    trail = ok(client.get(f"/v1/admin/audit?org_id={pager.org_id}&action=case.", headers=staff))[
        "items"
    ]
    assert [e["action"] for e in trail][:2] == ["case.updated", "case.updated"]
    enforcement = ok(
        client.get(f"/v1/admin/audit?action=enforcement.&target_id={pager.org_id}", headers=staff)
    )["items"]
    assert {e["action"] for e in enforcement} == {"enforcement.suspension", "enforcement.warning"}


def test_the_queue_filters_and_pages(
    client: TestClient, pager: Pager, staff: dict[str, str]
) -> None:
    for _ in range(3):
        ok(
            client.post(
                "/v1/public/abuse-reports",
                json={
                    "caller_id": "+442071838750",
                    "seen_at": pager.clock.now().isoformat(),
                    "description": "x",
                },
            ),
            201,
        )
    appeal(pager, suspend(client, staff, pager.org_id)["id"])
    reports = ok(client.get("/v1/admin/cases?kind=abuse_report&limit=2", headers=staff))
    assert len(reports["items"]) == 2
    rest = ok(
        client.get(
            f"/v1/admin/cases?kind=abuse_report&limit=2&cursor={reports['next_cursor']}",
            headers=staff,
        )
    )
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    appeals = ok(client.get(f"/v1/admin/cases?org_id={pager.org_id}", headers=staff))["items"]
    assert [c["kind"] for c in appeals] == ["appeal"]


def test_the_queue_is_for_platform_administrators_only(client: TestClient, pager: Pager) -> None:
    for method, path in (
        ("GET", "/v1/admin/cases"),
        ("GET", "/v1/admin/audit"),
    ):
        refused = client.request(method, path, headers=pager.user_auth)
        assert error_code(refused, 403) == "platform_admin_required"
        with_key = client.request(method, path, headers=pager.auth)
        assert error_code(with_key, 403) == "user_required"
