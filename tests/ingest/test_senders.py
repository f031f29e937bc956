"""How each sender's bodies read: titles, levels, intents and the keys that tie an incident's
events together. The guides' bodies are in tests/ingest/sender_bodies.py; the variants here
follow the same sources (cited by each test)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.ingest.sender_bodies import body
from tocsin.formats.intent import Intent
from tocsin.formats.known import Source
from tocsin.formats.parse import ParsedAlert, parse_alert
from tocsin.formats.severity import Severity


def guide(guide_name: str, block: str) -> ParsedAlert:
    sent = body(guide_name, block)
    return parse_alert(body=sent.raw, content_type=sent.content_type, query=sent.query)


def parse_json(document: Any) -> ParsedAlert:
    return parse_alert(
        body=json.dumps(document).encode(), content_type="application/json", query=[]
    )


def reading(parsed: ParsedAlert) -> tuple[Source, str, Severity, Intent, str | None]:
    return parsed.source, parsed.title, parsed.severity, parsed.intent, parsed.dedup_key


def test_pagerduty_events_page_acknowledge_and_resolve_by_their_dedup_key() -> None:
    assert reading(guide("pagerduty", "pagerduty-firing")) == (
        Source.PAGERDUTY,
        "Example alert on host1.example.com",
        Severity.CRITICAL,
        Intent.TRIGGER,
        "srv01/HTTP",
    )
    assert guide("pagerduty", "pagerduty-ack").intent == Intent.ACKNOWLEDGE
    assert guide("pagerduty", "pagerduty-recovery").intent == Intent.RESOLVE


def test_pagerduty_v1_events_are_read_too() -> None:
    """PagerDuty/API_Python_Examples: EVENTS_API_v2/trigger/trigger_with_incident_key.py and
    EVENTS_API_v2/ack/ack_incident.py (v1 bodies despite the folder's name)."""
    trigger = {
        "service_key": "",
        "incident_key": "srv01/HTTP",
        "event_type": "trigger",
        "description": "FAILURE for production/HTTP on machine srv01.acme.com",
        "client": "Sample Monitoring Service",
        "client_url": "https://monitoring.service.com",
        "details": {"ping time": "1500ms", "load avg": 0.75},
    }
    acknowledge = {
        "service_key": "",
        "incident_key": "srv01/HTTP",
        "event_type": "acknowledge",
        "description": "Andrew now working on the problem.",
        "details": {"work started": "2010-06-10 05:43"},
    }
    assert reading(parse_json(trigger))[1:] == (
        "FAILURE for production/HTTP on machine srv01.acme.com",
        Severity.CRITICAL,
        Intent.TRIGGER,
        "srv01/HTTP",
    )
    assert (parse_json(acknowledge).intent, parse_json(acknowledge).dedup_key) == (
        Intent.ACKNOWLEDGE,
        "srv01/HTTP",
    )


@pytest.mark.parametrize(
    ("severity", "level"),
    [("critical", Severity.CRITICAL), ("error", Severity.MAJOR), ("warning", Severity.MINOR),
     ("info", Severity.INFO), ("whatever", Severity.CRITICAL)],
)  # fmt: skip
def test_pagerduty_severities(severity: str, level: Severity) -> None:
    event = json.loads(body("pagerduty", "pagerduty-firing").raw)
    event["payload"]["severity"] = severity
    assert parse_json(event).severity == level


def test_a_cloudwatch_alarm_in_an_sns_envelope_is_named_by_its_arn() -> None:
    firing, recovery = guide("aws-sns", "sns-firing"), guide("aws-sns", "sns-recovery")
    key = "cloudwatch:arn:aws:cloudwatch:eu-west-1:123456789012:alarm:db1-cpu-high"
    assert reading(firing) == (
        Source.AWS_CLOUDWATCH,
        "db1-cpu-high is in alarm",
        Severity.CRITICAL,
        Intent.TRIGGER,
        key,
    )
    assert firing.message == "CPU above 90 percent on db1"
    assert (recovery.intent, recovery.dedup_key) == (Intent.RESOLVE, key)


def test_insufficient_data_keeps_paging_and_a_bare_alarm_reads_the_same() -> None:
    envelope = json.loads(body("aws-sns", "sns-firing").raw)
    alarm = json.loads(envelope["Message"])
    insufficient = parse_json({**alarm, "NewStateValue": "INSUFFICIENT_DATA"})
    assert (insufficient.intent, insufficient.severity) == (Intent.TRIGGER, Severity.MINOR)
    # Raw message delivery: the alarm without its envelope.
    assert parse_json(alarm).dedup_key == guide("aws-sns", "sns-firing").dedup_key


def test_other_sns_messages_read_their_subject_and_text() -> None:
    """https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html (the example)."""
    notification = {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
        "Subject": "My First Message",
        "Message": "Hello world!",
        "Timestamp": "2012-05-02T00:54:06.655Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEw6JRN...",
        "SigningCertURL": "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
        "UnsubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96",
    }
    parsed = parse_json(notification)
    assert (parsed.source, parsed.title, parsed.message, parsed.intent) == (
        Source.AWS_SNS,
        "My First Message",
        "Hello world!",
        Intent.TRIGGER,
    )
    recovered = parse_json({**notification, "Subject": "RESOLVED: My First Message"})
    assert recovered.intent == Intent.RESOLVE


def test_sns_housekeeping_pages_nobody() -> None:
    confirmation = guide("aws-sns", "sns-confirmation")
    assert confirmation.intent == Intent.SUBSCRIBE
    assert confirmation.confirm_url is not None
    assert confirmation.confirm_url.startswith("https://sns.eu-west-1.amazonaws.com/?Action=")
    assert guide("aws-sns", "sns-unsubscribe").intent == Intent.UNSUBSCRIBE


def test_azure_monitor_reads_the_common_schema() -> None:
    firing, recovery = (
        guide("azure-monitor", "azure-firing"),
        guide("azure-monitor", "azure-recovery"),
    )
    assert reading(firing)[:4] == (
        Source.AZURE_MONITOR,
        "WCUS-R2-Gen2",
        Severity.INFO,
        Intent.TRIGGER,
    )
    assert firing.dedup_key is not None
    assert firing.dedup_key.startswith("azure:/subscriptions/")
    assert (recovery.intent, recovery.dedup_key) == (Intent.RESOLVE, firing.dedup_key)


@pytest.mark.parametrize(
    ("severity", "level"),
    [("Sev0", Severity.CRITICAL), ("Sev1", Severity.MAJOR), ("Sev2", Severity.MINOR),
     ("Sev4", Severity.INFO), ("", Severity.CRITICAL)],
)  # fmt: skip
def test_azure_severities(severity: str, level: Severity) -> None:
    alert = json.loads(body("azure-monitor", "azure-firing").raw)
    alert["data"]["essentials"]["severity"] = severity
    assert parse_json(alert).severity == level


def test_google_cloud_incidents_open_and_close_by_their_id() -> None:
    firing = guide("google-cloud-monitoring", "google-cloud-firing")
    recovery = guide("google-cloud-monitoring", "google-cloud-recovery")
    assert reading(firing) == (
        Source.GOOGLE_CLOUD,
        "High CPU on appserver-1",
        Severity.CRITICAL,
        Intent.TRIGGER,
        "gcp:0.opqiw61fsv7p",
    )
    # The summary is read without its label set.
    assert firing.message == (
        "CPU usage for appserver-1 is above the threshold of 0.8 with a value of 0.93."
    )
    assert (recovery.intent, recovery.dedup_key) == (Intent.RESOLVE, firing.dedup_key)


def test_google_clouds_test_notification_pages() -> None:
    """The example payload of https://cloud.google.com/monitoring/support/notification-options
    #webhooks (a test notification: version "test", state OPEN, a policy resource path)."""
    test = {
        "version": "test",
        "incident": {
            "incident_id": "12345",
            "scoping_project_id": "12345",
            "scoping_project_number": 12345,
            "url": "http://www.example.com",
            "started_at": 0,
            "ended_at": 0,
            "state": "OPEN",
            "summary": "Test Incident",
            "resource_display_name": "Example Resource",
            "resource_name": "projects/12345/example_resources/12345",
            "policy_name": "projects/12345/alertPolicies/12345",
            "condition_name": "Example condition",
            "threshold_value": "0.5",
        },
    }
    parsed = parse_json(test)
    assert (parsed.title, parsed.intent) == (
        "Example condition on Example Resource",
        Intent.TRIGGER,
    )
    assert parse_json({**test, "incident": {**test["incident"], "state": "CLOSED"}}).intent == (
        Intent.RESOLVE
    )


def test_datadog_reads_transition_monitor_and_scope() -> None:
    firing, recovery = guide("datadog", "datadog-firing"), guide("datadog", "datadog-recovery")
    assert reading(firing) == (
        Source.DATADOG,
        "CPU high on web-1",
        Severity.CRITICAL,
        Intent.TRIGGER,
        "dd:1234:host:web-1",
    )
    assert (recovery.intent, recovery.dedup_key) == (Intent.RESOLVE, firing.dedup_key)
    default = guide("datadog", "datadog-default-firing")
    assert (default.title, default.intent, default.dedup_key) == (
        "CPU high on web-1",
        Intent.TRIGGER,
        "dd:1234:host:web-1",
    )
    assert "@webhook" not in default.message
    assert guide("datadog", "datadog-default-recovery").intent == Intent.RESOLVE


def test_one_datadog_monitor_alerting_for_two_hosts_is_two_alerts() -> None:
    event = json.loads(body("datadog", "datadog-firing").raw)
    other = {**event, "alert_scope": "host:web-2", "hostname": "web-2",
             "alert_title": "[Triggered on {host:web-2}] CPU high"}  # fmt: skip
    assert parse_json(other).dedup_key != parse_json(event).dedup_key
    assert parse_json(other).title == "CPU high on web-2"


@pytest.mark.parametrize(
    ("transition", "level", "intent"),
    [("Warn", Severity.MINOR, Intent.TRIGGER), ("No Data", Severity.MAJOR, Intent.TRIGGER),
     ("Re-Triggered", Severity.CRITICAL, Intent.TRIGGER), ("Recovered", Severity.RESOLVED,
     Intent.RESOLVE)],
)  # fmt: skip
def test_datadog_transitions(transition: str, level: Severity, intent: Intent) -> None:
    event = json.loads(body("datadog", "datadog-firing").raw)
    parsed = parse_json({**event, "alert_transition": transition})
    assert (parsed.severity, parsed.intent) == (level, intent)


def test_zabbix_problem_acknowledgement_and_recovery_share_the_event_id() -> None:
    firing = guide("zabbix", "zabbix-firing")
    assert reading(firing) == (
        Source.ZABBIX,
        "High CPU utilization on db1",
        Severity.MAJOR,
        Intent.TRIGGER,
        "zabbix:4210",
    )
    assert firing.message == "Current utilization: 97 %"
    assert guide("zabbix", "zabbix-ack").intent == Intent.ACKNOWLEDGE
    assert guide("zabbix", "zabbix-recovery").dedup_key == "zabbix:4210"


def test_zabbix_parameters_named_after_macros_or_zabbixs_own_media_types() -> None:
    """Parameter names from zabbix/zabbix templates/media/pagerduty/media_pagerduty.yaml
    (eventid, eventvalue, eventupdate, eventack, severity as {EVENT.NSEVERITY})."""
    pagerduty_style = {
        "eventid": "77",
        "eventname": "Zabbix agent is not available",
        "eventvalue": "1",
        "eventupdate": "0",
        "eventack": "No",
        "hostname": "web7",
        "severity": "5",
    }
    macro_style = {"EVENT.ID": "77", "EVENT.NAME": "Disk full", "EVENT.VALUE": "0",
                   "HOST.NAME": "web7"}  # fmt: skip
    parsed = parse_json(pagerduty_style)
    assert reading(parsed) == (
        Source.ZABBIX,
        "Zabbix agent is not available on web7",
        Severity.CRITICAL,
        Intent.TRIGGER,
        "zabbix:77",
    )
    assert (parse_json(macro_style).intent, parse_json(macro_style).dedup_key) == (
        Intent.RESOLVE,
        "zabbix:77",
    )
    # An update that is no acknowledgement (a comment) only repeats the problem.
    comment = {**pagerduty_style, "eventupdate": "1", "eventack": "No"}
    assert parse_json(comment).intent == Intent.TRIGGER


def test_new_relic_workflow_issues() -> None:
    firing = guide("new-relic", "new-relic-firing")
    assert reading(firing) == (
        Source.NEW_RELIC,
        "main_app-UBUNTU query result is > 2.0 for 1 minutes on 'High CPU'",
        Severity.CRITICAL,
        Intent.TRIGGER,
        "newrelic:95a9344a-2590-48ce-8d83-07e28b6d22c6",
    )
    assert guide("new-relic", "new-relic-ack").intent == Intent.ACKNOWLEDGE
    assert guide("new-relic", "new-relic-recovery").intent == Intent.RESOLVE


def test_new_relic_notification_channel_incidents() -> None:
    """The older channel's webhook, fields per docs.newrelic.com's "Customize your webhook
    payload" (current_state open, acknowledged or closed; incident_id)."""
    incident = {
        "account_id": "2941966",
        "condition_name": "Server Down",
        "current_state": "open",
        "details": "I am a test Violation",
        "event_type": "INCIDENT",
        "incident_id": 1234,
        "incident_url": "https://alerts.newrelic.com/accounts/2941966/incidents/1234",
        "policy_name": "New Relic Alert - Test Policy",
        "severity": "CRITICAL",
        "targets": [{"id": "12345", "name": "web-01", "type": "Server"}],
    }
    assert reading(parse_json(incident)) == (
        Source.NEW_RELIC,
        "Server Down on web-01",
        Severity.CRITICAL,
        Intent.TRIGGER,
        "newrelic-incident:1234",
    )
    acknowledged = parse_json({**incident, "current_state": "acknowledged"})
    closed = parse_json({**incident, "current_state": "closed"})
    assert (acknowledged.intent, closed.intent) == (Intent.ACKNOWLEDGE, Intent.RESOLVE)


def test_sentry_issue_alert_and_issue_webhooks_share_the_issue() -> None:
    firing, recovery = guide("sentry", "sentry-firing"), guide("sentry", "sentry-recovery")
    assert reading(firing) == (
        Source.SENTRY,
        "ReferenceError: heck is not defined",
        Severity.MAJOR,
        Intent.TRIGGER,
        "sentry:1117540176",
    )
    assert firing.message == "Very Important Alert Rule!"
    assert (recovery.intent, recovery.dedup_key) == (Intent.RESOLVE, "sentry:1117540176")
    issue = json.loads(body("sentry", "sentry-recovery").raw)
    actions = [("archived", Intent.ACKNOWLEDGE), ("assigned", Intent.TRIGGER),
               ("unresolved", Intent.TRIGGER), ("created", Intent.TRIGGER)]  # fmt: skip
    for action, intent in actions:
        assert parse_json({**issue, "action": action}).intent == intent, action


def test_sentry_metric_alerts() -> None:
    """getsentry/sentry-docs: docs/organization/integrations/integration-platform/webhooks/
    metric-alerts.mdx (the documented resolved payload)."""
    resolved = {
        "action": "resolved",
        "actor": {"id": "sentry", "name": "Sentry", "type": "application"},
        "data": {
            "description_text": "1000 events in the last 10 minutes\\nFilter: level:error",
            "description_title": "Resolved: Too many errors",
            "metric_alert": {
                "alert_rule": {"aggregate": "count()", "id": "7", "name": "Too many errors"},
                "id": "4",
                "identifier": "1",
                "status": 2,
                "title": "Sacred Marmot",
            },
            "web_url": "https://sentry.io/organizations/baz/alerts/1/",
        },
        "installation": {"uuid": "a8e5d37a-696c-4c54-adb5-b3f28d64c7de"},
    }
    critical_data = {**resolved["data"], "description_title": "Critical: Too many errors"}
    critical = {**resolved, "action": "critical", "data": critical_data}
    assert reading(parse_json(critical)) == (
        Source.SENTRY,
        "Too many errors",
        Severity.CRITICAL,
        Intent.TRIGGER,
        "sentry-metric:4",
    )
    assert parse_json(critical).message == "1000 events in the last 10 minutes. Filter: level:error"
    assert (parse_json(resolved).intent, parse_json(resolved).dedup_key) == (
        Intent.RESOLVE,
        "sentry-metric:4",
    )


def test_checkly_alert_types() -> None:
    firing, recovery = guide("checkly", "checkly-firing"), guide("checkly", "checkly-recovery")
    assert reading(firing) == (
        Source.CHECKLY,
        "Payment API failed",
        Severity.CRITICAL,
        Intent.TRIGGER,
        "checkly:0b5a4d0e-9b0c-4d6e-8e0f-6a2b1c3d4e5f",
    )
    assert firing.message == "Connection timeout after 5000ms"
    assert (recovery.intent, recovery.dedup_key) == (Intent.RESOLVE, firing.dedup_key)
    check = json.loads(body("checkly", "checkly-firing").raw)
    degraded = parse_json({**check, "alert_type": "ALERT_DEGRADED"})
    assert (degraded.title, degraded.severity) == ("Payment API is degraded", Severity.MINOR)
    certificate = parse_json({**check, "alert_type": "ALERT_SSL"})
    assert certificate.dedup_key != firing.dedup_key


def test_healthchecks_by_query_parameters_or_its_json() -> None:
    firing = guide("healthchecks", "healthchecks-firing")
    assert reading(firing) == (
        Source.HEALTHCHECKS,
        "Nightly backup is down",
        Severity.CRITICAL,
        Intent.TRIGGER,
        "hc:2f9d0c1e-8a7b-4c6d-9e5f-1a2b3c4d5e6f",
    )
    assert guide("healthchecks", "healthchecks-recovery").intent == Intent.RESOLVE
    # $JSON: Check.to_dict() in healthchecks/healthchecks hc/api/models.py.
    check_json = {
        "name": "Nightly backup",
        "slug": "nightly-backup",
        "tags": "backup prod",
        "desc": "Runs at 02:00",
        "grace": 3600,
        "n_pings": 411,
        "status": "down",
        "started": False,
        "last_ping": "2026-11-29T02:00:41+00:00",
        "next_ping": None,
        "manual_resume": False,
        "methods": "",
        "subject": "",
        "subject_fail": "",
        "start_kw": "",
        "success_kw": "",
        "failure_kw": "",
        "filter_subject": False,
        "filter_body": False,
        "ping_url": "https://hc-ping.com/2f9d0c1e-8a7b-4c6d-9e5f-1a2b3c4d5e6f",
        "update_url": "https://healthchecks.io/api/v3/checks/2f9d0c1e-8a7b-4c6d-9e5f-1a2b3c4d5e6f",
        "pause_url": "https://healthchecks.io/api/v3/checks/2f9d0c1e-8a7b-4c6d-9e5f-1a2b3c4d5e6f/pause",
        "resume_url": "https://healthchecks.io/api/v3/checks/2f9d0c1e-8a7b-4c6d-9e5f-1a2b3c4d5e6f/resume",
        "channels": "",
        "timeout": 86400,
    }
    parsed = parse_json(check_json)
    assert (parsed.source, parsed.title, parsed.dedup_key, parsed.message) == (
        Source.HEALTHCHECKS,
        "Nightly backup is down",
        firing.dedup_key,
        "Runs at 02:00",
    )


def test_netdata_alerts_clear_by_severity_and_nodes_by_reachability() -> None:
    firing, recovery = guide("netdata", "netdata-firing"), guide("netdata", "netdata-recovery")
    assert reading(firing) == (
        Source.NETDATA,
        "10min cpu usage is critical",
        Severity.CRITICAL,
        Intent.TRIGGER,
        "netdata:production:system.cpu:10min_cpu_usage",
    )
    assert (recovery.intent, recovery.dedup_key) == (Intent.RESOLVE, firing.dedup_key)
    # Reachability, per the table of Netdata's webhook documentation.
    unreachable = {
        "message": "web-01 is unreachable",
        "url": "https://app.netdata.cloud/spaces/production/nodes/web-01",
        "host": "web-01",
        "severity": "critical",
        "status": {"reachable": False, "text": "unreachable"},
    }
    reachable = {
        **unreachable,
        "severity": "info",
        "status": {"reachable": True, "text": "reachable"},
    }
    assert (parse_json(unreachable).title, parse_json(unreachable).intent) == (
        "web-01 is unreachable",
        Intent.TRIGGER,
    )
    assert parse_json(reachable).intent == Intent.RESOLVE
    assert parse_json(reachable).dedup_key == parse_json(unreachable).dedup_key


def test_nagios_notifications() -> None:
    firing = guide("nagios", "nagios-firing")
    assert reading(firing) == (
        Source.NAGIOS,
        "HTTP on db1 is CRITICAL",
        Severity.CRITICAL,
        Intent.TRIGGER,
        "nagios:db1:HTTP",
    )
    assert guide("nagios", "nagios-ack").intent == Intent.ACKNOWLEDGE
    assert guide("nagios", "nagios-recovery").intent == Intent.RESOLVE


@pytest.mark.parametrize(
    ("notification_type", "state", "intent"),
    [("DOWNTIMESTART", "CRITICAL", Intent.ACKNOWLEDGE), ("DOWNTIMEEND", "CRITICAL",
     Intent.TRIGGER), ("DOWNTIMEEND", "OK", Intent.RESOLVE), ("FLAPPINGSTART", "WARNING",
     Intent.TRIGGER), ("FLAPPINGSTOP", "OK", Intent.RESOLVE), ("CUSTOM", "OK", Intent.TRIGGER)],
)  # fmt: skip
def test_nagios_downtime_and_flapping(notification_type: str, state: str, intent: Intent) -> None:
    parsed = parse_alert(
        body=f"NOTIFICATIONTYPE={notification_type}&HOSTNAME=db1&SERVICEDESC=HTTP"
        f"&SERVICESTATE={state}".encode(),
        content_type="application/x-www-form-urlencoded",
        query=[],
    )
    assert parsed.intent == intent


def test_icinga_host_notifications_in_lower_case() -> None:
    """Icinga 2's notification scripts name the same values in lower case
    (https://icinga.com/docs/icinga-2/latest/doc/03-monitoring-basics/#notification-commands)."""
    parsed = parse_json({"notificationtype": "Problem", "hostname": "db1", "hoststate": "DOWN",
                         "hostoutput": "PING CRITICAL - Packet loss = 100%"})  # fmt: skip
    assert reading(parsed) == (
        Source.NAGIOS,
        "Host db1 is DOWN",
        Severity.CRITICAL,
        Intent.TRIGGER,
        "nagios:db1",
    )


def test_uptime_kumas_get_method_reads_like_its_post() -> None:
    down, up = guide("uptime-kuma", "kuma-get-down"), guide("uptime-kuma", "kuma-get-up")
    posted = guide("uptime-kuma", "kuma-down")
    assert reading(down) == reading(posted)
    assert down.message == "timeout of 48000ms exceeded"
    assert (up.intent, up.dedup_key) == (Intent.RESOLVE, "kuma:7")


def test_pagerduty_names_the_source_only_when_it_is_a_host() -> None:
    event = json.loads(body("pagerduty", "pagerduty-firing").raw)
    event["payload"] |= {"summary": "Disk full", "source": "db1.example.com"}
    assert parse_json(event).title == "Disk full on db1.example.com"
    event["payload"]["source"] = "monitoringtool:cloudvendor:dc-01:852559987:cluster/api-003"
    assert parse_json(event).title == "Disk full"


def test_azure_names_the_resource_when_the_rule_does_not() -> None:
    alert = json.loads(body("azure-monitor", "azure-firing").raw)
    alert["data"]["essentials"] |= {"alertRule": "CPU high", "configurationItems": ["vm-web-1"]}
    assert parse_json(alert).title == "CPU high on vm-web-1"
