"""The monitoring systems whose bodies Tocsin reads the way their sender means them.

One module per sender, each with `recognise(payload)`: a `Recognised` reading when the body has
that sender's shape, None otherwise. They are asked in the order of `READERS`, the most
particular shapes first, and a body none of them claims is read generically (formats/parse.py).
To add a sender: write its module, put its reader in `READERS` and its template variables in
`TEMPLATE_VARIABLES`, and give it a guide under docs/integrations/.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tocsin.formats.senders import (
    alertmanager,
    aws,
    azure,
    checkly,
    datadog,
    google_cloud,
    grafana,
    healthchecks,
    nagios,
    netdata,
    new_relic,
    pagerduty,
    sentry,
    uptime_kuma,
    zabbix,
)
from tocsin.formats.senders.base import GroupedAlert, Recognised, Source

__all__ = ["READERS", "GroupedAlert", "Recognised", "Source", "recognise", "template_variables"]

Reader = Callable[[Mapping[str, Any]], Recognised | None]

READERS: tuple[Reader, ...] = (
    aws.recognise,
    pagerduty.recognise,
    azure.recognise,
    google_cloud.recognise,
    alertmanager.recognise,
    grafana.recognise,
    uptime_kuma.recognise,
    sentry.recognise,
    new_relic.recognise,
    datadog.recognise,
    zabbix.recognise,
    checkly.recognise,
    healthchecks.recognise,
    netdata.recognise,
    nagios.recognise,
)

# What a template may read for an alert from each sender, besides the alert's own fields.
TEMPLATE_VARIABLES: dict[str, Callable[[Any], dict[str, Any]]] = {
    Source.UPTIME_KUMA: uptime_kuma.template_variables,
    Source.PAGERDUTY: pagerduty.template_variables,
    Source.AWS_SNS: aws.template_variables,
    Source.AWS_CLOUDWATCH: aws.template_variables,
    Source.AZURE_MONITOR: azure.template_variables,
    Source.GOOGLE_CLOUD: google_cloud.template_variables,
    Source.DATADOG: datadog.template_variables,
    Source.ZABBIX: zabbix.template_variables,
    Source.NEW_RELIC: new_relic.template_variables,
    Source.SENTRY: sentry.template_variables,
    Source.CHECKLY: checkly.template_variables,
    Source.HEALTHCHECKS: healthchecks.template_variables,
    Source.NETDATA: netdata.template_variables,
    Source.NAGIOS: nagios.template_variables,
    Source.HEARTBEAT: lambda payload: {"heartbeat": _heartbeat_of(payload)},
}


def _heartbeat_of(payload: Any) -> Any:
    """A heartbeat alert's monitor (id, name, expected_at, last_ping_at, reason)."""
    found = payload.get("heartbeat") if isinstance(payload, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def recognise(payload: Any) -> Recognised | None:
    """How a known sender's body reads, or None for a body to read generically."""
    if not isinstance(payload, Mapping):
        return None
    for reader in READERS:
        recognised = reader(payload)
        if recognised is not None:
            return recognised
    return None


def template_variables(source: str, payload: Any) -> dict[str, Any]:
    variables = TEMPLATE_VARIABLES.get(source)
    return variables(payload) if variables is not None else {}
