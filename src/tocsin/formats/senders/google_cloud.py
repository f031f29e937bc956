"""Google Cloud Monitoring's webhook notification channel (schema version 1.2).

One `incident` per notification: `state` open or closed (test notifications write OPEN), an
`incident_id` shared by both, the alerting policy's name and the resource it is about.
https://cloud.google.com/monitoring/support/notification-options#webhooks
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tocsin.formats.fields import mapping, text
from tocsin.formats.intent import Intent
from tocsin.formats.senders.base import Recognised, Source, on_host, sender_key
from tocsin.formats.severity import Severity

_SEVERITIES = {
    "critical": Severity.CRITICAL,
    "error": Severity.MAJOR,
    "warning": Severity.MINOR,
}
# "... with metric labels {instance_name=appserver} is above ...": label sets are no speech.
_LABEL_SET = re.compile(r"\s*(?:with (?:metric|resource) labels\s*)?\{[^{}]*\}")


def _name(incident: Mapping[str, Any]) -> str:
    policy = text(incident.get("policy_name"))
    # Older schemas wrote the policy's resource name (projects/1/alertPolicies/2), no speech.
    if policy and "/" not in policy:
        return policy
    return text(incident.get("condition_name")) or policy or "Google Cloud alert"


def recognise(payload: Mapping[str, Any]) -> Recognised | None:
    incident = mapping(payload.get("incident"))
    if not incident or "incident_id" not in incident or "state" not in incident:
        return None
    state = text(incident.get("state")).lower()
    resource = text(incident.get("resource_display_name")) or text(incident.get("resource_name"))
    return Recognised(
        source=Source.GOOGLE_CLOUD,
        title=on_host(_name(incident), resource),
        message=_LABEL_SET.sub("", text(incident.get("summary"))),
        severity=_SEVERITIES.get(text(incident.get("severity")).lower(), Severity.CRITICAL),
        dedup_key=sender_key("gcp", text(incident.get("incident_id"))),
        intent=Intent.RESOLVE if state == "closed" else Intent.TRIGGER,
    )


def template_variables(payload: Any) -> dict[str, Any]:
    return {"incident": dict(mapping(mapping(payload).get("incident")))}
