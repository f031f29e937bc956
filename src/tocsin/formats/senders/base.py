"""What every sender's reader returns, and the small helpers they share."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

from tocsin.formats.intent import Intent
from tocsin.formats.severity import Severity

MAX_KEY_CHARACTERS = 200


class Source(StrEnum):
    """Whose format a body was read in; stored with the alert (at most 20 characters) and
    picking the default template of what the call says."""

    GENERIC = "generic"
    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"
    UPTIME_KUMA = "uptime_kuma"
    PAGERDUTY = "pagerduty"
    AWS_SNS = "aws_sns"
    AWS_CLOUDWATCH = "aws_cloudwatch"
    AZURE_MONITOR = "azure_monitor"
    GOOGLE_CLOUD = "google_cloud"
    DATADOG = "datadog"
    ZABBIX = "zabbix"
    NEW_RELIC = "new_relic"
    SENTRY = "sentry"
    CHECKLY = "checkly"
    HEALTHCHECKS = "healthchecks"
    NETDATA = "netdata"
    NAGIOS = "nagios"
    # Not a sender: Tocsin's own heartbeat monitors (tocsin/heartbeats), whose missed pings
    # become alerts with a `heartbeat` object in their payload. No body is read as this.
    HEARTBEAT = "heartbeat"


@dataclass(frozen=True)
class GroupedAlert:
    """One alert of an Alertmanager-style group, as templates and rules see it."""

    status: str
    name: str
    summary: str
    description: str
    severity: str
    labels: dict[str, str]
    annotations: dict[str, str]


@dataclass(frozen=True)
class Recognised:
    """A body read the way its sender means it.

    `title` is a short sentence fit to be read aloud and `message` plain words or nothing: the
    body itself stays stored with the alert for the dashboard and templates. `dedup_key` is
    built from the sender's own incident id, prefixed per sender.
    """

    source: Source
    title: str
    message: str
    severity: Severity
    dedup_key: str | None
    intent: Intent = Intent.TRIGGER
    # Alertmanager and Grafana: the group's alerts, firing first.
    alerts: tuple[GroupedAlert, ...] = field(default_factory=tuple)
    # Amazon SNS: the URL that confirms a subscription (checked before it is visited).
    confirm_url: str | None = None


def hashed_key(prefix: str, value: str) -> str:
    # Group keys can be long label sets; a digest keeps them within the dedup key limit.
    return f"{prefix}:{hashlib.sha256(value.encode()).hexdigest()[:40]}"


def sender_key(prefix: str, *parts: str) -> str | None:
    """`prefix:part:part`, or a digest of it when too long; None when every part is empty, so
    the alert falls back to Tocsin's own title-based key rather than one shared by all."""
    present = [part for part in parts if part]
    if not present:
        return None
    key = f"{prefix}:{':'.join(present)}"
    return key if len(key) <= MAX_KEY_CHARACTERS else hashed_key(prefix, key)


def on_host(name: str, host: str) -> str:
    """ "CPU high on db1", unless the name already says where."""
    if not host or host.lower() in name.lower():
        return name
    return f"{name} on {host}"
