"""Rotations, schedules, overrides and who is on call over HTTP: the owner builds a schedule, a
member reads who is on call and their own shifts, an override changes the answer, and the
refusals each answer with their code."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests import seeded
from tests.accounts.helpers import error
from tests.factories import ok
from tests.oncall import oncall_rows, schedule_rows
from tests.oncall.schedule_rows import named_member
from tocsin.runtime import Runtime

# The clock starts on Thursday 1 January 2026, 00:00 UTC.
START = "2026-01-01T09:00:00+00:00"


def _setup(client: TestClient, runtime: Runtime) -> tuple[str, dict[str, str], str, str]:
    owner = seeded.person(runtime, org_name="Platform")
    ana = named_member(runtime, owner.org_id, "Ana")
    ben = named_member(runtime, owner.org_id, "Ben")
    org = f"/v1/orgs/{owner.org_id}"
    rotation = ok(
        client.post(
            f"{org}/rotations",
            json={
                "name": "Weekly",
                "unit": "weeks",
                "timezone": "Europe/London",
                "handoff_time": "09:00",
                "start_at": START,
                "participants": [ana, ben],
            },
            headers=owner.auth,
        ),
        201,
    )
    assert rotation["count"] == 1
    return org, owner.auth, ana, ben


def test_a_schedule_answers_who_is_on_call_and_their_shifts(
    client: TestClient, runtime: Runtime
) -> None:
    org, auth, ana, ben = _setup(client, runtime)
    rotation_id = ok(client.get(f"{org}/rotations", headers=auth))["items"][0]["id"]
    schedule = ok(
        client.post(
            f"{org}/schedules",
            json={
                "name": "Platform primary",
                "timezone": "Europe/London",
                "layers": [{"name": "Primary", "rotation_id": rotation_id}],
            },
            headers=auth,
        ),
        201,
    )
    sid = schedule["id"]
    # Nobody before the rotation's first turn at 09:00: flagged as the schedule is made.
    assert schedule["gap_starts_at"] == "2026-01-01T00:00:00Z"
    assert schedule["layers"] == [
        {"name": "Primary", "rotation_id": rotation_id, "restrictions": []}
    ]

    now = ok(client.get(f"{org}/schedules/{sid}/on-call?at=2026-01-02T12:00:00Z", headers=auth))
    assert now["user_ids"] == [ana]
    assert now["description"] == "Platform primary: Ana (Primary layer)"
    assert now["holders"][0] | {"name": "Ana", "layer": "Primary"} == now["holders"][0]

    shifts = ok(client.get(f"{org}/schedules/{sid}/shifts?next=3", headers=auth))["items"]
    assert [(s["name"], s["starts_at"]) for s in shifts] == [
        ("Ana", "2026-01-01T09:00:00Z"),
        ("Ben", "2026-01-08T09:00:00Z"),
        ("Ana", "2026-01-15T09:00:00Z"),
    ]
    window = "from=2026-01-05T00:00:00Z&until=2026-01-12T00:00:00Z"
    timeline = ok(client.get(f"{org}/schedules/{sid}/timeline?{window}", headers=auth))
    assert [len(segment["holders"]) for segment in timeline["segments"]] == [1, 1]
    assert timeline["segments"][0]["starts_at"] == "2026-01-05T00:00:00Z"

    # Ben swaps in for Ana's Friday; the answer changes and says why.
    override = ok(
        client.post(
            f"{org}/schedules/{sid}/overrides",
            json={
                "kind": "replace",
                "user_id": ben,
                "replaces_user_id": ana,
                "starts_at": "2026-01-02T00:00:00Z",
                "ends_at": "2026-01-03T00:00:00Z",
            },
            headers=auth,
        ),
        201,
    )
    now = ok(client.get(f"{org}/schedules/{sid}/on-call?at=2026-01-02T12:00:00Z", headers=auth))
    assert now["description"] == "Platform primary: Ben (override for Ana)"
    listed = ok(client.get(f"{org}/schedules/{sid}/overrides", headers=auth))["items"]
    assert [item["id"] for item in listed] == [override["id"]]
    bens = ok(client.get(f"{org}/people/{ben}/shifts?next=2", headers=auth))["items"]
    assert bens[0]["starts_at"] == "2026-01-02T00:00:00Z"
    assert bens[0]["schedule_id"] == sid

    assert (
        client.delete(f"{org}/schedules/{sid}/overrides/{override['id']}", headers=auth).status_code
        == 204
    )
    assert ok(client.get(f"{org}/schedules/{sid}/overrides", headers=auth))["items"] == []


def test_a_member_reads_their_own_shifts_but_may_not_change_schedules(
    client: TestClient, runtime: Runtime
) -> None:
    org, auth, ana, _ = _setup(client, runtime)
    org_id = org.rsplit("/", 1)[-1]
    rotation_id = ok(client.get(f"{org}/rotations", headers=auth))["items"][0]["id"]
    ok(
        client.post(
            f"{org}/schedules",
            json={
                "name": "P",
                "timezone": "UTC",
                "layers": [{"name": "L", "rotation_id": rotation_id}],
            },
            headers=auth,
        ),
        201,
    )
    viewer = seeded.member(runtime, org_id)
    assert (
        error(
            client.post(
                f"{org}/schedules", json={"name": "X", "timezone": "UTC"}, headers=viewer.auth
            ),
            403,
        )
        == "insufficient_role"
    )
    assert ok(client.get(f"{org}/me/shifts", headers=viewer.auth))["items"] == []
    anas = seeded.signed_in(runtime, ana)
    mine = ok(client.get(f"{org}/me/shifts?next=1", headers=anas))["items"]
    assert [shift["user_id"] for shift in mine] == [ana]


def test_refusals_name_what_is_wrong(client: TestClient, runtime: Runtime) -> None:
    org, auth, ana, _ = _setup(client, runtime)
    rotation_id = ok(client.get(f"{org}/rotations", headers=auth))["items"][0]["id"]
    sid = ok(
        client.post(
            f"{org}/schedules",
            json={
                "name": "P",
                "timezone": "UTC",
                "layers": [{"name": "L", "rotation_id": rotation_id}],
            },
            headers=auth,
        ),
        201,
    )["id"]
    assert (
        error(
            client.post(
                f"{org}/schedules", json={"name": "X", "timezone": "Mars/Base"}, headers=auth
            ),
            422,
        )
        == "invalid_timezone"
    )
    too_long = client.get(
        f"{org}/schedules/{sid}/shifts?from=2026-01-01T00:00:00Z&until=2026-04-01T00:00:00Z",
        headers=auth,
    )
    assert error(too_long, 422) == "window_too_long"
    assert too_long.json()["error"]["details"] == {"max_days": 62}
    assert (
        error(client.delete(f"{org}/rotations/{rotation_id}", headers=auth), 409)
        == "rotation_in_use"
    )
    past = {
        "kind": "add",
        "user_id": ana,
        "starts_at": "2025-12-01T00:00:00Z",
        "ends_at": "2025-12-02T00:00:00Z",
    }
    assert (
        error(client.post(f"{org}/schedules/{sid}/overrides", json=past, headers=auth), 422)
        == "period_in_past"
    )
    assert (
        error(client.get(f"{org}/schedules/sch_nowhere/on-call", headers=auth), 404)
        == "schedule_not_found"
    )
    assert (
        error(client.get(f"{org}/people/usr_nowhere/shifts", headers=auth), 404)
        == "member_not_found"
    )
    # Deleting what nobody pages works, in order.
    assert client.delete(f"{org}/schedules/{sid}", headers=auth).status_code == 204
    assert client.delete(f"{org}/rotations/{rotation_id}", headers=auth).status_code == 204


def test_a_temporary_schedule_over_http(client: TestClient, runtime: Runtime) -> None:
    org, auth, ana, ben = _setup(client, runtime)
    sid = ok(
        client.post(
            f"{org}/schedules",
            json={"name": "P", "timezone": "UTC", "layers": [{"name": "L", "user_ids": [ana]}]},
            headers=auth,
        ),
        201,
    )["id"]
    holiday = {
        "starts_at": "2026-01-02T00:00:00Z",
        "ends_at": "2026-01-03T00:00:00Z",
        "shifts": [
            {"user_id": ben, "starts_at": "2026-01-02T00:00:00Z", "ends_at": "2026-01-02T12:00:00Z"}
        ],
    }
    made = ok(client.post(f"{org}/schedules/{sid}/temporaries", json=holiday, headers=auth), 201)
    assert (
        error(client.post(f"{org}/schedules/{sid}/temporaries", json=holiday, headers=auth), 409)
        == "temporary_overlaps"
    )
    now = ok(client.get(f"{org}/schedules/{sid}/on-call?at=2026-01-02T06:00:00Z", headers=auth))
    assert now["description"] == "P: Ben (temporary schedule)"
    assert len(ok(client.get(f"{org}/schedules/{sid}/temporaries", headers=auth))["items"]) == 1
    assert (
        client.delete(f"{org}/schedules/{sid}/temporaries/{made['id']}", headers=auth).status_code
        == 204
    )
    now = ok(client.get(f"{org}/schedules/{sid}/on-call?at=2026-01-02T06:00:00Z", headers=auth))
    assert now["user_ids"] == [ana]


def test_a_projects_next_shifts_cover_each_of_its_schedules_by_start(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Team shifts")
    org = f"/v1/orgs/{owner.org_id}"
    ana = named_member(runtime, owner.org_id, "Ana")
    ben = named_member(runtime, owner.org_id, "Ben")
    project = schedule_rows.project(runtime, owner.org_id)
    days = schedule_rows.schedule(
        runtime, owner.org_id, oncall_rows.working_hours(ana), name="Days", project_id=project
    )
    nights = schedule_rows.schedule(
        runtime, owner.org_id, oncall_rows.always(ben), name="Nights", project_id=project
    )
    schedule_rows.schedule(runtime, owner.org_id, oncall_rows.always(ana), name="Elsewhere")

    items = ok(client.get(f"{org}/projects/{project}/shifts?next=4", headers=owner.auth))["items"]

    # Thursday 1 January 2026 00:00 UTC: Ben's "always" shift is in progress, Ana's working
    # hours follow on Thursday and Friday.
    assert [(i["schedule_id"], i["name"]) for i in items] == [
        (nights, "Ben"),
        (days, "Ana"),
        (days, "Ana"),
        (days, "Ana"),
    ]
    assert items[1]["starts_at"] == "2026-01-01T09:00:00Z"
    assert (
        error(client.get(f"{org}/projects/prj_nowhere/shifts", headers=owner.auth), 404)
        == "project_not_found"
    )
