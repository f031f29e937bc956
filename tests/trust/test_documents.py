"""Policy documents: the shipped versions are in force until a published one takes effect, a
material change waits 30 days and tells every owner, and users accept versions on the record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import seeded
from tests.factories import ok, signup
from tocsin.audit.log import SYSTEM
from tocsin.audit.models import AuditEvent
from tocsin.core.clock import ManualClock
from tocsin.core.errors import InvalidInput
from tocsin.documents import commands, queries
from tocsin.documents.models import PolicyAcceptance
from tocsin.documents.versions import SHIPPED_VERSION, PolicyKind
from tocsin.runtime import Runtime

DAY = 24 * 3600


def publish(
    client: TestClient,
    staff: dict[str, str],
    clock: ManualClock,
    *,
    days: float | None,
    **body: Any,
) -> Any:
    """POST a new AUP version taking effect `days` from now (None: the default, at once)."""
    payload: dict[str, Any] = {
        "kind": "aup",
        "version": "2027-01-01",
        "title": "Tocsin Acceptable Use Policy",
        "body": "# Tocsin Acceptable Use Policy\n\nAlerting calls only, to numbers that consented.",
        "summary_of_changes": "Calls abroad need the callee's consent in their own language.",
        "material": True,
        **body,
    }
    if days is not None:
        payload["effective_at"] = (clock.now() + timedelta(days=days)).isoformat()
    return client.post("/v1/admin/policies", json=payload, headers=staff)


def error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    code: str = response.json()["error"]["code"]
    return code


def aup(client: TestClient) -> dict[str, Any]:
    listed = ok(client.get("/v1/policies"))
    [entry] = [entry for entry in listed if entry["kind"] == "aup"]
    return entry  # type: ignore[no-any-return]


def my_aup(client: TestClient, auth: dict[str, str]) -> dict[str, Any]:
    mine = ok(client.get("/v1/me/policies", headers=auth))
    [entry] = [entry for entry in mine if entry["kind"] == "aup"]
    return entry  # type: ignore[no-any-return]


def aup_in_force(runtime: Runtime, clock: ManualClock) -> str:
    with runtime.database.read() as session:
        return queries.aup_version_in_force(session, clock.now())


def test_with_nothing_published_the_shipped_versions_are_in_force(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    listed = ok(client.get("/v1/policies"))
    assert [entry["kind"] for entry in listed] == ["aup", "terms"]
    for entry in listed:
        assert entry["in_force"]["version"] == SHIPPED_VERSION
        assert entry["in_force"]["shipped"] is True
        assert entry["in_force"]["effective_at"] is None
        assert entry["upcoming"] is None
    full = ok(client.get(f"/v1/policies/aup/{SHIPPED_VERSION}"))
    assert full["title"] == "Tocsin Acceptable Use Policy"
    text = " ".join(full["body"].split())
    for promise in ("press 9", "public opt-out", "Marketing", "five business days"):
        assert promise in text
    terms = ok(client.get(f"/v1/policies/terms/{SHIPPED_VERSION}"))
    assert terms["title"] == "Tocsin Terms of Service"
    assert aup_in_force(runtime, clock) == SHIPPED_VERSION


def test_an_unknown_policy_is_a_structured_404(client: TestClient) -> None:
    assert error(client.get("/v1/policies/aup/1999-01-01"), 404) == "policy_not_found"
    assert error(client.get(f"/v1/policies/cookies/{SHIPPED_VERSION}"), 404) == "policy_not_found"


def test_a_material_change_with_29_days_notice_is_refused_and_with_30_accepted(
    client: TestClient, staff: dict[str, str], clock: ManualClock
) -> None:
    refused = publish(client, staff, clock, days=29)
    assert error(refused, 422) == "notice_too_short"
    assert "30 days' notice" in refused.json()["error"]["message"]
    assert error(publish(client, staff, clock, days=None), 422) == "notice_too_short"
    published = ok(publish(client, staff, clock, days=30), 201)
    assert published["version"] == "2027-01-01"
    assert published["material"] is True
    assert published["published_at"].startswith("2026-01-01")
    assert published["effective_at"].startswith("2026-01-31")


def test_the_old_version_stays_in_force_until_the_new_one_takes_effect(
    client: TestClient, runtime: Runtime, staff: dict[str, str], clock: ManualClock
) -> None:
    ok(publish(client, staff, clock, days=30), 201)
    entry = aup(client)
    assert entry["in_force"]["version"] == SHIPPED_VERSION
    assert entry["upcoming"]["version"] == "2027-01-01"
    assert entry["upcoming"]["summary_of_changes"].startswith("Calls abroad")

    clock.advance(30 * DAY - 1)
    assert aup(client)["in_force"]["version"] == SHIPPED_VERSION
    assert aup_in_force(runtime, clock) == SHIPPED_VERSION

    clock.advance(1)
    entry = aup(client)
    assert entry["in_force"]["version"] == "2027-01-01"
    assert entry["upcoming"] is None
    assert aup_in_force(runtime, clock) == "2027-01-01"
    # The shipped version is still there to read; it is only no longer in force.
    assert ok(client.get(f"/v1/policies/aup/{SHIPPED_VERSION}"))["shipped"] is True


def test_a_non_material_change_takes_effect_at_once(
    client: TestClient, runtime: Runtime, staff: dict[str, str], clock: ManualClock
) -> None:
    published = ok(
        publish(client, staff, clock, days=None, version="2026-12-01a", material=False), 201
    )
    assert published["effective_at"] == published["published_at"]
    assert aup(client)["in_force"]["version"] == "2026-12-01a"
    assert aup_in_force(runtime, clock) == "2026-12-01a"


def test_a_version_cannot_be_published_twice(
    client: TestClient, staff: dict[str, str], clock: ManualClock
) -> None:
    ok(publish(client, staff, clock, days=30), 201)
    assert error(publish(client, staff, clock, days=40), 409) == "version_exists"
    shipped_again = publish(
        client, staff, clock, days=None, version=SHIPPED_VERSION, material=False
    )
    assert error(shipped_again, 409) == "version_exists"
    # Versions are per kind: the terms may use the same one.
    ok(publish(client, staff, clock, days=30, kind="terms"), 201)


def test_the_owners_of_every_organization_are_told_of_a_material_change(
    client: TestClient, runtime: Runtime, staff: dict[str, str], clock: ManualClock
) -> None:
    owners = [seeded.person(runtime) for _ in range(2)]
    ok(publish(client, staff, clock, days=None, version="typo-fix", material=False), 201)
    published = ok(publish(client, staff, clock, days=45), 201)
    for owner in owners:
        notices = ok(client.get(f"/v1/orgs/{owner.org_id}/notices", headers=owner.auth))["items"]
        assert [notice["kind"] for notice in notices] == ["policy_change"]
        assert "2026-02-15" in notices[0]["message"]
        assert "Calls abroad" in notices[0]["message"]
    with runtime.database.read() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "policy.published")
        ).all()
    # Both are written in the same instant: told apart by version, not by the order of rows.
    materiality = {event.details["version"]: event.details["material"] for event in events}
    assert materiality == {"typo-fix": False, published["version"]: True}


def test_accepting_is_idempotent_and_recorded_with_address_and_browser(
    client: TestClient, runtime: Runtime, staff: dict[str, str], clock: ManualClock
) -> None:
    auth = seeded.person(runtime).auth
    ok(publish(client, staff, clock, days=30), 201)
    headers = {**auth, "User-Agent": "PolicyTest/1.0"}
    first = ok(
        client.post(
            "/v1/me/policies/accept", json={"kind": "aup", "version": "2027-01-01"}, headers=headers
        )
    )
    clock.advance(60)
    again = ok(
        client.post(
            "/v1/me/policies/accept", json={"kind": "aup", "version": "2027-01-01"}, headers=headers
        )
    )
    assert again["accepted_at"] == first["accepted_at"]
    with runtime.database.read() as session:
        acceptances = session.scalars(
            select(PolicyAcceptance).where(PolicyAcceptance.user_agent == "PolicyTest/1.0")
        ).all()
        accepted = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "policy.accepted")
        ).all()
    assert [(row.ip_address, row.user_agent) for row in acceptances] == [
        ("testclient", "PolicyTest/1.0")
    ]
    assert [event.details["version"] for event in accepted].count("2027-01-01") == 1


def test_my_policies_show_the_upcoming_version_unaccepted_until_accepted(
    client: TestClient, runtime: Runtime, staff: dict[str, str], clock: ManualClock
) -> None:
    someone = seeded.person(runtime)
    auth = someone.auth
    ok(publish(client, staff, clock, days=30), 201)

    entry = my_aup(client, auth)
    assert (entry["in_force"]["version"], entry["in_force"]["accepted"]) == (SHIPPED_VERSION, True)
    assert entry["upcoming"]["version"] == "2027-01-01"
    assert entry["upcoming"]["effective_at"].startswith("2026-01-31")
    assert entry["upcoming"]["summary_of_changes"].startswith("Calls abroad")
    assert entry["upcoming"]["accepted"] is False

    accept = {"kind": "aup", "version": "2027-01-01"}
    ok(client.post("/v1/me/policies/accept", json=accept, headers=auth))
    assert my_aup(client, auth)["upcoming"]["accepted"] is True
    clock.advance(30 * DAY)
    # The access token expired while the clock moved on.
    entry = my_aup(client, seeded.signed_in(runtime, someone.user_id))
    assert (entry["in_force"]["version"], entry["in_force"]["accepted"]) == ("2027-01-01", True)
    assert entry["upcoming"] is None


def test_signing_up_accepts_the_versions_in_force(
    client: TestClient, staff: dict[str, str], clock: ManualClock
) -> None:
    ok(publish(client, staff, clock, days=None, version="2026-12-01a", material=False), 201)
    _, body = signup(client)
    auth = {"Authorization": f"Bearer {body['tokens']['access_token']}"}
    mine = ok(client.get("/v1/me/policies", headers=auth))
    assert {(e["kind"], e["in_force"]["version"], e["in_force"]["accepted"]) for e in mine} == {
        ("aup", "2026-12-01a", True),
        ("terms", SHIPPED_VERSION, True),
    }


def test_a_replaced_or_unknown_version_cannot_be_accepted(
    client: TestClient, runtime: Runtime, staff: dict[str, str], clock: ManualClock
) -> None:
    auth = seeded.person(runtime).auth
    ok(publish(client, staff, clock, days=None, version="2026-12-01a", material=False), 201)
    replaced = {"kind": "aup", "version": SHIPPED_VERSION}
    response = client.post("/v1/me/policies/accept", json=replaced, headers=auth)
    assert error(response, 409) == "policy_superseded"
    unknown = {"kind": "aup", "version": "2099-01-01"}
    response = client.post("/v1/me/policies/accept", json=unknown, headers=auth)
    assert error(response, 404) == "policy_not_found"
    assert error(client.post("/v1/me/policies/accept", json=unknown), 401) == "unauthenticated"


def test_only_platform_administrators_publish(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    auth = seeded.person(runtime).auth
    assert error(publish(client, auth, clock, days=30), 403) == "platform_admin_required"
    assert error(publish(client, {}, clock, days=30), 401) == "unauthenticated"
    assert aup(client)["upcoming"] is None


def test_publishing_refuses_a_past_date_a_bad_version_and_a_silent_material_change(
    runtime: Runtime, clock: ManualClock
) -> None:
    now = clock.now()
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("effective_in_past", {"effective_at": now - timedelta(seconds=1)}),
        ("invalid_version", {"version": "../etc"}),
        ("summary_required", {"material": True, "effective_at": now + timedelta(days=30)}),
    ]
    for code, change in attempts:
        fields: dict[str, Any] = {
            "kind": PolicyKind.TERMS,
            "version": "2027-01-01",
            "title": "Terms",
            "body": "# Terms",
            "summary_of_changes": None,
            "material": False,
            "effective_at": None,
            **change,
        }
        with pytest.raises(InvalidInput) as refused, runtime.database.write() as session:
            commands.publish(session, **fields, actor=SYSTEM, now=now)
        assert refused.value.code == code
