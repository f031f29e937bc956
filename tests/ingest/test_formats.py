"""Bodies of known senders are read the way their sender means them."""

from __future__ import annotations

import json
from typing import Any

from tocsin.formats.known import Source, recognise
from tocsin.formats.parse import parse_alert
from tocsin.formats.severity import Severity


def alertmanager(*alerts: dict[str, Any], status: str = "firing", **extra: Any) -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="HighCPU"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "tocsin",
        "groupLabels": {"alertname": "HighCPU"},
        "commonLabels": {"alertname": "HighCPU"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
        **extra,
    }


def am_alert(
    instance: str, *, status: str = "firing", severity: str | None = "critical", **annotations: str
) -> dict[str, Any]:
    labels = {"alertname": "HighCPU", "instance": instance}
    if severity:
        labels["severity"] = severity
    return {
        "status": status,
        "labels": labels,
        "annotations": annotations,
        "startsAt": "2026-06-01T12:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": instance,
    }


def parse_json(document: Any) -> Any:
    return parse_alert(
        body=json.dumps(document).encode(), content_type="application/json", query=[]
    )


def test_one_alertmanager_notification_is_one_alert_naming_every_firing_alert() -> None:
    parsed = parse_json(
        alertmanager(
            am_alert("db1", summary="CPU high on db1"),
            am_alert("db2", summary="CPU high on db2", severity="warning"),
            am_alert("db3"),
        )
    )
    assert parsed.source == Source.ALERTMANAGER
    assert parsed.title == "3 alerts firing: CPU high on db1, CPU high on db2, HighCPU on db3"
    # The group pages as its worst alert.
    assert parsed.severity == Severity.CRITICAL
    assert [a.summary for a in parsed.alerts] == [
        "CPU high on db1",
        "CPU high on db2",
        "HighCPU on db3",
    ]


def test_the_group_key_is_the_dedup_key_so_renotifications_do_not_page_again() -> None:
    first = parse_json(alertmanager(am_alert("db1")))
    more = parse_json(alertmanager(am_alert("db1"), am_alert("db2")))
    other_group = parse_json(alertmanager(am_alert("db1"), groupKey='{}:{alertname="Disk"}'))
    assert first.dedup_key == more.dedup_key
    assert first.dedup_key != other_group.dedup_key
    assert first.dedup_key is not None
    assert first.dedup_key.startswith("am:")
    assert len(first.dedup_key) <= 200


def test_a_resolved_notification_resolves_and_partly_resolved_groups_still_fire() -> None:
    resolved = parse_json(alertmanager(am_alert("db1", status="resolved"), status="resolved"))
    assert resolved.severity == Severity.RESOLVED
    assert resolved.title == "Resolved: HighCPU on db1"
    partly = parse_json(
        alertmanager(am_alert("db1", status="resolved"), am_alert("db2", severity="warning"))
    )
    assert (partly.severity, partly.title) == (Severity.MINOR, "HighCPU on db2")


def test_a_firing_alert_without_a_severity_label_pages_as_critical() -> None:
    assert parse_json(alertmanager(am_alert("db1", severity=None))).severity == Severity.CRITICAL


def test_grafana_unified_alerting_is_read_as_a_group_too() -> None:
    body = alertmanager(
        am_alert("eu-1", summary="This alert was triggered for zone eu-1"),
        orgId=1,
        title="[FIRING:1]  (High CPU usage)",
        state="alerting",
        message="**Firing**",
    )
    parsed = parse_json(body)
    assert parsed.source == Source.GRAFANA
    assert parsed.title == "This alert was triggered for zone eu-1"
    assert parsed.dedup_key is not None
    assert parsed.dedup_key.startswith("grafana:")


def test_grafana_legacy_alerts_map_their_state() -> None:
    legacy = {
        "title": "[Alerting] Panel Title alert",
        "ruleId": 1,
        "ruleName": "Panel Title alert",
        "state": "alerting",
        "message": "Notification Message",
        "evalMatches": [{"value": 1, "metric": "Count", "tags": {}}],
    }
    alerting = parse_json(legacy)
    assert (alerting.source, alerting.severity, alerting.title) == (
        Source.GRAFANA,
        Severity.CRITICAL,
        "Panel Title alert",
    )
    ok = parse_json({**legacy, "state": "ok"})
    assert ok.severity == Severity.RESOLVED
    assert ok.dedup_key == alerting.dedup_key


def uptime_kuma(status: int) -> dict[str, Any]:
    return {
        "heartbeat": {"monitorID": 29, "status": status, "msg": "getaddrinfo ENOTFOUND test.com"},
        "monitor": {"id": 29, "name": "Shop", "url": "https://shop.example"},
        "msg": "[Shop] [🔴 Down] getaddrinfo ENOTFOUND test.com",
    }


def test_uptime_kuma_down_pages_and_up_resolves_the_same_alert() -> None:
    down, up = parse_json(uptime_kuma(0)), parse_json(uptime_kuma(1))
    assert (down.source, down.severity, down.title) == (
        Source.UPTIME_KUMA,
        Severity.CRITICAL,
        "Shop is down",
    )
    assert down.message == "getaddrinfo ENOTFOUND test.com"
    assert (up.severity, up.title) == (Severity.RESOLVED, "Shop is up")
    assert down.dedup_key == up.dedup_key == "kuma:29"
    assert parse_json(uptime_kuma(3)).severity == Severity.RESOLVED  # maintenance ends a page


def test_uptime_kuma_form_data_carries_its_document_in_one_field() -> None:
    parsed = parse_alert(
        body=b"",
        content_type="multipart/form-data; boundary=x",
        query=[],
        form=[("data", json.dumps(uptime_kuma(0)))],
    )
    assert (parsed.source, parsed.title) == (Source.UPTIME_KUMA, "Shop is down")


def test_uptime_kumas_test_notification_is_an_ordinary_alert() -> None:
    parsed = parse_json({"heartbeat": None, "monitor": None, "msg": "Uptime Kuma test"})
    assert (parsed.source, parsed.title) == (Source.GENERIC, "Uptime Kuma test")


def test_an_explicit_dedup_key_still_wins_over_the_senders() -> None:
    parsed = parse_json(alertmanager(am_alert("db1"), dedup_key="my-key"))
    assert parsed.dedup_key == "my-key"


def test_bodies_that_only_look_alike_are_read_generically() -> None:
    assert recognise({"alerts": [], "groupKey": "x"}) is None
    assert recognise({"alerts": [{"title": "no labels"}], "groupKey": "x"}) is None
    assert recognise({"heartbeat": "yes", "monitor": {}}) is None
    assert recognise(["not", "a", "map"]) is None
