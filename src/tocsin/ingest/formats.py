"""Monitoring systems whose webhook bodies Tocsin recognises by their shape.

One endpoint URL takes everything; a body shaped like Prometheus Alertmanager's, Grafana's or
Uptime Kuma's is read the way its sender means it. An Alertmanager notification carries a whole
group of alerts, so it becomes one Tocsin alert (deduplicated by the group key) and one call
that names them all; its `resolved` status resolves it. Anything else is read generically.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tocsin.ingest.severity import Severity, normalise_severity


class Source(StrEnum):
    GENERIC = "generic"
    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"
    UPTIME_KUMA = "uptime_kuma"


@dataclass(frozen=True)
class GroupedAlert:
    """One alert of an Alertmanager-style group, as templates and rules see it."""

    status: str
    name: str
    summary: str
    description: str
    severity: str
    labels: dict[str, str]
    annotations: dict[str, str]


@dataclass(frozen=True)
class Recognised:
    source: Source
    title: str
    message: str
    severity: Severity
    dedup_key: str | None
    # Alertmanager and Grafana: the group's alerts, firing first.
    alerts: tuple[GroupedAlert, ...] = field(default_factory=tuple)


# Severity labels rank like this when a group mixes them; the group pages as its worst.
_RANK = {
    Severity.CRITICAL: 0,
    Severity.MAJOR: 1,
    Severity.MINOR: 2,
    Severity.INFO: 3,
    Severity.RESOLVED: 4,
}


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, str | int | float)}


def _hashed_key(prefix: str, value: str) -> str:
    # Group keys can be long label sets; a digest keeps them within the dedup key limit.
    return f"{prefix}:{hashlib.sha256(value.encode()).hexdigest()[:40]}"


def _grouped(item: Mapping[str, Any]) -> GroupedAlert:
    labels = _strings(item.get("labels"))
    annotations = _strings(item.get("annotations"))
    name = labels.get("alertname", "") or "alert"
    instance = labels.get("instance") or labels.get("host") or labels.get("job") or ""
    summary = annotations.get("summary") or (f"{name} on {instance}" if instance else name)
    status = "resolved" if str(item.get("status", "")).lower() == "resolved" else "firing"
    severity = normalise_severity(labels["severity"]) if "severity" in labels else None
    if severity == Severity.RESOLVED:
        # A firing alert labelled "ok" still fires; it just pages as the mildest kind.
        severity = Severity.INFO
    return GroupedAlert(
        status=status,
        name=name,
        summary=summary,
        description=annotations.get("description", "") or annotations.get("message", ""),
        severity=(severity or Severity.CRITICAL).value,
        labels=labels,
        annotations=annotations,
    )


def _group_title(firing: list[GroupedAlert], resolved: list[GroupedAlert]) -> str:
    if not firing:
        names = ", ".join(dict.fromkeys(a.summary for a in resolved)) or "all alerts"
        return f"Resolved: {names}"
    if len(firing) == 1:
        return firing[0].summary
    names = ", ".join(dict.fromkeys(a.summary for a in firing))
    return f"{len(firing)} alerts firing: {names}"


def _alertmanager(payload: Mapping[str, Any], source: Source) -> Recognised:
    items = [_grouped(item) for item in payload["alerts"] if isinstance(item, Mapping)]
    firing = [a for a in items if a.status == "firing"]
    resolved = [a for a in items if a.status == "resolved"]
    group_status = str(payload.get("status", "")).lower()
    if group_status == "resolved" or not firing:
        severity = Severity.RESOLVED
    else:
        severity = min((Severity(a.severity) for a in firing), key=_RANK.__getitem__)
    group_key = str(payload.get("groupKey") or "")
    if not group_key:
        # Grafana test notifications and hand-made bodies may lack one: the label set is the
        # group, as Alertmanager itself would see it.
        labels = _strings(payload.get("groupLabels")) or _strings(payload.get("commonLabels"))
        group_key = ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "default"
    prefix = "grafana" if source == Source.GRAFANA else "am"
    message = " ".join(a.description for a in firing if a.description)
    return Recognised(
        source=source,
        title=_group_title(firing, resolved),
        message=message,
        severity=severity,
        dedup_key=_hashed_key(prefix, group_key),
        alerts=tuple(firing + resolved),
    )


def _is_alertmanager_shaped(payload: Mapping[str, Any]) -> bool:
    alerts = payload.get("alerts")
    return (
        isinstance(alerts, list)
        and bool(alerts)
        and all(isinstance(item, Mapping) and "labels" in item for item in alerts)
        and ("groupKey" in payload or "commonLabels" in payload or "groupLabels" in payload)
    )


def _is_grafana(payload: Mapping[str, Any]) -> bool:
    return "orgId" in payload or ("state" in payload and "title" in payload)


_GRAFANA_LEGACY_STATES = {
    "alerting": Severity.CRITICAL,
    "no_data": Severity.MAJOR,
    "ok": Severity.RESOLVED,
    "paused": Severity.RESOLVED,
    "pending": Severity.INFO,
}


def _grafana_legacy(payload: Mapping[str, Any]) -> Recognised:
    state = str(payload.get("state", "")).lower()
    rule = str(payload.get("ruleName") or payload.get("title") or "Grafana alert")
    rule_id = str(payload.get("ruleId") or rule)
    return Recognised(
        source=Source.GRAFANA,
        title=rule,
        message=str(payload.get("message") or ""),
        severity=_GRAFANA_LEGACY_STATES.get(state, Severity.CRITICAL),
        dedup_key=_hashed_key("grafana-rule", rule_id),
    )


# Uptime Kuma heartbeat statuses: 0 down, 1 up, 2 pending, 3 maintenance. A monitor put into
# maintenance is down on purpose, so it ends the page rather than starting one.
_KUMA_STATUSES = {
    0: (Severity.CRITICAL, "is down"),
    1: (Severity.RESOLVED, "is up"),
    2: (Severity.MINOR, "is pending"),
    3: (Severity.RESOLVED, "is in maintenance"),
}


def _uptime_kuma(payload: Mapping[str, Any]) -> Recognised:
    heartbeat: Mapping[str, Any] = payload["heartbeat"]
    monitor: Mapping[str, Any] = payload["monitor"]
    raw_status = heartbeat.get("status")
    status = raw_status if isinstance(raw_status, int) and not isinstance(raw_status, bool) else 0
    severity, verb = _KUMA_STATUSES.get(status, (Severity.CRITICAL, "is down"))
    name = str(monitor.get("name") or monitor.get("pathName") or "Monitor")
    monitor_id = str(monitor.get("id") or name)
    return Recognised(
        source=Source.UPTIME_KUMA,
        title=f"{name} {verb}",
        message=str(heartbeat.get("msg") or ""),
        severity=severity,
        dedup_key=f"kuma:{monitor_id}"[:200],
    )


def recognise(payload: Any) -> Recognised | None:
    """How a known sender's body reads, or None for a body to read generically."""
    if not isinstance(payload, Mapping):
        return None
    if _is_alertmanager_shaped(payload):
        sender = Source.GRAFANA if _is_grafana(payload) else Source.ALERTMANAGER
        return _alertmanager(payload, sender)
    if "ruleName" in payload and "state" in payload:
        return _grafana_legacy(payload)
    heartbeat, monitor = payload.get("heartbeat"), payload.get("monitor")
    if isinstance(heartbeat, Mapping) and isinstance(monitor, Mapping):
        return _uptime_kuma(payload)
    return None
