"""Heartbeats from ping to page and back: runs that start and never end, jobs that say they
failed, new and paused monitors that never page, cron schedules across daylight saving time,
and suspended organizations, on the test clock with the simulator."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.delivery.pager import Pager
from tests.factories import ok
from tests.heartbeats.helpers import check, heartbeat_alerts, heartbeat_of, make_heartbeat, ping
from tocsin.audit.log import SYSTEM
from tocsin.audit.models import AuditEvent
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.trust.enforcement import take_action

pytestmark = [pytest.mark.pager(rounds=1)]


def at(pager: Pager, instant: datetime) -> None:
    """Move the test clock forward to `instant`."""
    pager.clock.advance((instant - pager.clock.now()).total_seconds())


def endpoint_of(pager: Pager) -> str:
    return pager.endpoint(pager.contact("Ops"))


def test_a_run_that_starts_and_never_ends_pages_once_its_max_runtime_is_over(
    pager: Pager,
) -> None:
    heartbeat = make_heartbeat(pager, endpoint_of(pager), max_runtime_seconds=1800)
    ping(pager.client, heartbeat)
    pager.clock.advance(240)
    assert ping(pager.client, heartbeat, "/start")["state"] == "running"
    # Past the due time and grace of the success, but within the run's 30 minutes.
    pager.clock.advance(1799)
    assert check(pager) == 0
    assert heartbeat_of(pager, heartbeat["id"])["status"] == "running"
    pager.clock.advance(1)
    assert check(pager) == 1
    [alert] = heartbeat_alerts(pager)
    assert alert["title"] == (
        'Heartbeat "backup" ran too long: started 00:04 UTC, not finished by 00:34 UTC'
    )
    assert pager.run() == 1
    assert heartbeat_of(pager, heartbeat["id"])["down_reason"] == "run_too_long"
    # The run ends after all: the alert resolves.
    ping(pager.client, heartbeat)
    assert pager.alert(alert["id"])["status"] == "resolved"


def test_a_job_that_says_it_failed_pages_at_once_and_once(pager: Pager) -> None:
    heartbeat = make_heartbeat(pager, endpoint_of(pager))
    ping(pager.client, heartbeat)
    assert ping(pager.client, heartbeat, "/fail")["state"] == "down"
    [alert] = heartbeat_alerts(pager)
    assert alert["title"] == 'Heartbeat "backup" failed at 00:00 UTC'
    assert pager.run() == 1
    # It fails again, and the worker looks: the alert it opened is still open.
    pager.clock.advance(60)
    ping(pager.client, heartbeat, "/fail")
    pager.clock.advance(3600)
    assert check(pager) == 0
    pager.run()
    assert len(heartbeat_alerts(pager)) == 1
    assert len(pager.calls()) == 1
    assert ping(pager.client, heartbeat)["state"] == "up"
    assert pager.alert(alert["id"])["status"] == "resolved"


def test_a_new_monitor_pages_nobody_until_its_first_ping(pager: Pager) -> None:
    heartbeat = make_heartbeat(pager, endpoint_of(pager))
    pager.clock.advance(30 * 86400)
    assert check(pager) == 0
    shown = heartbeat_of(pager, heartbeat["id"])
    assert (shown["state"], shown["next_due_at"], shown["alert_at"]) == ("new", None, None)
    assert heartbeat_alerts(pager) == []


def test_a_paused_monitor_never_pages_and_a_resumed_one_is_owed_a_whole_period(
    pager: Pager,
) -> None:
    heartbeat = make_heartbeat(pager, endpoint_of(pager))
    org = f"{pager.org}/heartbeats/{heartbeat['id']}"
    ping(pager.client, heartbeat)
    ok(pager.client.post(f"{org}/pause", headers=pager.auth))
    pager.clock.advance(86400)
    assert check(pager) == 0
    # A job failing while paused is logged, and pages nobody.
    assert ping(pager.client, heartbeat, "/fail")["state"] == "down"
    assert heartbeat_alerts(pager) == []
    assert heartbeat_of(pager, heartbeat["id"])["status"] == "paused"

    resumed = ok(pager.client.post(f"{org}/resume", headers=pager.auth))
    assert resumed["alert_at"] == "2026-01-02T00:06:00Z"
    pager.clock.advance(359)
    assert check(pager) == 0
    pager.clock.advance(1)
    # Still silent a whole period after the resume: now it is told.
    assert check(pager) == 1
    [alert] = heartbeat_alerts(pager)
    assert "missed" in alert["title"]


def test_a_nightly_cron_heartbeat_in_berlin_is_expected_at_the_right_instants_across_dst(
    pager: Pager,
) -> None:
    heartbeat = make_heartbeat(
        pager, endpoint_of(pager), cron="30 2 * * *", timezone="Europe/Berlin", grace_seconds=600
    )
    # Spring: pinged at 02:30 CET on 28 March; 02:30 does not exist on the 29th, so the job
    # (like Debian's cron) runs at 03:00 CEST, 01:00 UTC.
    at(pager, datetime(2026, 3, 28, 1, 30, tzinfo=UTC))
    assert ping(pager.client, heartbeat)["next_due_at"] == "2026-03-29T01:00:00Z"
    at(pager, datetime(2026, 3, 29, 1, 9, 59, tzinfo=UTC))
    assert check(pager) == 0
    pager.clock.advance(1)
    assert check(pager) == 1
    [alert] = heartbeat_alerts(pager)
    assert alert["title"] == 'Heartbeat "backup" missed: expected by 03:00 CEST'
    # Autumn: pinged at 02:30 CEST on 24 October, then at the first of the two 02:30s of the
    # 25th; the next is 02:30 CET on the 26th, never the second 02:30 of the 25th.
    at(pager, datetime(2026, 10, 24, 0, 30, tzinfo=UTC))
    assert ping(pager.client, heartbeat)["next_due_at"] == "2026-10-25T00:30:00Z"
    at(pager, datetime(2026, 10, 25, 0, 31, tzinfo=UTC))
    assert ping(pager.client, heartbeat)["next_due_at"] == "2026-10-26T01:30:00Z"
    at(pager, datetime(2026, 10, 25, 1, 45, tzinfo=UTC))  # past the second 02:30 and grace
    assert check(pager) == 0


def test_an_hourly_cron_heartbeat_keeps_an_hour_between_pings_across_both_dst_changes(
    pager: Pager,
) -> None:
    heartbeat = make_heartbeat(
        pager, endpoint_of(pager), cron="0 * * * *", timezone="Europe/Berlin", grace_seconds=300
    )
    for night in (
        datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
    ):
        at(pager, night)
        for hour in range(1, 4):
            due = ping(pager.client, heartbeat)["next_due_at"]
            assert due == night.replace(hour=hour).isoformat().replace("+00:00", "Z")
            at(pager, night.replace(hour=hour))
            assert check(pager) == 0
    assert heartbeat_alerts(pager) == []


def test_a_suspended_organizations_pings_and_missed_alert_are_refused_as_its_webhooks_are(
    pager: Pager,
) -> None:
    endpoint = endpoint_of(pager)
    heartbeat = make_heartbeat(pager, endpoint)
    ping(pager.client, heartbeat)
    with pager.runtime.database.write() as session:
        take_action(
            session,
            kind=ActionKind.SUSPENSION,
            scope=ActionScope.ORGANIZATION,
            target=pager.org_id,
            reason="Robocalling",
            actor=SYSTEM,
            now=pager.clock.now(),
        )
    refused = pager.client.get(
        f"/v1/heartbeats/{heartbeat['id']}", params={"key": heartbeat["key"]}
    )
    webhook = pager.client.post(
        f"/v1/hooks/{endpoint}", json={"title": "x"}, headers={"X-Alert-Key": pager.ingest_key}
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "org_suspended")
    assert refused.json() == webhook.json()
    pager.clock.advance(360)
    assert check(pager) == 1
    assert heartbeat_alerts(pager) == []
    assert pager.run() == 0
    with pager.runtime.database.read() as session:
        refusals = list(
            session.scalars(
                select(AuditEvent.details).where(
                    AuditEvent.action == "alert.refused", AuditEvent.target_id == endpoint
                )
            )
        )
    assert [details["code"] for details in refusals] == ["org_suspended", "org_suspended"]
