"""Azure Monitor's common alert schema, sent by an action group's webhook.

`data.essentials` says it all: `monitorCondition` Fired or Resolved, `alertId` the same for both,
`severity` Sev0 (critical) to Sev4 (verbose), `alertRule` and the resources it watched.
https://learn.microsoft.com/en-us/azure/azure-monitor/alerts/alerts-common-schema
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.formats.fields import first_item, mapping, text
from tocsin.formats.intent import Intent
from tocsin.formats.senders.base import Recognised, Source, on_host, sender_key
from tocsin.formats.severity import Severity

_SEVERITIES = {
    "sev0": Severity.CRITICAL,
    "sev1": Severity.MAJOR,
    "sev2": Severity.MINOR,
    "sev3": Severity.INFO,
    "sev4": Severity.INFO,
}


def recognise(payload: Mapping[str, Any]) -> Recognised | None:
    essentials = mapping(mapping(payload.get("data")).get("essentials"))
    if not essentials or "monitorCondition" not in essentials:
        return None
    condition = text(essentials.get("monitorCondition")).lower()
    rule = text(essentials.get("alertRule")) or "Azure Monitor alert"
    target = text(first_item(essentials.get("configurationItems")))
    return Recognised(
        source=Source.AZURE_MONITOR,
        title=on_host(rule, target),
        message=text(essentials.get("description")),
        severity=_SEVERITIES.get(text(essentials.get("severity")).lower(), Severity.CRITICAL),
        dedup_key=sender_key(
            "azure", text(essentials.get("alertId")) or text(essentials.get("originAlertId"))
        ),
        intent=Intent.RESOLVE if condition == "resolved" else Intent.TRIGGER,
    )


def template_variables(payload: Any) -> dict[str, Any]:
    data = mapping(mapping(payload).get("data"))
    return {
        "essentials": dict(mapping(data.get("essentials"))),
        "alert_context": dict(mapping(data.get("alertContext"))),
    }
