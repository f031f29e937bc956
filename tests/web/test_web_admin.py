"""The trust and safety console, as a platform administrator works it in a browser: the case
queue and its overdue appeals, a case's history and decisions, suspending and lifting an
organization, any enforcement action, and the audit log. Nobody else gets in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import rows, seeded
from tests.delivery.pager import CALLER_ID, Pager
from tests.factories import ok
from tests.web.browser_forms import form_token, owner_home, submit
from tocsin.accounts.models import User
from tocsin.paging.names import names_on_the_platform
from tocsin.runtime import Runtime

STAFF = "staff@tocsin.example"


@pytest.fixture
def staff(client: TestClient, runtime: Runtime) -> TestClient:
    """A browser signed in as a platform administrator (made one as operators do, from the
    shell)."""
    admin = seeded.platform_admin(runtime, email=STAFF)
    return rows.browser_for(client, runtime, admin.user_id)


@pytest.fixture
def colleague(client: TestClient, runtime: Runtime, staff: TestClient) -> TestClient:
    """A browser of a second platform administrator, who answers appeals against what the
    first did."""
    admin = seeded.platform_admin(runtime, email="colleague@tocsin.example")
    return rows.browser_for(client, runtime, admin.user_id)


def sign_in_again(browser: TestClient, runtime: Runtime) -> None:
    """Sessions last 12 hours; tests that move the clock by days sign in afresh."""
    with runtime.database.read() as session:
        admin_id = session.scalar(select(User.id).where(User.email == STAFF))
    assert admin_id is not None
    rows.sign_in(browser, runtime, admin_id)


def hook(pager: Pager, endpoint_id: str) -> Any:
    return pager.client.post(
        f"/v1/hooks/{endpoint_id}",
        json={"title": "Disk full"},
        headers={"X-Alert-Key": pager.ingest_key},
    )


def suspend(staff: TestClient, org_id: str, reason: str = "complaints about calls") -> Any:
    page = f"/admin/orgs/{org_id}"
    return submit(staff, page, f"{page}/suspend", {"reason": reason})


def actions_of(pager: Pager) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(
        pager.client.get(f"{pager.org}/enforcement", headers=pager.auth)
    )["items"]
    return items


def appeal(pager: Pager, action_id: str) -> str:
    filed = ok(
        pager.client.post(
            f"{pager.org}/appeals",
            json={"action_id": action_id, "statement": "These were our own on-call engineers."},
            headers=pager.auth,
        ),
        201,
    )
    case_id: str = filed["id"]
    return case_id


def _user_id(pager: Pager, email: str) -> str:
    with pager.runtime.database.read() as session:
        found = session.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return found


def _name(pager: Pager, some_id: str) -> str:
    """What the console calls a user or an organization."""
    with pager.runtime.database.read() as session:
        return names_on_the_platform(session, [some_id])[some_id]


def queue_row(html: str, case_id: str) -> str:
    row = re.search(rf"<tr>(?:(?!</tr>).)*{case_id}(?:(?!</tr>).)*</tr>", html, re.S)
    assert row, f"{case_id} is not in the queue"
    return row.group(0)


def test_the_console_is_forbidden_to_everyone_but_platform_administrators(
    client: TestClient, runtime: Runtime, pager: Pager
) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    for page in (
        "/admin",
        "/admin/cases/case_anything",
        "/admin/orgs?q=pager",
        f"/admin/orgs/{pager.org_id}",
        "/admin/enforcement",
        "/admin/audit",
    ):
        refused = client.get(page)
        assert refused.status_code == 403, page
        assert "platform_admin_required" in refused.text
    token = form_token(client.get(home).text)
    forged = client.post(
        f"/admin/orgs/{pager.org_id}/suspend", data={"reason": "x", "csrf_token": token}
    )
    assert forged.status_code == 403
    assert actions_of(pager) == []
    assert 'href="/admin"' not in client.get(home).text


def test_the_queue_marks_an_appeal_overdue_after_five_business_days(
    staff: TestClient, pager: Pager
) -> None:
    assert suspend(staff, pager.org_id).status_code == 303
    [action] = actions_of(pager)
    case_id = appeal(pager, action["id"])  # Thursday 2026-01-01: due Thursday 2026-01-08

    queue = staff.get("/admin")
    assert queue.status_code == 200
    row = queue_row(queue.text, case_id)
    assert "appeal" in row
    assert "Pager test" in row
    assert "2026-01-08" in row
    assert "OVERDUE" not in row
    assert case_id not in staff.get("/admin?overdue=1").text

    pager.clock.advance(7 * 86400 + 1)
    sign_in_again(staff, pager.runtime)
    row = queue_row(staff.get("/admin").text, case_id)
    assert '<span class="badge overdue">OVERDUE</span>' in row
    assert case_id in staff.get("/admin?overdue=1&kind=appeal&status=open").text
    assert case_id not in staff.get("/admin?kind=abuse_report").text


def test_a_case_page_shows_its_history_and_granting_the_appeal_lifts_the_action(
    staff: TestClient, colleague: TestClient, pager: Pager
) -> None:
    endpoint = pager.endpoint(pager.contact("Ana"))
    suspend(staff, pager.org_id)
    assert hook(pager, endpoint).json()["error"]["code"] == "org_suspended"
    [action] = actions_of(pager)
    case_id = appeal(pager, action["id"])
    page = f"/admin/cases/{case_id}"

    # The administrator who suspended sees why they may not answer, and no decision form.
    own = staff.get(page).text
    assert "You took the action this appeal is against" in own
    assert ">Grant appeal</button>" not in own
    forced = submit(staff, page, f"{page}/decision", {"decision": "grant", "decision_note": "x"})
    assert forced.status_code == 403
    assert "another administrator decides it" in forced.text
    staff = colleague
    shown = staff.get(page)
    assert "case.opened.appeal" in shown.text
    # Filed with the organization's API key: the console says which, by name.
    assert re.search(r"by api_key automation <code>\(key_\w+\)</code></dd>", shown.text)
    assert "These were our own on-call engineers." in shown.text
    assert ">Grant appeal</button>" in shown.text
    assert ">Uphold</button>" in shown.text

    noted = submit(staff, page, f"{page}/note", {"note": "calling the owner"})
    assert noted.status_code == 303
    assert "calling the owner" in staff.get(page).text

    granted = submit(
        staff, page, f"{page}/decision", {"decision": "grant", "decision_note": "verified rota"}
    )
    assert (granted.status_code, granted.headers["location"]) == (303, page)
    after = staff.get(page)
    assert '<span class="badge resolved">resolved</span>' in after.text
    assert "grant: verified rota" in after.text
    assert ">Grant appeal</button>" not in after.text
    assert actions_of(pager)[0]["lifted_at"] is not None
    assert hook(pager, endpoint).status_code == 202


def test_closing_a_case_needs_a_resolution(
    staff: TestClient, pager: Pager, client: TestClient
) -> None:
    received = ok(
        client.post(
            "/v1/public/abuse-reports",
            json={
                "caller_id": CALLER_ID,
                "seen_at": pager.clock.now().isoformat(),
                "description": "unwanted call about a disk",
            },
        ),
        201,
    )
    page = f"/admin/cases/{received['reference']}"
    assert "unwanted call about a disk" in staff.get(page).text

    unexplained = submit(staff, page, f"{page}/status", {"status": "resolved", "resolution": ""})
    assert unexplained.status_code == 422
    assert "resolution_required" in unexplained.text

    resolved = submit(
        staff, page, f"{page}/status", {"status": "dismissed", "resolution": "not one of ours"}
    )
    assert resolved.status_code == 303
    closed = staff.get(page)
    assert '<span class="badge dismissed">dismissed</span>' in closed.text
    assert "not one of ours" in closed.text
    assert ">Reopen</button>" in closed.text
    assert "dismissed" in queue_row(
        staff.get("/admin?status=dismissed").text, received["reference"]
    )


def test_looking_up_suspending_and_lifting_an_organization(staff: TestClient, pager: Pager) -> None:
    endpoint = pager.endpoint(pager.contact("Ana"))
    found = staff.get("/admin/orgs?q=pager TEST")
    assert f'href="/admin/orgs/{pager.org_id}">Pager test</a>' in found.text
    assert "Tocsin staff" not in found.text
    assert pager.org_id in staff.get(f"/admin/orgs?q={pager.org_id}").text
    assert "No organization matches" in staff.get("/admin/orgs?q=nothing-like-it").text

    page = f"/admin/orgs/{pager.org_id}"
    shown = staff.get(page)
    assert "owner" in shown.text
    assert ">1</dd>" in shown.text
    assert ">Suspend organization</button>" in shown.text
    no_reason = suspend(staff, pager.org_id, reason="  ")
    assert no_reason.status_code == 422
    assert "reason_required" in no_reason.text

    assert suspend(staff, pager.org_id, "robocalling complaints").headers["location"] == page
    refused = hook(pager, endpoint)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "org_suspended")
    suspended = staff.get(page)
    assert "robocalling complaints" in suspended.text
    assert '<span class="badge suspended">suspension</span>' in suspended.text

    [action] = actions_of(pager)
    lifted = submit(staff, page, f"/admin/enforcement/{action['id']}/lift", {"back": page})
    assert (lifted.status_code, lifted.headers["location"]) == (303, page)
    assert hook(pager, endpoint).status_code == 202
    assert ">Lift</button>" not in staff.get(page).text


def test_the_enforcement_form_and_the_audit_search(staff: TestClient, pager: Pager) -> None:
    endpoint = pager.endpoint(pager.contact("Ana"))
    shown = staff.get("/admin/enforcement")
    for label in ("Kind", "Scope", "Target", "Reason"):
        assert f">{label}</label>" in shown.text
    taken = submit(
        staff,
        "/admin/enforcement",
        "/admin/enforcement",
        {"kind": "suspension", "scope": "endpoint", "target": endpoint, "reason": "spam"},
    )
    assert taken.status_code == 303
    assert hook(pager, endpoint).json()["error"]["code"] == "endpoint_suspended"
    listed = staff.get("/admin/enforcement")
    # The console names what it shows, with the id beside it for support work.
    assert f"Production <code>({endpoint})</code>" in listed.text
    assert ">Lift</button>" in listed.text
    unknown = submit(
        staff,
        "/admin/enforcement",
        "/admin/enforcement",
        {"kind": "warning", "scope": "organization", "target": "org_nope", "reason": "x"},
    )
    assert unknown.status_code == 404
    assert "org_not_found" in unknown.text
    assert 'value="org_nope"' in unknown.text

    trail = staff.get(f"/admin/audit?org_id={pager.org_id}&action=enforcement.")
    assert trail.status_code == 200
    assert "enforcement.suspension" in trail.text
    assert "spam" in trail.text
    org_name, staff_name = _name(pager, pager.org_id), _name(pager, _user_id(pager, STAFF))
    assert f">{org_name} <code>({pager.org_id})</code></a>" in trail.text
    assert f"user {staff_name} <code>(" in trail.text
    assert f"endpoint Production <code>({endpoint})</code>" in trail.text
    by_target = staff.get(f"/admin/audit?target_id={endpoint}")
    assert "enforcement.suspension" in by_target.text
    assert "No events match" in staff.get("/admin/audit?action=nothing.").text
    for label in ("Organization", "Action", "Target"):
        assert f">{label}</label>" in trail.text
