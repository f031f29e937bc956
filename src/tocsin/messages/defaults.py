"""The templates a call uses when its endpoint has none: one per kind of sender.

They say who is calling about what, in the fewest words that make sense read aloud. A grouped
notification names its alerts ("3 alerts firing: ...") up to five, then counts the rest. Where a
sender's title already says how bad it is ("HTTP on db1 is CRITICAL", "Shop is down"), the
severity is not read out a second time. Messages are plain words by the time they get here
(formats/senders/ makes them so), never a body's JSON.
"""

from __future__ import annotations

from tocsin.formats.known import Source

GENERIC = (
    "Alert from {{ endpoint }}. Severity {{ severity }}. {{ title }}."
    "{% if message and message != title %} {{ message }}{% endif %}"
)

# For senders whose title carries the state.
TITLED = (
    "Alert from {{ endpoint }}. {{ title }}."
    "{% if message and message != title %} {{ message }}{% endif %}"
)

GROUPED = (
    "{% if firing_count > 1 %}"
    "{{ firing_count }} alerts firing on {{ endpoint }}. Severity {{ severity }}. "
    "{% for alert in firing[:5] %}{{ alert.summary }}{{ '. ' if not loop.last }}{% endfor %}"
    "{% if firing_count > 5 %}. And {{ firing_count - 5 }} more{% endif %}."
    "{% else %}"
    "Alert from {{ endpoint }}. Severity {{ severity }}. {{ title }}."
    "{% if message and message != title %} {{ message }}{% endif %}"
    "{% endif %}"
)

UPTIME_KUMA = (
    "Alert from {{ endpoint }}. {{ title }}.{% if heartbeat.msg %} {{ heartbeat.msg }}{% endif %}"
)

DEFAULTS: dict[str, str] = {
    Source.GENERIC: GENERIC,
    Source.ALERTMANAGER: GROUPED,
    Source.GRAFANA: GROUPED,
    Source.UPTIME_KUMA: UPTIME_KUMA,
    Source.PAGERDUTY: GENERIC,
    Source.AWS_SNS: GENERIC,
    Source.AWS_CLOUDWATCH: TITLED,
    Source.AZURE_MONITOR: GENERIC,
    Source.GOOGLE_CLOUD: GENERIC,
    Source.DATADOG: GENERIC,
    Source.ZABBIX: GENERIC,
    Source.NEW_RELIC: GENERIC,
    Source.SENTRY: GENERIC,
    Source.CHECKLY: TITLED,
    Source.HEALTHCHECKS: TITLED,
    Source.NETDATA: TITLED,
    Source.NAGIOS: TITLED,
    # 'Heartbeat "backup" missed: expected by 03:05 UTC' says what happened and how bad.
    Source.HEARTBEAT: TITLED,
}


def default_template(source: str) -> str:
    return DEFAULTS.get(source, GENERIC)
