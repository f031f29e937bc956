"""New Relic: a workflow's webhook (its default payload: `id`, `issueUrl`, `title`,
`priority`, `state`, ...) and the older notification channels (`incident_id`,
`current_state`, `condition_name`, ...).

Workflow issues are ACTIVATED, then CLOSED; an acknowledgement shows as `acknowledgedBy` (or
`owner`) when the payload template includes it. Channel incidents are open, acknowledged or
closed. The issue or incident id names the alert.
https://docs.newrelic.com/docs/alerts/get-notified/notification-integrations/#webhook
https://docs.newrelic.com/docs/alerts/new-relic-alerts/notifications/customize-your-webhook-payload
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.formats.fields import first_item, first_text, lowered, mapping, text
from tocsin.formats.intent import Intent
from tocsin.formats.senders.base import Recognised, Source, on_host, sender_key
from tocsin.formats.severity import Severity

_PRIORITIES = {
    "critical": Severity.CRITICAL,
    "high": Severity.MAJOR,
    "medium": Severity.MINOR,
    "warning": Severity.MINOR,
    "low": Severity.INFO,
    "info": Severity.INFO,
}


def _state(state: str, acknowledged: bool) -> Intent:
    if state in ("closed", "resolved"):
        return Intent.RESOLVE
    if state == "acknowledged" or acknowledged:
        return Intent.ACKNOWLEDGE
    return Intent.TRIGGER


def _workflow(fields: Mapping[str, Any]) -> Recognised:
    acknowledged = bool(first_text(fields, ("acknowledgedby", "owner"))) or (
        fields.get("isacknowledged") is True
    )
    condition = text(first_item(fields.get("alertconditionnames")))
    entity = text(first_item(fields.get("impactedentities")))
    title = text(fields.get("title")) or on_host(condition or "New Relic issue", entity)
    return Recognised(
        source=Source.NEW_RELIC,
        title=title,
        message="",
        severity=_PRIORITIES.get(text(fields.get("priority")).lower(), Severity.CRITICAL),
        dedup_key=sender_key("newrelic", text(fields.get("id"))),
        intent=_state(text(fields.get("state")).lower(), acknowledged),
    )


def _channel(fields: Mapping[str, Any]) -> Recognised:
    targets = fields.get("targets")
    target = first_item(targets) if isinstance(targets, list) else None
    target_name = text(target.get("name")) if isinstance(target, Mapping) else ""
    name = first_text(fields, ("condition_name", "policy_name")) or "New Relic incident"
    return Recognised(
        source=Source.NEW_RELIC,
        title=on_host(name, target_name),
        message=text(fields.get("details")),
        severity=_PRIORITIES.get(text(fields.get("severity")).lower(), Severity.CRITICAL),
        dedup_key=sender_key("newrelic-incident", text(fields.get("incident_id"))),
        intent=_state(text(fields.get("current_state")).lower(), acknowledged=False),
    )


def recognise(payload: Mapping[str, Any]) -> Recognised | None:
    fields = lowered(payload)
    if "issueurl" in fields and "state" in fields and "id" in fields:
        return _workflow(fields)
    if "incident_id" in fields and "current_state" in fields:
        return _channel(fields)
    return None


def template_variables(payload: Any) -> dict[str, Any]:
    return {"issue": dict(mapping(payload))}
