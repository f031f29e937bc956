"""Prometheus Alertmanager and Grafana unified alerting: one notification per group of alerts.

A group becomes one Tocsin alert (deduplicated by the group key) and one call that names its
firing alerts; the group's `resolved` notification resolves it. Grafana's unified alerting sends
the same shape with a few fields of its own (`orgId`, `title`, `state`).
https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.formats.intent import Intent
from tocsin.formats.senders.base import GroupedAlert, Recognised, Source, hashed_key
from tocsin.formats.severity import Severity, normalise_severity

# Severity labels rank like this when a group mixes them; the group pages as its worst.
_RANK = {
    Severity.CRITICAL: 0,
    Severity.MAJOR: 1,
    Severity.MINOR: 2,
    Severity.INFO: 3,
    Severity.RESOLVED: 4,
}


def strings(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, str | int | float)}


def _grouped(item: Mapping[str, Any]) -> GroupedAlert:
    labels = strings(item.get("labels"))
    annotations = strings(item.get("annotations"))
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


def recognise(payload: Mapping[str, Any]) -> Recognised | None:
    if not _is_alertmanager_shaped(payload):
        return None
    source = Source.GRAFANA if _is_grafana(payload) else Source.ALERTMANAGER
    items = [_grouped(item) for item in payload["alerts"] if isinstance(item, Mapping)]
    firing = [a for a in items if a.status == "firing"]
    resolved = [a for a in items if a.status == "resolved"]
    group_status = str(payload.get("status", "")).lower()
    if group_status == "resolved" or not firing:
        severity, intent = Severity.RESOLVED, Intent.RESOLVE
    else:
        severity = min((Severity(a.severity) for a in firing), key=_RANK.__getitem__)
        intent = Intent.TRIGGER
    group_key = str(payload.get("groupKey") or "")
    if not group_key:
        # Grafana test notifications and hand-made bodies may lack one: the label set is the
        # group, as Alertmanager itself would see it.
        labels = strings(payload.get("groupLabels")) or strings(payload.get("commonLabels"))
        group_key = ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "default"
    prefix = "grafana" if source == Source.GRAFANA else "am"
    return Recognised(
        source=source,
        title=_group_title(firing, resolved),
        message=" ".join(a.description for a in firing if a.description),
        severity=severity,
        dedup_key=hashed_key(prefix, group_key),
        intent=intent,
        alerts=tuple(firing + resolved),
    )


def grouped_alerts(payload: Any) -> tuple[GroupedAlert, ...]:
    """A stored group's alerts, for templates; none for anything else."""
    if not isinstance(payload, Mapping):
        return ()
    recognised = recognise(payload)
    return recognised.alerts if recognised is not None else ()
