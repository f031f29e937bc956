"""PagerDuty's Events API, which many tools can send to any URL: v2 (`event_action`
trigger/acknowledge/resolve, `dedup_key`, `payload.summary`) and the older v1 (`event_type`,
`incident_key`, `description`).
https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
PagerDuty/API_Python_Examples: EVENTS_API_v2/trigger/trigger_without_incident_key.py

The key is the sender's own `dedup_key` (or `incident_key`), used as it is: it is the same field
a generic body names its alert with, so both kinds of body can page and resolve one alert.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tocsin.formats.fields import mapping, text
from tocsin.formats.intent import Intent
from tocsin.formats.senders.base import Recognised, Source, on_host
from tocsin.formats.severity import Severity

_ACTIONS = {
    "trigger": Intent.TRIGGER,
    "acknowledge": Intent.ACKNOWLEDGE,
    "resolve": Intent.RESOLVE,
}
# `payload.source` is "preferably a hostname"; anything else (PagerDuty's own example is
# "monitoringtool:cloudvendor:...:cluster/api-stats-prod-003") is no words for a call.
_HOSTNAME = re.compile(r"[A-Za-z0-9][\w.\-]{0,62}")
# The Events API's four severities.
_SEVERITIES = {
    "critical": Severity.CRITICAL,
    "error": Severity.MAJOR,
    "warning": Severity.MINOR,
    "info": Severity.INFO,
}


def _v2(payload: Mapping[str, Any], action: str) -> Recognised:
    event = mapping(payload.get("payload"))
    key = text(payload.get("dedup_key"))
    summary = text(event.get("summary"))
    source = text(event.get("source"))
    host = source if _HOSTNAME.fullmatch(source) else ""
    title = on_host(summary, host) if summary else f"PagerDuty event {key}".strip()
    return Recognised(
        source=Source.PAGERDUTY,
        title=title,
        message="",
        severity=_SEVERITIES.get(text(event.get("severity")).lower(), Severity.CRITICAL),
        dedup_key=key or None,
        intent=_ACTIONS.get(action, Intent.TRIGGER),
    )


def _v1(payload: Mapping[str, Any], event_type: str) -> Recognised:
    key = text(payload.get("incident_key"))
    description = text(payload.get("description"))
    return Recognised(
        source=Source.PAGERDUTY,
        title=description or f"PagerDuty event {key}".strip(),
        message="",
        severity=Severity.CRITICAL,
        dedup_key=key or None,
        intent=_ACTIONS.get(event_type, Intent.TRIGGER),
    )


def recognise(payload: Mapping[str, Any]) -> Recognised | None:
    action = text(payload.get("event_action")).lower()
    if action in _ACTIONS and ("routing_key" in payload or "payload" in payload):
        return _v2(payload, action)
    event_type = text(payload.get("event_type")).lower()
    if event_type in _ACTIONS and ("service_key" in payload or "incident_key" in payload):
        return _v1(payload, event_type)
    return None


def template_variables(payload: Any) -> dict[str, Any]:
    fields = mapping(payload)
    event = mapping(fields.get("payload"))
    return {"event": dict(event), "details": dict(mapping(event.get("custom_details")))}
