"""What calls say: defaults per sender, endpoint templates, and a sandbox that holds."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.docs import DOCS
from tests.ingest.sender_bodies import body
from tocsin.core.errors import InvalidInput
from tocsin.formats.known import Source
from tocsin.formats.parse import parse_alert
from tocsin.messages import MessageContext, check_template, render_message

LIMIT = 600


def context(**fields: Any) -> MessageContext:
    values: dict[str, Any] = {
        "endpoint": "Production",
        "title": "Disk full on db1",
        "message": "",
        "severity": "critical",
        "source": Source.GENERIC,
        "payload": {},
    }
    values.update(fields)
    return MessageContext(**values)


def say(template: str | None, **fields: Any) -> str:
    return render_message(template, context(**fields), max_characters=LIMIT).text


def test_the_generic_default_names_endpoint_severity_title_and_message() -> None:
    assert say(None) == "Alert from Production. Severity critical. Disk full on db1."
    assert say(None, message="/var at 97%") == (
        "Alert from Production. Severity critical. Disk full on db1. /var at 97%"
    )
    # A message that only repeats the title is not read twice, nor a title's own full stop.
    assert say(None, title="Disk full.", message="Disk full.") == (
        "Alert from Production. Severity critical. Disk full."
    )


def alertmanager_payload(*summaries: str) -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": "g",
        "status": "firing",
        "commonLabels": {"team": "db"},
        "commonAnnotations": {},
        "alerts": [
            {"status": "firing", "labels": {"alertname": "X"}, "annotations": {"summary": s}}
            for s in summaries
        ],
    }


def test_a_grouped_notification_is_one_call_that_counts_and_names_its_alerts() -> None:
    payload = alertmanager_payload("CPU high on db1", "CPU high on db2", "Disk full on web1")
    text = say(None, source=Source.ALERTMANAGER, payload=payload)
    assert text == (
        "3 alerts firing on Production. Severity critical. "
        "CPU high on db1. CPU high on db2. Disk full on web1."
    )


def test_a_large_group_names_five_and_counts_the_rest() -> None:
    payload = alertmanager_payload(*(f"node{i} down" for i in range(8)))
    text = say(None, source=Source.ALERTMANAGER, payload=payload)
    assert "node4 down. And 3 more." in text
    assert "node5" not in text


def test_a_group_of_one_reads_like_a_single_alert() -> None:
    payload = alertmanager_payload("CPU high on db1")
    text = say(None, source=Source.GRAFANA, title="CPU high on db1", payload=payload)
    assert text == "Alert from Production. Severity critical. CPU high on db1."


def test_uptime_kuma_default_reads_the_monitor_and_its_message() -> None:
    payload = {"heartbeat": {"status": 0, "msg": "timeout after 48 s"}, "monitor": {"name": "Shop"}}
    text = say(None, source=Source.UPTIME_KUMA, title="Shop is down", payload=payload)
    assert text == "Alert from Production. Shop is down. timeout after 48 s"


def test_an_endpoint_template_sees_the_payload_and_the_alert() -> None:
    template = (
        "{{ labels.team | upper }} team: {{ firing | length }} problems. "
        "First: {{ firing[0].summary }}. From {{ payload.receiver | default('somewhere') }}."
    )
    payload = alertmanager_payload("CPU high on db1", "Disk full")
    assert say(template, source=Source.ALERTMANAGER, payload=payload) == (
        "DB team: 2 problems. First: CPU high on db1. From somewhere."
    )


def test_text_is_cleaned_for_speech_and_cut_at_a_word() -> None:
    text = say("{{ title }}\n\n\t{{ message }}\x07", message="word " * 300)
    assert "\n" not in text
    assert "\x07" not in text
    assert "  " not in text
    assert len(text) <= LIMIT
    assert text.endswith("word.")


def test_missing_fields_render_as_nothing_rather_than_failing() -> None:
    assert (
        say("Host {{ payload.host.name }} is down. {{ title }}") == "Host is down. Disk full on db1"
    )


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{% if %}", "line 1"),
        ("{{ 'x' * 100000 }}", "grew past"),
        ("{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}"
         "{% endfor %}{{ ns.s }}", "grew past"),
        ("{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}"
         "{% endfor %}{{ ns.s }}", "grew past"),
        ("{{ '%900000s' % 1 }}", "grew past"),
        ("{{ 'x' | center(100000000) }}", "No filter named 'center'"),
        ("{{ 'x'.ljust(100000000) }}", "unsafe"),
        ("{{ title | replace('', 'y' * 9000) }}", "too long"),
        ("{{ 2 ** 100000 }}", "exponents"),
        ("{{ range(100000) | list }}", "range() is limited"),
        ("{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
         "{% endfor %}{% endfor %}{% endfor %}", "took longer"),
        ("{% set l = [1] %}{{ l.append(2) }}", "unsafe"),
        ("{{ lipsum() }}", "undefined"),
    ],
)  # fmt: skip
def test_a_template_that_fails_or_costs_too_much_falls_back_to_the_default(
    template: str, problem: str
) -> None:
    rendered = render_message(template, context(), max_characters=LIMIT)
    assert rendered.text == "Alert from Production. Severity critical. Disk full on db1."
    assert rendered.problem is not None
    assert problem in rendered.problem


def test_the_sandbox_hides_python_internals() -> None:
    rendered = render_message(
        "{{ ''.__class__.__mro__[1].__subclasses__() }}", context(), max_characters=LIMIT
    )
    assert "class" not in rendered.text
    assert rendered.text.startswith("Alert from Production.")


def test_a_template_that_says_nothing_falls_back_too() -> None:
    rendered = render_message("{{ '' }}  ", context(), max_characters=LIMIT)
    assert rendered.problem == "the template rendered no text"
    assert rendered.text.startswith("Alert from Production.")


def test_templates_are_checked_before_they_are_saved() -> None:
    assert check_template("{{ title }} on {{ endpoint }}") == "Disk full on db1 on Production"
    with pytest.raises(InvalidInput, match="line 1") as caught:
        check_template("{{ title ")
    assert caught.value.code == "invalid_template"
    with pytest.raises(InvalidInput, match="grew past"):
        check_template("{{ 'x' * 50000 }}")


GUIDES = [
    ("pagerduty", "pagerduty-firing", "Production"),
    ("aws-sns", "sns-firing", "AWS"),
    ("azure-monitor", "azure-firing", "Azure"),
    ("google-cloud-monitoring", "google-cloud-firing", "GCP"),
    ("datadog", "datadog-firing", "Datadog"),
    ("zabbix", "zabbix-firing", "Zabbix"),
    ("new-relic", "new-relic-firing", "New Relic"),
    ("sentry", "sentry-firing", "Sentry"),
    ("checkly", "checkly-firing", "Checkly"),
    ("healthchecks", "healthchecks-firing", "Cron"),
    ("netdata", "netdata-firing", "Netdata"),
    ("nagios", "nagios-firing", "Nagios"),
    ("uptime-kuma", "kuma-down", "Uptime"),
    ("grafana", "grafana-firing", "Grafana"),
]


@pytest.mark.parametrize(("guide", "block", "endpoint"), GUIDES)
def test_each_sender_sounds_as_its_guide_says(guide: str, block: str, endpoint: str) -> None:
    """The sentence a guide quotes ('places one call: "..."', or for a text 'alert ("...")')
    is what its body says."""
    page = (DOCS / "integrations" / f"{guide}.md").read_text("utf-8")
    # A guide whose sample is an `info` alert says what its text reads: 'alert ("...")'.
    quoted = re.search(r'places\s+one\s+call[^"]*"([^"]+)"', page) or re.search(
        r'alert\s+\("([^"]+)"', page
    )
    assert quoted is not None, guide
    sent = body(guide, block)
    alert = parse_alert(body=sent.raw, content_type=sent.content_type, query=sent.query)
    said = say(
        None,
        endpoint=endpoint,
        title=alert.title,
        message=alert.message,
        severity=alert.severity.value,
        source=alert.source.value,
        payload=alert.payload,
    )
    assert said == " ".join(quoted[1].split())


def test_sender_template_variables() -> None:
    """Each sender's own objects, for endpoint templates."""
    sent = body("aws-sns", "sns-firing")
    alarm = parse_alert(body=sent.raw, content_type=sent.content_type, query=sent.query)
    template = (
        "{{ alarm.AlarmName }}: {{ alarm.Trigger.MetricName }} above {{ alarm.Trigger.Threshold }}."
    )
    assert say(template, source=alarm.source, payload=alarm.payload) == (
        "db1-cpu-high: CPUUtilization above 90.0."
    )
    kuma = body("uptime-kuma", "kuma-get-down")
    got = parse_alert(body=kuma.raw, content_type=kuma.content_type, query=kuma.query)
    assert say(
        "{{ monitor.name }}: {{ heartbeat.msg }}", source=got.source, payload=got.payload
    ) == ("Shop checkout: timeout of 48000ms exceeded")
    nagios = body("nagios", "nagios-firing")
    got = parse_alert(body=nagios.raw, content_type=nagios.content_type, query=nagios.query)
    template = "{{ notification.SERVICEDESC }} on {{ notification.HOSTNAME }}"
    assert say(template, source=got.source, payload=got.payload) == "HTTP on db1"
