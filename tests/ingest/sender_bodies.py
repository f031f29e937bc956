"""The bodies each sender's guide shows (docs/integrations/<guide>.md), as that sender sends them.

The guides cite where each body comes from: the sender's own documentation, its source, or its
documented variables filled in. Tests send exactly these, so a guide cannot drift from what
Tocsin does with it. A block's language says how it travels: `json` as a JSON body, `form` as
a form-encoded body and `query` as GET query parameters, one `name=value` a line.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from tests.e2e.docs import blocks
from tocsin.formats.known import Source


@dataclass(frozen=True)
class Body:
    raw: bytes
    content_type: str
    query: list[tuple[str, str]]


def _pairs(code: str) -> list[tuple[str, str]]:
    return [tuple(line.split("=", 1)) for line in code.splitlines() if line.strip()]  # type: ignore[misc]


def body(guide: str, name: str) -> Body:
    [(language, code)] = [
        (info.split()[0], code)
        for info, code in blocks(f"integrations/{guide}.md")
        if info.split()[1:] == [name]
    ]
    if language == "form":
        return Body(urlencode(_pairs(code)).encode(), "application/x-www-form-urlencoded", [])
    if language == "query":
        return Body(b"", "", _pairs(code))
    assert language == "json", f"{guide}/{name}: a {language} block is no body"
    return Body(code.encode(), "application/json", [])


@dataclass(frozen=True)
class Sender:
    """A sender's guide and the names of its firing, recovery and (if it has one)
    acknowledgement bodies."""

    guide: str
    source: Source
    firing: str
    recovery: str
    acknowledgement: str | None = None

    def __str__(self) -> str:
        return f"{self.guide}:{self.firing}"


SENDERS = [
    Sender("alertmanager", Source.ALERTMANAGER, "am-firing", "am-resolved"),
    Sender("grafana", Source.GRAFANA, "grafana-firing", "grafana-resolved"),
    Sender("uptime-kuma", Source.UPTIME_KUMA, "kuma-down", "kuma-up"),
    Sender("uptime-kuma", Source.UPTIME_KUMA, "kuma-get-down", "kuma-get-up"),
    Sender(
        "pagerduty", Source.PAGERDUTY, "pagerduty-firing", "pagerduty-recovery", "pagerduty-ack"
    ),
    Sender("aws-sns", Source.AWS_CLOUDWATCH, "sns-firing", "sns-recovery"),
    Sender("azure-monitor", Source.AZURE_MONITOR, "azure-firing", "azure-recovery"),
    Sender(
        "google-cloud-monitoring",
        Source.GOOGLE_CLOUD,
        "google-cloud-firing",
        "google-cloud-recovery",
    ),
    Sender("datadog", Source.DATADOG, "datadog-firing", "datadog-recovery"),
    Sender("datadog", Source.DATADOG, "datadog-default-firing", "datadog-default-recovery"),
    Sender("zabbix", Source.ZABBIX, "zabbix-firing", "zabbix-recovery", "zabbix-ack"),
    Sender(
        "new-relic", Source.NEW_RELIC, "new-relic-firing", "new-relic-recovery", "new-relic-ack"
    ),
    Sender("sentry", Source.SENTRY, "sentry-firing", "sentry-recovery"),
    Sender("checkly", Source.CHECKLY, "checkly-firing", "checkly-recovery"),
    Sender("healthchecks", Source.HEALTHCHECKS, "healthchecks-firing", "healthchecks-recovery"),
    Sender("netdata", Source.NETDATA, "netdata-firing", "netdata-recovery"),
    Sender("nagios", Source.NAGIOS, "nagios-firing", "nagios-recovery", "nagios-ack"),
]
