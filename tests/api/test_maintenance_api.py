"""Maintenance windows over HTTP: a silence "for an hour", a weekly window, the lists by state,
changes, an early end, deletion, the refusals each with its code, and what an alert shows of
the window that muted it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests import seeded
from tests.accounts.helpers import error
from tests.factories import ok
from tocsin.accounts.models import Role, User
from tocsin.core.clock import ManualClock
from tocsin.runtime import Runtime

# The clock starts on Thursday 1 January 2026, 00:00 UTC.
WEEKLY = {
    "reason": "Sunday patching",
    "starts_at": "2025-12-07T02:00:00+01:00",
    "duration_minutes": 120,
    "rrule": "FREQ=WEEKLY;BYDAY=SU",
    "timezone": "Europe/Berlin",
}


@pytest.fixture
def owner(runtime: Runtime) -> seeded.Person:
    person = seeded.person(runtime, org_name="Platform")
    with runtime.database.write() as session:
        session.execute(update(User).where(User.id == person.user_id).values(display_name="Ana"))
    return person


def windows(owner: seeded.Person) -> str:
    return f"/v1/orgs/{owner.org_id}/maintenance-windows"


def create(client: TestClient, owner: seeded.Person, **body: Any) -> dict[str, Any]:
    made: dict[str, Any] = ok(client.post(windows(owner), json=body, headers=owner.auth), 201)
    return made


def test_a_silence_for_an_hour_starts_now_and_says_who_made_it(
    client: TestClient, owner: seeded.Person
) -> None:
    made = create(client, owner, reason="Deploying  the\tAPI", duration_minutes=60)
    assert made["reason"] == "Deploying the API"
    assert made["scope"] == "organization"
    assert made["starts_at"] == "2026-01-01T00:00:00Z"
    assert made["occurrence"] == {
        "starts_at": "2026-01-01T00:00:00Z",
        "ends_at": "2026-01-01T01:00:00Z",
    }
    assert (made["state"], made["created_by"], made["page_after"]) == ("active", "Ana", True)
    assert (made["created_by_type"], made["created_by_id"]) == ("user", owner.user_id)
    assert made["last_ends_at"] == "2026-01-01T01:00:00Z"
    assert ok(client.get(f"{windows(owner)}/{made['id']}", headers=owner.auth)) == made


def test_a_weekly_window_reports_its_next_occurrence_in_utc(
    client: TestClient, owner: seeded.Person
) -> None:
    made = create(client, owner, **WEEKLY)
    assert made["state"] == "upcoming"
    # Sunday 4 January, 02:00 in Berlin (CET).
    assert made["occurrence"] == {
        "starts_at": "2026-01-04T01:00:00Z",
        "ends_at": "2026-01-04T03:00:00Z",
    }
    assert made["last_ends_at"] is None
    assert made["rrule"] == "FREQ=WEEKLY;BYDAY=SU"


def test_lists_by_state(client: TestClient, owner: seeded.Person, clock: ManualClock) -> None:
    past = create(client, owner, reason="Soon over", duration_minutes=10)
    active = create(client, owner, reason="Now", duration_minutes=120)
    weekly = create(client, owner, **WEEKLY)
    later = create(
        client, owner, reason="Later", starts_at="2026-01-02T00:00:00Z", duration_minutes=5
    )
    clock.advance(12 * 60)  # tokens live 15 minutes
    by_state = {
        state: [
            item["id"]
            for item in ok(client.get(f"{windows(owner)}?state={state}", headers=owner.auth))[
                "items"
            ]
        ]
        for state in ("active", "upcoming", "past")
    }
    assert by_state == {
        "active": [active["id"]],
        # Soonest first.
        "upcoming": [later["id"], weekly["id"]],
        "past": [past["id"]],
    }
    everything = ok(client.get(windows(owner), headers=owner.auth))["items"]
    assert [item["id"] for item in everything] == [
        later["id"],
        weekly["id"],
        active["id"],
        past["id"],
    ]
    assert error(client.get(f"{windows(owner)}?state=soon", headers=owner.auth), 422) == (
        "invalid_state"
    )


def test_patch_end_and_delete(client: TestClient, owner: seeded.Person) -> None:
    made = create(client, owner, reason="Upgrade", duration_minutes=30)
    path = f"{windows(owner)}/{made['id']}"
    changed = ok(
        client.patch(
            path, json={"reason": "Upgrade, slower", "duration_minutes": 90}, headers=owner.auth
        )
    )
    assert changed["reason"] == "Upgrade, slower"
    assert changed["occurrence"]["ends_at"] == "2026-01-01T01:30:00Z"
    recurring = ok(client.patch(path, json={"rrule": "FREQ=DAILY"}, headers=owner.auth))
    assert (recurring["rrule"], recurring["last_ends_at"]) == ("FREQ=DAILY", None)
    once = ok(client.patch(path, json={"rrule": None}, headers=owner.auth))
    assert (once["rrule"], once["last_ends_at"]) == (None, "2026-01-01T01:30:00Z")

    ended = ok(client.post(f"{path}/end", headers=owner.auth))
    assert (ended["state"], ended["ended_at"], ended["ended_by"]) == (
        "past",
        "2026-01-01T00:00:00Z",
        "Ana",
    )
    assert error(client.post(f"{path}/end", headers=owner.auth), 409) == "window_not_active"
    assert client.delete(path, headers=owner.auth).status_code == 204
    assert error(client.get(path, headers=owner.auth), 404) == "window_not_found"
    assert error(client.delete(path, headers=owner.auth), 404) == "window_not_found"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"reason": " ", "duration_minutes": 5}, "invalid"),
        ({"reason": "x"}, "invalid_window"),
        (
            {"reason": "x", "ends_at": "2026-01-01T01:00:00Z", "duration_minutes": 5},
            "invalid_window",
        ),
        ({"reason": "x", "ends_at": "2025-12-31T23:00:00Z"}, "invalid_window"),
        (
            {"reason": "x", "starts_at": "2025-12-31T22:00:00Z", "duration_minutes": 60},
            "window_in_past",
        ),
        ({"reason": "x", "duration_minutes": 5, "timezone": "Mars/Olympus"}, "invalid_timezone"),
        # Further back than a year, or further ahead than five years.
        (
            {
                "reason": "x",
                "starts_at": "1900-01-01T00:00:00Z",
                "duration_minutes": 5,
                "rrule": "FREQ=DAILY",
            },
            "invalid_window",
        ),
        (
            {"reason": "x", "starts_at": "9999-12-31T00:00:00Z", "duration_minutes": 527040},
            "invalid_window",
        ),
        ({"reason": "x", "duration_minutes": 5, "rrule": "FREQ=HOURLY"}, "invalid_rrule"),
        (
            {"reason": "x", "duration_minutes": 5, "rrule": "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31"},
            "invalid_rrule",
        ),
        (
            {
                "reason": "x",
                "duration_minutes": 5,
                "matchers": [{"name": "instance", "op": "=~", "value": "(a+)+$"}],
            },
            "invalid_matchers",
        ),
        ({"reason": "x", "duration_minutes": 5, "scope": "endpoint"}, "invalid_scope"),
        (
            {"reason": "x", "duration_minutes": 5, "target_id": "ep_01nowhere000000000000000000"},
            "invalid_scope",
        ),
        ({"reason": "x", "duration_minutes": 5, "scope": "galaxy"}, "invalid"),
        (
            {
                "reason": "x",
                "duration_minutes": 5,
                "matchers": [{"name": "a", "op": "~", "value": ""}],
            },
            "invalid",
        ),
    ],
)
def test_refusals_name_what_is_wrong(
    client: TestClient, owner: seeded.Person, body: dict[str, Any], code: str
) -> None:
    assert error(client.post(windows(owner), json=body, headers=owner.auth), 422) == code
    assert ok(client.get(windows(owner), headers=owner.auth))["items"] == []


def test_a_target_must_exist_in_the_organization(client: TestClient, owner: seeded.Person) -> None:
    body = {"reason": "x", "duration_minutes": 5, "scope": "endpoint"}
    missing = client.post(
        windows(owner),
        json={**body, "target_id": "ep_01nowhere000000000000000000"},
        headers=owner.auth,
    )
    assert error(missing, 404) == "endpoint_not_found"
    # A heartbeat monitor is matched by the id its alerts carry.
    monitor = create(
        client, owner, reason="x", duration_minutes=5, scope="monitor", target_id="hb_1"
    )
    assert (monitor["scope"], monitor["target_id"]) == ("monitor", "hb_1")


def test_members_read_windows_and_only_admins_change_them(
    client: TestClient, runtime: Runtime, owner: seeded.Person
) -> None:
    made = create(client, owner, reason="Upgrade", duration_minutes=30)
    member = seeded.member(runtime, owner.org_id, role=Role.MEMBER)
    assert ok(client.get(windows(owner), headers=member.auth))["items"][0]["id"] == made["id"]
    refused = client.post(
        windows(owner), json={"reason": "mine", "duration_minutes": 5}, headers=member.auth
    )
    assert refused.status_code == 403
    ended = client.post(f"{windows(owner)}/{made['id']}/end", headers=member.auth)
    assert ended.status_code == 403


def test_an_alert_shows_the_window_that_muted_it(
    client: TestClient, runtime: Runtime, owner: seeded.Person
) -> None:
    contact = seeded.contact(runtime, owner.org_id, phone="+447400123456")
    endpoint = seeded.endpoint(runtime, owner.org_id, contact)
    key = seeded.api_key(runtime, owner.org_id, name="Prometheus")
    made = create(
        client,
        owner,
        reason="Disk swap",
        duration_minutes=45,
        matchers=[{"name": "severity", "op": "=", "value": "critical"}],
    )
    sent = ok(
        client.post(
            f"/v1/hooks/{endpoint}",
            json={"title": "Disk full", "labels": {"severity": "critical"}},
            headers={"X-Alert-Key": key},
        ),
        202,
    )
    assert (sent["outcome"], sent["calls_queued"]) == ("created", 0)
    detail = ok(
        client.get(f"/v1/orgs/{owner.org_id}/alerts/{sent['alert_id']}", headers=owner.auth)
    )
    assert detail["muted_by"] == {
        "window_id": made["id"],
        "reason": "Disk swap",
        "created_by": "Ana",
        "until": "2026-01-01T00:45:00Z",
        "page_after": True,
        "muted_now": True,
        "deleted": False,
    }
    # Another label: not muted.
    other = ok(
        client.post(
            f"/v1/hooks/{endpoint}",
            json={"title": "CPU high", "labels": {"severity": "warning"}},
            headers={"X-Alert-Key": key},
        ),
        202,
    )
    assert other["calls_queued"] == 1
    assert (
        ok(client.get(f"/v1/orgs/{owner.org_id}/alerts/{other['alert_id']}", headers=owner.auth))[
            "muted_by"
        ]
        is None
    )


def test_a_window_made_with_an_api_key_names_the_key(
    client: TestClient, runtime: Runtime, owner: seeded.Person
) -> None:
    key = seeded.api_key(runtime, owner.org_id, name="deploy-bot", scopes=("read", "write"))
    made = ok(
        client.post(
            windows(owner),
            json={"reason": "Deploy", "duration_minutes": 15},
            headers={"Authorization": f"Bearer {key}"},
        ),
        201,
    )
    assert (made["created_by"], made["created_by_type"]) == ('API key "deploy-bot"', "api_key")
