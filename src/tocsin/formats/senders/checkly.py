"""Checkly's webhook alert channel, with the payload template Tocsin's guide gives: its
`{{ALERT_TYPE}}`, `{{CHECK_ID}}` and `{{CHECK_NAME}}` variables under their own names.

ALERT_FAILURE pages, ALERT_DEGRADED pages mildly, ALERT_RECOVERY resolves; the check's id names
the incident (certificate expiry warnings, ALERT_SSL, are an incident of their own).
https://www.checklyhq.com/docs/alerting-and-retries/webhooks/
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.formats.fields import first_text, mapping, squashed
from tocsin.formats.intent import Intent
from tocsin.formats.senders.base import Recognised, Source, sender_key
from tocsin.formats.severity import Severity

# Alert type -> level, intent, what the title says. A recovery from failure or degradation
# resolves; a failure that degraded or a degradation that failed still pages.
_TYPES = {
    "ALERT_FAILURE": (Severity.CRITICAL, Intent.TRIGGER, "failed"),
    "ALERT_FAILURE_REMAIN": (Severity.CRITICAL, Intent.TRIGGER, "is still failing"),
    "ALERT_DEGRADED_FAILURE": (Severity.CRITICAL, Intent.TRIGGER, "failed"),
    "ALERT_DEGRADED": (Severity.MINOR, Intent.TRIGGER, "is degraded"),
    "ALERT_DEGRADED_REMAIN": (Severity.MINOR, Intent.TRIGGER, "is still degraded"),
    "ALERT_FAILURE_DEGRADED": (Severity.MINOR, Intent.TRIGGER, "is degraded"),
    "ALERT_RECOVERY": (Severity.RESOLVED, Intent.RESOLVE, "recovered"),
    "ALERT_DEGRADED_RECOVERY": (Severity.RESOLVED, Intent.RESOLVE, "recovered"),
    "ALERT_SSL": (Severity.MINOR, Intent.TRIGGER, "has a certificate about to expire"),
}


def recognise(payload: Mapping[str, Any]) -> Recognised | None:
    fields = squashed(payload)
    alert_type = first_text(fields, ("alerttype",)).upper()
    if not alert_type.startswith("ALERT_") or not ("checkid" in fields or "checkname" in fields):
        return None
    severity, intent, verb = _TYPES.get(alert_type, _TYPES["ALERT_FAILURE"])
    check_id = first_text(fields, ("checkid",))
    name = first_text(fields, ("checkname",)) or "Checkly check"
    return Recognised(
        source=Source.CHECKLY,
        title=f"{name} {verb}",
        message=first_text(fields, ("checkerrormessage", "error", "errormessage")),
        severity=severity,
        dedup_key=sender_key("checkly", "ssl" if alert_type == "ALERT_SSL" else "", check_id),
        intent=intent,
    )


def template_variables(payload: Any) -> dict[str, Any]:
    return {"check": dict(mapping(payload))}
