"""The heartbeats API: a monitor's key shown once, its plan checked and edited, pause, resume,
rotation, deletion, its ping log, and who may do what."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests import seeded
from tests.delivery.pager import MakePager, Pager
from tests.factories import ok
from tests.heartbeats.helpers import make_heartbeat, ping
from tocsin.accounts.models import Role
from tocsin.audit.models import AuditEvent
from tocsin.heartbeats.models import HeartbeatMonitor


@pytest.fixture
def endpoint(pager: Pager) -> str:
    return pager.endpoint(pager.contact("Ops"))


def test_a_monitor_is_made_new_with_its_key_shown_once_and_only_its_digest_kept(
    pager: Pager, endpoint: str
) -> None:
    made = make_heartbeat(pager, endpoint, max_runtime_seconds=900, severity="major")
    assert made["key"].startswith("hbk_")
    assert len(made["key"]) == 44
    assert (made["state"], made["status"], made["paused"]) == ("new", "new", False)
    assert made["ping_url"] == f"http://tocsin.test/v1/heartbeats/{made['id']}"
    assert (made["interval_seconds"], made["grace_seconds"], made["max_runtime_seconds"]) == (
        300,
        60,
        900,
    )
    shown = ok(pager.client.get(f"{pager.org}/heartbeats/{made['id']}", headers=pager.auth))
    assert "key" not in shown
    assert shown["key_prefix"] == made["key"][:8]
    listed = ok(pager.client.get(f"{pager.org}/heartbeats", headers=pager.auth))["items"]
    assert [item["id"] for item in listed] == [made["id"]]
    with pager.runtime.database.read() as session:
        row = session.get(HeartbeatMonitor, made["id"])
        assert row is not None
        assert made["key"] not in (row.key_digest, row.key_prefix)
        assert len(row.key_digest) == 64


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"interval_seconds": 300, "cron": "*/5 * * * *"}, "invalid_schedule"),
        ({"interval_seconds": None}, "invalid_schedule"),
        ({"interval_seconds": 30}, "invalid_interval"),
        ({"interval_seconds": None, "cron": "30 2 * *"}, "invalid_cron"),
        (
            {"interval_seconds": None, "cron": "@daily", "timezone": "Europe/Atlantis"},
            "invalid_timezone",
        ),
        ({"grace_seconds": -5}, "invalid_grace"),
        ({"severity": "resolved"}, "invalid"),
    ],
)
def test_a_plan_that_cannot_work_is_refused_with_its_code(
    pager: Pager, endpoint: str, body: dict[str, Any], code: str
) -> None:
    sent = {"name": "backup", "endpoint_id": endpoint, "interval_seconds": 300, **body}
    response = pager.client.post(f"{pager.org}/heartbeats", json=sent, headers=pager.auth)
    assert (response.status_code, response.json()["error"]["code"]) == (422, code)


def test_another_organizations_endpoint_is_not_found(pager: Pager, make_pager: MakePager) -> None:
    other = make_pager()
    theirs = other.endpoint(other.contact("Their ops"))
    response = pager.client.post(
        f"{pager.org}/heartbeats",
        json={"name": "sneaky", "endpoint_id": theirs, "interval_seconds": 300},
        headers=pager.auth,
    )
    assert (response.status_code, response.json()["error"]["code"]) == (404, "endpoint_not_found")


def test_an_edit_switches_between_interval_and_cron_and_moves_the_deadline(
    pager: Pager, endpoint: str
) -> None:
    made = make_heartbeat(pager, endpoint, max_runtime_seconds=900)
    path = f"{pager.org}/heartbeats/{made['id']}"
    ping(pager.client, made)  # 00:00 UTC: due 00:05, down at 00:06
    edited = ok(
        pager.client.patch(
            path,
            json={"cron": "@hourly", "timezone": "Europe/Kyiv", "max_runtime_seconds": None},
            headers=pager.auth,
        )
    )
    assert (edited["interval_seconds"], edited["cron"], edited["timezone"]) == (
        None,
        "0 * * * *",
        "Europe/Kyiv",
    )
    assert edited["max_runtime_seconds"] is None
    assert (edited["next_due_at"], edited["alert_at"]) == (
        "2026-01-01T01:00:00Z",
        "2026-01-01T01:01:00Z",
    )
    back = ok(pager.client.patch(path, json={"interval_seconds": 120}, headers=pager.auth))
    assert (back["interval_seconds"], back["cron"], back["next_due_at"]) == (
        120,
        None,
        "2026-01-01T00:02:00Z",
    )
    # A name alone changes no deadline.
    renamed = ok(pager.client.patch(path, json={"name": "nightly backup"}, headers=pager.auth))
    assert (renamed["name"], renamed["alert_at"]) == ("nightly backup", back["alert_at"])
    with pager.runtime.database.read() as session:
        changes = list(
            session.scalars(
                select(AuditEvent.details)
                .where(AuditEvent.action == "heartbeat.updated")
                .order_by(AuditEvent.id)
            )
        )
    assert changes == [
        {"changed": ["cron", "interval_seconds", "max_runtime_seconds", "timezone"]},
        {"changed": ["cron", "interval_seconds"]},
        {"changed": ["name"]},
    ]


def test_pause_resume_and_delete_are_audited_on_the_monitor(pager: Pager, endpoint: str) -> None:
    made = make_heartbeat(pager, endpoint)
    path = f"{pager.org}/heartbeats/{made['id']}"
    ping(pager.client, made)
    paused = ok(pager.client.post(f"{path}/pause", headers=pager.auth))
    assert (paused["paused"], paused["status"], paused["alert_at"]) == (True, "paused", None)
    assert ok(pager.client.post(f"{path}/resume", headers=pager.auth))["paused"] is False
    ok(pager.client.delete(path, headers=pager.auth), 204)
    missing = pager.client.get(path, headers=pager.auth)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "heartbeat_not_found")
    with pager.runtime.database.read() as session:
        actions = list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.target_id == made["id"])
                .order_by(AuditEvent.id)
            )
        )
    assert actions == [
        "heartbeat.created",
        "heartbeat.paused",
        "heartbeat.resumed",
        "heartbeat.deleted",
    ]


def test_members_read_monitors_and_only_admins_change_them(pager: Pager, endpoint: str) -> None:
    made = make_heartbeat(pager, endpoint)
    member = seeded.member(pager.runtime, pager.org_id, role=Role.MEMBER)
    path = f"{pager.org}/heartbeats/{made['id']}"
    assert ok(pager.client.get(path, headers=member.auth))["id"] == made["id"]
    assert ok(pager.client.get(f"{path}/pings", headers=member.auth))["items"] == []
    for response in (
        pager.client.post(f"{path}/pause", headers=member.auth),
        pager.client.post(f"{path}/rotate-key", headers=member.auth),
        pager.client.delete(path, headers=member.auth),
        pager.client.post(
            f"{pager.org}/heartbeats",
            json={"name": "x", "endpoint_id": endpoint, "interval_seconds": 300},
            headers=member.auth,
        ),
    ):
        assert (response.status_code, response.json()["error"]["code"]) == (
            403,
            "insufficient_role",
        )
