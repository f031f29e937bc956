"""Netdata Cloud's webhook integration: alert notifications (`alert`, `chart`, `severity`
warning, critical or clear, ...) and reachability notifications (`host`, `status.reachable`).

Here `severity: clear` is the recovery, so this sender's severity field may resolve where a
generic one never does. The alert, its chart and the node (when the payload names one; the
space otherwise) name the incident.
https://learn.netdata.cloud/docs/alerting/notifications/centralized-cloud-notifications/webhook
netdata/netdata: integrations/cloud-notifications/metadata.yaml (webhook)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.formats.fields import first_text, lowered, mapping
from tocsin.formats.intent import Intent
from tocsin.formats.senders.base import Recognised, Source, on_host, sender_key
from tocsin.formats.severity import Severity

_SEVERITIES = {
    "critical": (Severity.CRITICAL, Intent.TRIGGER),
    "warning": (Severity.MINOR, Intent.TRIGGER),
    "clear": (Severity.RESOLVED, Intent.RESOLVE),
}


def _alert(fields: Mapping[str, Any]) -> Recognised | None:
    severity_word = first_text(fields, ("severity",)).lower()
    if severity_word not in _SEVERITIES:
        return None
    severity, intent = _SEVERITIES[severity_word]
    alert = first_text(fields, ("alert", "alarm", "name"))
    chart = first_text(fields, ("chart", "context"))
    node = first_text(fields, ("host", "hostname", "node", "node_name"))
    where = node or first_text(fields, ("space",))
    # Netdata names alerts like variables (10min_cpu_usage); spaces read better aloud.
    spoken = alert.replace("_", " ")
    state = "is back to normal" if intent == Intent.RESOLVE else f"is {severity_word}"
    return Recognised(
        source=Source.NETDATA,
        title=on_host(f"{spoken} {state}", node),
        message=first_text(fields, ("message", "info")),
        severity=severity,
        dedup_key=sender_key("netdata", where, chart, alert),
        intent=intent,
    )


def _reachability(fields: Mapping[str, Any]) -> Recognised:
    host = first_text(fields, ("host",)) or "A node"
    reachable = mapping(fields.get("status")).get("reachable") is True
    return Recognised(
        source=Source.NETDATA,
        title=f"{host} is {'reachable again' if reachable else 'unreachable'}",
        message="",
        severity=Severity.RESOLVED if reachable else Severity.CRITICAL,
        dedup_key=sender_key("netdata-reachability", host),
        intent=Intent.RESOLVE if reachable else Intent.TRIGGER,
    )


def recognise(payload: Mapping[str, Any]) -> Recognised | None:
    fields = lowered(payload)
    if ("alert" in fields or "alarm" in fields) and ("chart" in fields or "context" in fields):
        return _alert(fields)
    status = mapping(fields.get("status"))
    if "host" in fields and "reachable" in status:
        return _reachability(fields)
    return None


def template_variables(payload: Any) -> dict[str, Any]:
    return {"alert": dict(mapping(payload))}
