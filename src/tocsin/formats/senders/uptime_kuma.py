"""Uptime Kuma's webhook notification: a monitor's heartbeat when it goes down and up again.

With the POST method it sends `{"heartbeat": {...}, "monitor": {...}, "msg": "..."}` as JSON or
as one multipart `data` field; with the GET method the same three as query parameters, the two
objects JSON-encoded (server/notification-providers/webhook.js in louislam/uptime-kuma).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tocsin.formats.intent import Intent
from tocsin.formats.senders.base import Recognised, Source, sender_key
from tocsin.formats.severity import Severity

# Heartbeat statuses: 0 down, 1 up, 2 pending, 3 maintenance. A monitor put into maintenance is
# down on purpose, so it ends the page rather than starting one.
_STATUSES = {
    0: (Severity.CRITICAL, Intent.TRIGGER, "is down"),
    1: (Severity.RESOLVED, Intent.RESOLVE, "is up"),
    2: (Severity.MINOR, Intent.TRIGGER, "is pending"),
    3: (Severity.RESOLVED, Intent.RESOLVE, "is in maintenance"),
}
_DOWN = _STATUSES[0]


def _document(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            decoded = json.loads(value)
        except ValueError:
            return None
        return decoded if isinstance(decoded, Mapping) else None
    return None


def heartbeat_and_monitor(payload: Any) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """The heartbeat and monitor of a body in either method's shape, or None."""
    if not isinstance(payload, Mapping):
        return None
    heartbeat = _document(payload.get("heartbeat"))
    monitor = _document(payload.get("monitor"))
    if heartbeat is None or monitor is None:
        return None
    return heartbeat, monitor


def recognise(payload: Mapping[str, Any]) -> Recognised | None:
    documents = heartbeat_and_monitor(payload)
    if documents is None:
        return None
    heartbeat, monitor = documents
    raw_status = heartbeat.get("status")
    status = raw_status if isinstance(raw_status, int) and not isinstance(raw_status, bool) else 0
    severity, intent, verb = _STATUSES.get(status, _DOWN)
    name = str(monitor.get("name") or monitor.get("pathName") or "Monitor")
    return Recognised(
        source=Source.UPTIME_KUMA,
        title=f"{name} {verb}",
        message=str(heartbeat.get("msg") or ""),
        severity=severity,
        dedup_key=sender_key("kuma", str(monitor.get("id") or name)),
        intent=intent,
    )


def template_variables(payload: Any) -> dict[str, Any]:
    heartbeat, monitor = heartbeat_and_monitor(payload) or ({}, {})
    return {"heartbeat": dict(heartbeat), "monitor": dict(monitor)}
