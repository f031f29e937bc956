"""Grafana's legacy alerting webhook: one rule, its state in `state`.
https://grafana.com/docs/grafana/v8.5/alerting/old-alerting/notifications/#webhook
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.formats.intent import Intent
from tocsin.formats.senders.base import Recognised, Source, hashed_key
from tocsin.formats.severity import Severity

_STATES = {
    "alerting": (Severity.CRITICAL, Intent.TRIGGER),
    "no_data": (Severity.MAJOR, Intent.TRIGGER),
    "ok": (Severity.RESOLVED, Intent.RESOLVE),
    "paused": (Severity.RESOLVED, Intent.RESOLVE),
    "pending": (Severity.INFO, Intent.TRIGGER),
}


def recognise(payload: Mapping[str, Any]) -> Recognised | None:
    if "ruleName" not in payload or "state" not in payload:
        return None
    state = str(payload.get("state", "")).lower()
    severity, intent = _STATES.get(state, (Severity.CRITICAL, Intent.TRIGGER))
    rule = str(payload.get("ruleName") or payload.get("title") or "Grafana alert")
    rule_id = str(payload.get("ruleId") or rule)
    return Recognised(
        source=Source.GRAFANA,
        title=rule,
        message=str(payload.get("message") or ""),
        severity=severity,
        dedup_key=hashed_key("grafana-rule", rule_id),
        intent=intent,
    )
