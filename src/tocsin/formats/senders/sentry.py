"""Sentry: its integration platform's webhooks (an internal integration) and the legacy
WebHooks plugin.

Three resources page or end a page: `event_alert` (an issue alert rule fired; always
`triggered`), `issue` (created, resolved, assigned, archived, unresolved) and `metric_alert`
(critical, warning, resolved). Issue alerts and issue events share the issue id, so resolving
the issue in Sentry resolves the alert its rule paged for; archiving it acknowledges.
https://docs.sentry.io/organization/integrations/integration-platform/webhooks/
getsentry/sentry-docs: docs/organization/integrations/integration-platform/webhooks/*.mdx
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tocsin.formats.fields import mapping, text
from tocsin.formats.intent import Intent
from tocsin.formats.senders.base import Recognised, Source, sender_key
from tocsin.formats.severity import Severity, normalise_severity

_ISSUE_ACTIONS = {
    "resolved": Intent.RESOLVE,
    # Archived (ignored) on purpose by a person: nobody needs calling about it any more.
    "archived": Intent.ACKNOWLEDGE,
    "ignored": Intent.ACKNOWLEDGE,
}
_METRIC_ACTIONS = {
    "critical": (Severity.CRITICAL, Intent.TRIGGER),
    "warning": (Severity.MINOR, Intent.TRIGGER),
    "resolved": (Severity.RESOLVED, Intent.RESOLVE),
}
# "Critical: Too many errors" -> "Too many errors"
_STATE_PREFIX = re.compile(r"^\s*(?:critical|warning|resolved)\s*:\s*", re.IGNORECASE)


def _level(value: Any) -> Severity:
    level = normalise_severity(text(value) or "error")
    # "debug" and "info" are levels, but a resolve word never is.
    return level if level != Severity.RESOLVED else Severity.INFO


def _issue(action: str, issue: Mapping[str, Any]) -> Recognised:
    return Recognised(
        source=Source.SENTRY,
        title=text(issue.get("title")) or "Sentry issue",
        message="",
        severity=_level(issue.get("level")),
        dedup_key=sender_key("sentry", text(issue.get("id"))),
        # Created, unresolved (a regression) and assigned all leave the issue open.
        intent=_ISSUE_ACTIONS.get(action, Intent.TRIGGER),
    )


def _event_alert(data: Mapping[str, Any]) -> Recognised:
    event = mapping(data.get("event"))
    return Recognised(
        source=Source.SENTRY,
        title=text(event.get("title")) or text(event.get("message")) or "Sentry issue",
        message=text(data.get("triggered_rule")),
        severity=_level(event.get("level")),
        dedup_key=sender_key("sentry", text(event.get("issue_id"))),
    )


def _metric_alert(action: str, data: Mapping[str, Any]) -> Recognised:
    incident = mapping(data.get("metric_alert"))
    rule = text(mapping(incident.get("alert_rule")).get("name"))
    title = rule or _STATE_PREFIX.sub("", text(data.get("description_title"))) or "Sentry alert"
    severity, intent = _METRIC_ACTIONS.get(action, _METRIC_ACTIONS["critical"])
    description = text(data.get("description_text")).replace("\\n", ". ").replace("\n", ". ")
    return Recognised(
        source=Source.SENTRY,
        title=title,
        message=description,
        severity=severity,
        dedup_key=sender_key("sentry-metric", text(incident.get("id"))),
        intent=intent,
    )


def _plugin(payload: Mapping[str, Any]) -> Recognised:
    event = mapping(payload.get("event"))
    title = text(event.get("title")) or text(payload.get("message")) or "Sentry issue"
    return Recognised(
        source=Source.SENTRY,
        title=title,
        message="",
        severity=_level(payload.get("level")),
        dedup_key=sender_key("sentry", text(payload.get("id"))),
    )


def recognise(payload: Mapping[str, Any]) -> Recognised | None:
    data = mapping(payload.get("data"))
    action = text(payload.get("action")).lower()
    if data and action and ("installation" in payload or "actor" in payload):
        if "metric_alert" in data:
            return _metric_alert(action, data)
        if "issue" in data:
            return _issue(action, mapping(data.get("issue")))
        if "event" in data:
            return _event_alert(data)
        return None
    if all(name in payload for name in ("project_name", "culprit", "url", "level")):
        return _plugin(payload)
    return None


def template_variables(payload: Any) -> dict[str, Any]:
    data = mapping(mapping(payload).get("data"))
    return {
        "issue": dict(mapping(data.get("issue"))),
        "event": dict(mapping(data.get("event"))),
        "metric_alert": dict(mapping(data.get("metric_alert"))),
    }
