"""What a maintenance window does to alerts: recorded, visible, calling nobody while it lasts,
and paging when it ends if still open; never hiding a page without saying so on the alert's
timeline. Each test runs the worker on the injected clock (tests/delivery/pager.py), on every
configured database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from tests.delivery.pager import Pager
from tests.factories import ok
from tests.maintenance.window_rows import change, delete, end, window
from tests.oncall.schedule_rows import project
from tocsin.endpoints.models import Endpoint
from tocsin.engine.auditor import audit_and_report
from tocsin.maintenance import muting
from tocsin.paging.models import Alert

pytestmark = [pytest.mark.pager(rounds=1)]

START = datetime(2026, 1, 1, tzinfo=UTC)  # the pager's clock


def events(pager: Pager, alert_id: str, action: str) -> list[dict[str, Any]]:
    return [e for e in pager.alert(alert_id)["timeline"] if e["action"] == action]


def test_an_alert_in_a_window_is_recorded_calls_nobody_and_pages_when_the_window_ends(
    pager: Pager,
) -> None:
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.endpoint(alice)
    window_id = window(pager.runtime, pager.org_id, minutes=60, reason="Postgres 17 upgrade")
    alert_id = pager.fire(endpoint)
    assert pager.run() == 0
    detail = pager.alert(alert_id)
    assert detail["status"] == "open"
    assert detail["escalation"]["status"] == "muted"
    assert detail["escalation"]["next_at"] == "2026-01-01T01:00:00Z"
    assert detail["jobs"] == []
    assert detail["muted_by"] == {
        "window_id": window_id,
        "reason": "Postgres 17 upgrade",
        "created_by": "the server's shell",
        "until": "2026-01-01T01:00:00Z",
        "page_after": True,
        "muted_now": True,
        "deleted": False,
    }
    [received] = events(pager, alert_id, "alert.received")
    assert (received["details"]["calls_queued"], received["details"]["muted_by"]) == (0, window_id)
    [muted] = events(pager, alert_id, "alert.muted")
    assert muted["details"]["window_id"] == window_id
    assert muted["details"]["reason"] == "Postgres 17 upgrade"
    assert muted["details"]["created_by"] == "the server's shell"
    assert muted["details"]["until"] == "2026-01-01T01:00:00+00:00"
    # The owners are told that a window mutes alerts, once for the occurrence.
    notices = ok(pager.client.get(f"{pager.org}/notices", headers=pager.auth))["items"]
    assert [n["kind"] for n in notices].count("alerts_muted") == 1
    bob = pager.contact("Bob", "no_answer")
    pager.fire(pager.endpoint(bob), {"title": "Disk full on db2", "severity": "critical"})
    notices = ok(pager.client.get(f"{pager.org}/notices", headers=pager.auth))["items"]
    assert [n["kind"] for n in notices].count("alerts_muted") == 1

    assert pager.later(minutes=59, seconds=59) == 0
    assert pager.calls() == []
    assert pager.later(seconds=1) == 2  # both alerts, from their first step
    assert sorted(pager.numbers_called()) == sorted([pager.phone(alice), pager.phone(bob)])
    actions = pager.actions(alert_id)
    assert actions.index("alert.muted") < actions.index("alert.unmuted")
    assert actions.index("alert.unmuted") < actions.index("escalation.calling")
    [unmuted] = events(pager, alert_id, "alert.unmuted")
    assert unmuted["details"]["why"] == "window_ended"
    after = pager.alert(alert_id)
    assert after["escalation"]["status"] == "active"
    # Still says who muted it and until when, no longer muting.
    assert after["muted_by"]["window_id"] == window_id
    assert after["muted_by"]["muted_now"] is False


def test_an_alert_resolved_during_the_window_never_pages(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.endpoint(alice)
    window(pager.runtime, pager.org_id, minutes=30)
    alert_id = pager.fire(endpoint)
    pager.later(minutes=10)
    ok(pager.client.post(f"{pager.org}/alerts/{alert_id}/resolve", headers=pager.auth))
    assert pager.alert(alert_id)["escalation"]["status"] == "resolved"
    for _ in range(6):
        pager.later(minutes=10)
    assert pager.calls() == []
    assert "alert.unmuted" not in pager.actions(alert_id)


def test_a_senders_resolve_during_the_window_ends_it_too(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.endpoint(alice)
    window(pager.runtime, pager.org_id, minutes=30)
    body = {"title": "Disk full on db1", "severity": "critical", "dedup_key": "disk-db1"}
    alert_id = pager.fire(endpoint, body)
    pager.fire(endpoint, {**body, "status": "resolved"})
    pager.later(minutes=31)
    assert pager.calls() == []
    assert pager.alert(alert_id)["status"] == "resolved"


def test_a_repeat_during_the_window_stays_muted(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.endpoint(alice)
    window(pager.runtime, pager.org_id, minutes=30)
    alert_id = pager.fire(endpoint)
    pager.later(minutes=5)
    assert pager.fire(endpoint) == alert_id
    assert pager.run() == 0
    detail = pager.alert(alert_id)
    assert (detail["repeat_count"], detail["escalation"]["status"]) == (1, "muted")
    assert len(events(pager, alert_id, "alert.muted")) == 1  # the same window, the same end
    assert pager.later(minutes=25) == 1


def test_a_window_that_does_not_page_after_keeps_quiet_until_a_new_notification(
    pager: Pager,
) -> None:
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.endpoint(alice)
    window(pager.runtime, pager.org_id, minutes=30, page_after=False)
    alert_id = pager.fire(endpoint)
    detail = pager.alert(alert_id)
    assert detail["escalation"]["next_at"] is None
    assert detail["muted_by"]["page_after"] is False
    [muted] = events(pager, alert_id, "alert.muted")
    assert muted["details"]["page_after"] is False
    pager.later(minutes=31)
    pager.later(minutes=60)
    assert pager.calls() == []
    # The sender says it again after the window: that is news, and it pages.
    pager.fire(endpoint)
    assert pager.run() == 1
    [unmuted] = events(pager, alert_id, "alert.unmuted")
    assert unmuted["details"]["why"] == "repeated"


def test_extending_a_window_moves_the_end_its_alerts_wait_for(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.endpoint(alice)
    window_id = window(pager.runtime, pager.org_id, minutes=30)
    alert_id = pager.fire(endpoint)
    pager.later(minutes=20)
    change(pager.runtime, pager.org_id, window_id, duration=timedelta(minutes=90))
    assert pager.run() == 0
    detail = pager.alert(alert_id)
    assert detail["escalation"]["next_at"] == "2026-01-01T01:30:00Z"
    first, second = events(pager, alert_id, "alert.muted")
    assert (first["details"]["until"], second["details"]["until"]) == (
        "2026-01-01T00:30:00+00:00",
        "2026-01-01T01:30:00+00:00",
    )
    assert pager.later(minutes=10) == 0  # the old end
    assert pager.later(minutes=60) == 1  # the new one


def test_shortening_a_window_to_before_now_pages_its_alerts_at_once(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.endpoint(alice)
    window_id = window(pager.runtime, pager.org_id, minutes=60)
    alert_id = pager.fire(endpoint)
    pager.later(minutes=20)
    change(pager.runtime, pager.org_id, window_id, duration=timedelta(minutes=10))
    assert pager.run() == 1
    [unmuted] = events(pager, alert_id, "alert.unmuted")
    assert unmuted["details"]["why"] == "window_changed"


def test_ending_a_window_early_pages_its_open_alerts_now(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.endpoint(alice)
    window_id = window(pager.runtime, pager.org_id, minutes=60)
    alert_id = pager.fire(endpoint)
    pager.later(minutes=5)
    end(pager.runtime, pager.org_id, window_id)
    assert pager.run() == 1
    assert pager.alert(alert_id)["escalation"]["status"] == "active"
    # Ended: a new alert pages at once.
    pager.fire(endpoint, {"title": "Other", "severity": "critical"})
    assert pager.run() == 1


def test_ending_early_a_window_that_does_not_page_after_keeps_its_alerts_quiet(
    pager: Pager,
) -> None:
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.endpoint(alice)
    window_id = window(pager.runtime, pager.org_id, minutes=60, page_after=False)
    alert_id = pager.fire(endpoint)
    end(pager.runtime, pager.org_id, window_id)
    assert pager.run() == 0
    assert pager.alert(alert_id)["escalation"]["status"] == "muted"


def test_deleting_a_window_undoes_it_its_open_alerts_page_now(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.endpoint(alice)
    window_id = window(pager.runtime, pager.org_id, minutes=60, page_after=False)
    alert_id = pager.fire(endpoint)
    delete(pager.runtime, pager.org_id, window_id)
    assert pager.run() == 1
    muted_by = pager.alert(alert_id)["muted_by"]
    # The deleted window is still named on the alert it muted.
    assert (muted_by["window_id"], muted_by["deleted"], muted_by["muted_now"]) == (
        window_id,
        True,
        False,
    )


def test_when_one_window_ends_another_that_still_covers_the_alert_keeps_it_muted(
    pager: Pager,
) -> None:
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.endpoint(alice)
    short = window(pager.runtime, pager.org_id, minutes=30, reason="Short")
    alert_id = pager.fire(endpoint)
    assert pager.alert(alert_id)["muted_by"]["window_id"] == short
    # A longer window begins while the alert is muted.
    pager.later(minutes=10)
    long = window(pager.runtime, pager.org_id, minutes=60, reason="Long")
    assert pager.later(minutes=20) == 0  # the short one ended
    detail = pager.alert(alert_id)
    assert detail["muted_by"]["window_id"] == long
    assert detail["escalation"]["next_at"] == "2026-01-01T01:10:00Z"
    assert pager.later(minutes=40) == 1


def test_a_window_starting_while_an_alert_pages_does_not_stop_that_page(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    bob = pager.contact("Bob", "no_answer")
    endpoint = pager.escalating_endpoint(
        {"type": "call", "contact_ids": [alice]},
        {"type": "wait", "minutes": 5},
        {"type": "call", "contact_ids": [bob]},
    )
    alert_id = pager.fire(endpoint)
    assert pager.run() == 1
    window(pager.runtime, pager.org_id, minutes=120)
    for _ in range(10):
        pager.later(minutes=1)
    assert pager.phone(bob) in pager.numbers_called()
    assert "alert.muted" not in pager.actions(alert_id)


def test_an_exhausted_alert_notified_again_during_a_window_is_muted_not_restarted(
    pager: Pager,
) -> None:
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.escalating_endpoint({"type": "call", "contact_ids": [alice]})
    alert_id = pager.fire(endpoint)
    pager.run()
    pager.later(minutes=2)  # the retry
    pager.later(minutes=1)
    assert pager.alert(alert_id)["escalation"]["status"] == "exhausted"
    calls = len(pager.calls())
    window(pager.runtime, pager.org_id, minutes=30)
    pager.fire(endpoint)
    assert pager.run() == 0
    assert len(pager.calls()) == calls
    detail = pager.alert(alert_id)
    assert detail["escalation"]["status"] == "muted"
    [muted] = events(pager, alert_id, "alert.muted")
    assert muted["details"]["restarted"] is True
    assert pager.later(minutes=30) == 1
    assert pager.alert(alert_id)["escalation"]["round"] == 2


def test_a_window_covers_only_its_endpoint_project_or_labels(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    quiet_endpoint, loud_endpoint = pager.endpoint(alice), pager.endpoint(alice)
    window(pager.runtime, pager.org_id, scope="endpoint", target_id=quiet_endpoint)
    team = project(pager.runtime, pager.org_id)
    with pager.runtime.database.write() as session:
        session.execute(
            update(Endpoint).where(Endpoint.id == loud_endpoint).values(project_id=team)
        )
    labelled = pager.endpoint(alice)
    window(pager.runtime, pager.org_id, match=("team=db", 'env=~"prod|staging"'))

    muted = pager.fire(quiet_endpoint)
    paged = pager.fire(loud_endpoint)
    db = pager.fire(labelled, {"title": "a", "labels": {"team": "db", "env": "prod"}})
    web = pager.fire(labelled, {"title": "b", "labels": {"team": "web", "env": "prod"}})
    dev = pager.fire(labelled, {"title": "c", "labels": {"team": "db", "env": "dev"}})
    unlabelled = pager.fire(labelled, {"title": "d"})
    status = {a: pager.alert(a)["escalation"]["status"] for a in (muted, paged, db, web, dev)}
    assert status == {
        muted: "muted",
        paged: "active",
        db: "muted",
        web: "active",
        dev: "active",
    }
    assert pager.alert(unlabelled)["escalation"]["status"] == "active"
    # Now the project: the loud endpoint's alerts are muted too.
    window(pager.runtime, pager.org_id, scope="project", target_id=team)
    again = pager.fire(loud_endpoint, {"title": "New on the project", "severity": "critical"})
    assert pager.alert(again)["escalation"]["status"] == "muted"


def test_a_window_of_one_organization_never_mutes_anothers_alerts(
    pager: Pager, make_pager: Any
) -> None:
    other: Pager = make_pager()
    bob = other.contact("Bob", "no_answer")
    window(pager.runtime, pager.org_id, minutes=60)
    alert_id = other.fire(other.endpoint(bob))
    assert other.run() == 1
    assert other.alert(alert_id)["muted_by"] is None


def test_a_weekly_window_in_berlin_mutes_on_sunday_night_only(pager: Pager) -> None:
    # The pager's clock: Thursday 2026-01-01 00:00 UTC. Sundays 02:00-04:00 Berlin (01:00-03:00
    # UTC in winter), from a Sunday in the past.
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.endpoint(alice)
    window(
        pager.runtime,
        pager.org_id,
        starts_at=datetime(2025, 12, 7, 2, 0, tzinfo=ZoneInfo("Europe/Berlin")),
        minutes=120,
        rrule="FREQ=WEEKLY;BYDAY=SU",
        timezone="Europe/Berlin",
    )
    weekday = pager.fire(endpoint, {"title": "Thursday", "severity": "critical"})
    assert pager.alert(weekday)["escalation"]["status"] == "active"
    assert pager.run() == 1
    pager.later(minutes=10)  # its retry, then its one round is over
    # To Sunday 2026-01-04 01:30 UTC, 02:30 in Berlin.
    pager.later(minutes=(3 * 24 + 1) * 60 + 20)
    sunday = pager.fire(endpoint, {"title": "Sunday", "severity": "critical"})
    detail = pager.alert(sunday)
    assert detail["escalation"]["status"] == "muted"
    assert detail["muted_by"]["until"] == "2026-01-04T03:00:00Z"
    calls = len(pager.calls())
    pager.later(minutes=89)
    assert len(pager.calls()) == calls
    pager.later(minutes=1)
    assert len(pager.calls()) == calls + 1


def test_the_auditor_reports_a_muted_alert_no_worker_unmuted_when_its_window_ended(
    pager: Pager,
) -> None:
    window(pager.runtime, pager.org_id, minutes=10)
    muted = pager.fire(pager.endpoint(pager.contact("Bob", "no_answer")))
    assert pager.alert(muted)["escalation"]["status"] == "muted"
    with pager.runtime.database.write() as session:
        assert audit_and_report(session, now=pager.clock.now()) == []
    # No worker runs while the window's end passes long ago.
    pager.clock.advance(30 * 60)
    with pager.runtime.database.write() as session:
        found = audit_and_report(session, now=pager.clock.now())
    assert ("overdue", muted) in [(f.kind, f.alert_id) for f in found]
    pager.run()
    assert pager.alert(muted)["escalation"]["status"] == "active"


def test_the_auditor_ends_a_muted_escalation_whose_alert_was_closed_behind_its_back(
    pager: Pager,
) -> None:
    window(pager.runtime, pager.org_id, minutes=10)
    alert_id = pager.fire(pager.endpoint(pager.contact("Alice", "no_answer")))
    with pager.runtime.database.write() as session:
        session.execute(update(Alert).values(status="resolved", open_dedup_key=None))
        found = audit_and_report(session, now=pager.clock.now())
    assert [(f.kind, f.alert_id) for f in found] == [("alert_closed", alert_id)]
    assert pager.alert(alert_id)["escalation"]["status"] == "resolved"


def test_a_monitor_window_covers_only_that_heartbeat_monitors_alerts(pager: Pager) -> None:
    # Heartbeat monitors' alerts come through intake with source "heartbeat" and the monitor in
    # payload["heartbeat"] (issue 19's contract); asked here as intake asks.
    endpoint = pager.endpoint(pager.contact("Alice", "no_answer"))
    window_id = window(pager.runtime, pager.org_id, scope="monitor", target_id="hb_backup")
    now = pager.clock.now()

    def covering(source: str, monitor: str) -> str | None:
        with pager.runtime.database.read() as session:
            mute = muting.mute_for(
                session,
                org_id=pager.org_id,
                endpoint_id=endpoint,
                source=source,
                payload={"heartbeat": {"id": monitor, "name": "nightly backup"}},
                now=now,
            )
        return mute.window_id if mute is not None else None

    assert covering("heartbeat", "hb_backup") == window_id
    assert covering("heartbeat", "hb_other") is None
    assert covering("generic", "hb_backup") is None
