"""Whether a window covers an alert: scope, labels, timing; and which covers it longest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tocsin.maintenance.coverage import (
    Candidate,
    Reach,
    ScopeKind,
    Subject,
    covering,
    label_sets,
    reaches,
    subject_of,
)
from tocsin.maintenance.matchers import parse_text
from tocsin.maintenance.windows import Timing

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def alertmanager(*alerts: dict[str, str], common: dict[str, str] | None = None) -> dict[str, Any]:
    """A webhook body as Alertmanager sends it (version 4)."""
    return {
        "version": "4",
        "status": "firing",
        "receiver": "tocsin",
        "groupKey": '{}:{alertname="HighCPU"}',
        "commonLabels": common or {},
        "commonAnnotations": {},
        "alerts": [
            {"status": "firing", "labels": labels, "annotations": {"summary": "x"}}
            for labels in alerts
        ],
    }


def test_an_alertmanager_groups_labels_are_each_alerts_over_the_common_ones() -> None:
    body = alertmanager(
        {"alertname": "HighCPU", "instance": "db1"},
        {"alertname": "HighCPU", "instance": "db2", "severity": "warning"},
        common={"alertname": "HighCPU", "severity": "critical"},
    )
    assert label_sets("alertmanager", body) == (
        {"alertname": "HighCPU", "severity": "critical", "instance": "db1"},
        {"alertname": "HighCPU", "severity": "warning", "instance": "db2"},
    )


def test_resolved_alerts_of_a_group_are_not_compared() -> None:
    body = alertmanager({"alertname": "A", "instance": "db1"})
    body["alerts"].append({"status": "resolved", "labels": {"instance": "web1"}})
    assert label_sets("alertmanager", body) == ({"alertname": "A", "instance": "db1"},)


def test_a_trimmed_group_has_unknown_labels_and_a_window_with_matchers_does_not_cover_it() -> None:
    body = {**alertmanager({"severity": "critical"}), "tocsin_trimmed": {"alerts": 1000}}
    subject = subject_of(endpoint_id="ep_1", project_id=None, source="alertmanager", payload=body)
    assert subject.label_sets is None
    critical = Reach(ScopeKind.ORGANIZATION, None, (parse_text("severity=critical"),))
    assert not reaches(critical, subject)
    # Without matchers the labels do not matter.
    assert reaches(Reach(ScopeKind.ORGANIZATION, None), subject)


def test_a_generic_bodys_labels_object_is_its_labels() -> None:
    assert label_sets("generic", {"title": "x", "labels": {"team": "db", "n": 3}}) == (
        {"team": "db", "n": "3"},
    )
    assert label_sets("generic", {"title": "x"}) == ({},)
    assert label_sets("generic", "plain text") == ({},)


def test_scopes_compare_their_target() -> None:
    subject = Subject("ep_1", "prj_1", None, ({},))
    assert reaches(Reach(ScopeKind.ORGANIZATION, None), subject)
    assert reaches(Reach(ScopeKind.ENDPOINT, "ep_1"), subject)
    assert not reaches(Reach(ScopeKind.ENDPOINT, "ep_2"), subject)
    assert reaches(Reach(ScopeKind.PROJECT, "prj_1"), subject)
    assert not reaches(Reach(ScopeKind.PROJECT, "prj_2"), subject)
    assert not reaches(Reach(ScopeKind.MONITOR, "hb_1"), subject)
    # An endpoint in no project is in no project's window.
    assert not reaches(Reach(ScopeKind.PROJECT, "prj_1"), Subject("ep_1", None, None, ({},)))


def test_a_heartbeat_monitors_alert_is_known_by_its_source_and_id() -> None:
    payload = {"heartbeat": {"id": "hb_1", "name": "nightly backup"}}
    beat = subject_of(endpoint_id="ep_1", project_id=None, source="heartbeat", payload=payload)
    assert beat.monitor_id == "hb_1"
    assert reaches(Reach(ScopeKind.MONITOR, "hb_1"), beat)
    assert not reaches(Reach(ScopeKind.MONITOR, "hb_2"), beat)
    # A generic body that merely says "heartbeat" is no monitor's alert.
    forged = subject_of(endpoint_id="ep_1", project_id=None, source="generic", payload=payload)
    assert forged.monitor_id is None
    assert not reaches(Reach(ScopeKind.MONITOR, "hb_1"), forged)


def candidate(
    window_id: str, hours: float, *, page_after: bool = True, reach: Reach | None = None
) -> Candidate:
    return Candidate(
        window_id,
        reach or Reach(ScopeKind.ORGANIZATION, None),
        Timing(NOW - timedelta(hours=1), timedelta(hours=1 + hours), "UTC"),
        page_after,
    )


def test_the_window_covering_longest_wins_and_at_a_tie_the_one_that_pages() -> None:
    subject = Subject("ep_1", None, None, ({},))
    found = covering([candidate("mw_a", 1), candidate("mw_b", 3)], subject, NOW)
    assert found is not None
    assert found.window_id == "mw_b"
    assert found.occurrence.ends_at == NOW + timedelta(hours=3)
    tie = covering(
        [candidate("mw_quiet", 2, page_after=False), candidate("mw_loud", 2)], subject, NOW
    )
    assert tie is not None
    assert tie.window_id == "mw_loud"
    other = Reach(ScopeKind.ENDPOINT, "ep_9")
    assert covering([candidate("mw_c", 5, reach=other)], subject, NOW) is None
    assert covering([candidate("mw_over", 0)], subject, NOW) is None
