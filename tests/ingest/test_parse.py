"""Parsing what monitoring systems send: every body shape ends as one normalised alert."""

from __future__ import annotations

import json

import pytest

from tocsin.core.errors import InvalidInput
from tocsin.formats.intent import Intent
from tocsin.formats.parse import dedup_key_for, parse_alert
from tocsin.formats.severity import Severity, normalise_severity, severity_of


def test_json_object_fields_become_title_message_and_severity() -> None:
    alert = parse_alert(
        body=json.dumps(
            {"title": "DB down", "message": "primary unreachable", "severity": "warning"}
        ).encode(),
        content_type="application/json",
        query=[],
    )
    assert (alert.title, alert.message, alert.severity) == (
        "DB down",
        "primary unreachable",
        Severity.MINOR,
    )
    assert alert.content_type == "json"


def test_unparseable_json_becomes_the_message() -> None:
    alert = parse_alert(body=b'{"title": "broken', content_type="application/json", query=[])
    assert alert.content_type == "text"
    assert alert.message == '{"title": "broken'
    assert alert.severity == Severity.CRITICAL


def test_form_encoded_body_is_read_as_fields() -> None:
    alert = parse_alert(
        body=b"title=Backup+failed&level=error",
        content_type="application/x-www-form-urlencoded",
        query=[],
    )
    assert (alert.title, alert.severity) == ("Backup failed", Severity.MAJOR)


def test_query_string_alone_is_an_alert() -> None:
    alert = parse_alert(
        body=b"", content_type="", query=[("title", "cron failed"), ("priority", "1")]
    )
    assert (alert.title, alert.severity) == ("cron failed", Severity.CRITICAL)


def test_raw_text_first_line_is_the_title() -> None:
    alert = parse_alert(
        body=b"Nightly job failed\nexit code 2", content_type="text/plain", query=[]
    )
    assert alert.title == "Nightly job failed"
    assert alert.message == "Nightly job failed\nexit code 2"


def test_body_fields_override_query_fields() -> None:
    alert = parse_alert(
        body=b'{"severity": "info", "title": "t"}',
        content_type="application/json",
        query=[("severity", "critical")],
    )
    assert alert.severity == Severity.INFO


def test_json_array_reads_its_first_object() -> None:
    alert = parse_alert(
        body=b'[{"summary": "first", "status": "resolved"}, {"summary": "x"}]',
        content_type="application/json",
        query=[],
    )
    assert (alert.title, alert.severity) == ("first", Severity.RESOLVED)


def test_empty_alert_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_alert(body=b"  ", content_type="application/json", query=[])
    assert caught.value.code == "empty_alert"


def test_object_without_known_fields_is_described_in_words_not_lost() -> None:
    alert = parse_alert(
        body=b'{"host": "db1", "load": 31}', content_type="application/json", query=[]
    )
    assert (alert.title, alert.message) == ("Alert from db1", "Load 31.")
    assert alert.payload == {"host": "db1", "load": 31}


def test_an_envelope_is_never_read_aloud_as_json() -> None:
    """A body no sender claims and no title field names: the words of its fields stand in, and
    a title one level down is found."""
    envelope = {"id": 7, "data": {"subject": "Queue stalled", "detail": {"depth": 10400}}}
    alert = parse_alert(
        body=json.dumps(envelope).encode(), content_type="application/json", query=[]
    )
    assert alert.title == "Queue stalled"
    untitled = parse_alert(
        body=b'{"id": 7, "payload": {"depth": 10400}}', content_type="application/json", query=[]
    )
    assert (untitled.title, untitled.message) == ("Untitled alert", "Id 7.")
    # JSON sent as the text of a field is read for its fields, never read out.
    wrapped = {"Subject": "", "Message": json.dumps({"title": "Disk full", "host": "db1"})}
    unwrapped = parse_alert(body=json.dumps(wrapped).encode(), content_type="", query=[])
    assert (unwrapped.title, unwrapped.message) == ("Disk full", "")
    listed = parse_alert(body=b"[3, 4, 5]", content_type="application/json", query=[])
    assert (listed.title, listed.message) == ("Untitled alert", "3, 4, 5.")


def test_invalid_utf8_is_replaced_not_rejected() -> None:
    alert = parse_alert(body=b"disk \xff full", content_type="text/plain", query=[])
    assert alert.title == "disk \ufffd full"


def test_overlong_dedup_key_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_alert(
            body=json.dumps({"title": "t", "dedup_key": "k" * 201}).encode(),
            content_type="application/json",
            query=[],
        )
    assert caught.value.code == "invalid_dedup_key"


def test_long_title_is_truncated() -> None:
    alert = parse_alert(
        body=json.dumps({"title": "x" * 5000}).encode(), content_type="application/json", query=[]
    )
    assert len(alert.title) == 300


def test_dedup_key_explicit_or_hash_of_endpoint_and_title() -> None:
    explicit = parse_alert(
        body=b'{"title": "a", "dedup_key": "k1"}', content_type="application/json", query=[]
    )
    assert dedup_key_for("ep_1", explicit) == "k1"
    plain = parse_alert(body=b'{"title": "Disk  Full"}', content_type="application/json", query=[])
    same = parse_alert(body=b'{"title": "disk full"}', content_type="application/json", query=[])
    assert dedup_key_for("ep_1", plain) == dedup_key_for("ep_1", same)
    assert dedup_key_for("ep_1", plain) != dedup_key_for("ep_2", plain)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("CRITICAL", Severity.CRITICAL),
        ("firing", Severity.CRITICAL),
        ("error", Severity.MAJOR),
        ("high", Severity.MAJOR),
        ("warning", Severity.MINOR),
        ("info", Severity.INFO),
        ("ok", Severity.RESOLVED),
        ("resolved", Severity.RESOLVED),
        ("up", Severity.RESOLVED),
        (1, Severity.CRITICAL),
        ("2", Severity.MAJOR),
        (3, Severity.MINOR),
        (5, Severity.INFO),
        ("something odd", Severity.CRITICAL),
        (True, Severity.CRITICAL),
        (None, Severity.CRITICAL),
    ],
)
def test_severity_spellings_normalise(value: object, expected: Severity) -> None:
    assert normalise_severity(value) == expected


def test_the_first_field_that_names_a_level_gives_the_severity() -> None:
    assert severity_of({"level": "warning", "alertLevel": "critical"}) == Severity.MINOR
    assert severity_of({"alertLevel": "warning"}) == Severity.MINOR
    assert severity_of({"Severity": "info"}) == Severity.INFO
    assert severity_of({}) == Severity.CRITICAL
    # A word that says a problem ended names no level: the next field is asked, and with none
    # left the alert pages as critical.
    assert severity_of({"alert_level": "info", "status": "resolved"}) == Severity.INFO
    assert severity_of({"priority": "normal", "alert_type": "error"}) == Severity.MAJOR
    assert severity_of({"priority": "normal"}) == Severity.CRITICAL


def test_field_names_are_read_in_any_case() -> None:
    """Amazon SNS writes `Subject` and `Message`; many tools capitalise their fields."""
    alert = parse_alert(
        body=b'{"Subject": "Disk full on db1", "Message": "/var at 97%", "Severity": "warning",'
        b' "Dedup_Key": "db1-var"}',
        content_type="application/json",
        query=[],
    )
    assert (alert.title, alert.message, alert.severity, alert.dedup_key) == (
        "Disk full on db1",
        "/var at 97%",
        Severity.MINOR,
        "db1-var",
    )
    status = parse_alert(body=b'{"Title": "t", "STATUS": "Resolved"}', content_type="", query=[])
    assert status.intent == Intent.RESOLVE


def test_priority_normal_pages_it_is_no_recovery() -> None:
    """Datadog's `$PRIORITY` is "normal" or "low" on every event
    (https://docs.datadoghq.com/integrations/webhooks/#variables)."""
    body = {
        "title": "Disk full on db1",
        "text": "/var is 97% full",
        "priority": "normal",
        "alert_type": "error",
        "tags": "host:db1",
    }
    alert = parse_alert(body=json.dumps(body).encode(), content_type="application/json", query=[])
    assert (alert.intent, alert.severity) == (Intent.TRIGGER, Severity.MAJOR)


@pytest.mark.parametrize(
    "fields",
    [
        {"severity": "ok"},
        {"severity": "resolved"},
        {"level": "ok"},
        {"priority": "normal"},
        {"priority": "low"},
        {"alert_type": "success"},
    ],
)
def test_levels_never_resolve(fields: dict[str, str]) -> None:
    alert = parse_alert(
        body=json.dumps({"title": "Disk full", **fields}).encode(),
        content_type="application/json",
        query=[],
    )
    assert alert.intent == Intent.TRIGGER
    assert alert.severity != Severity.RESOLVED


@pytest.mark.parametrize(
    ("fields", "intent"),
    [
        ({"status": "resolved"}, Intent.RESOLVE),
        ({"state": "OK"}, Intent.RESOLVE),
        ({"event_action": "resolve"}, Intent.RESOLVE),
        ({"monitorCondition": "Resolved"}, Intent.RESOLVE),
        ({"alert_transition": "Recovered"}, Intent.RESOLVE),
        ({"NOTIFICATIONTYPE": "RECOVERY"}, Intent.RESOLVE),
        ({"status": "acknowledged"}, Intent.ACKNOWLEDGE),
        ({"state": "ack"}, Intent.ACKNOWLEDGE),
        ({"status": "firing"}, Intent.TRIGGER),
        ({"status": "critical", "severity": "ok"}, Intent.TRIGGER),
        # The first status-like field decides.
        ({"status": "firing", "state": "ok"}, Intent.TRIGGER),
    ],
)
def test_status_like_fields_resolve_and_acknowledge(fields: dict[str, str], intent: Intent) -> None:
    alert = parse_alert(
        body=json.dumps({"title": "Disk full", **fields}).encode(),
        content_type="application/json",
        query=[],
    )
    assert alert.intent == intent


def test_a_title_marked_as_a_recovery_resolves_when_no_field_says_otherwise() -> None:
    text = parse_alert(body=b"RESOLVED: Disk full on db1\n/var at 61%", content_type="", query=[])
    assert text.intent == Intent.RESOLVE
    stated = parse_alert(
        body=b'{"title": "[RESOLVED] Disk full", "status": "firing"}', content_type="", query=[]
    )
    assert stated.intent == Intent.TRIGGER
    # "is up" is a problem when it is the error rate that is up.
    assert parse_alert(body=b"Error rate is up", content_type="", query=[]).intent == (
        Intent.TRIGGER
    )


def test_the_same_title_on_two_hosts_is_two_incidents() -> None:
    def key(body: dict[str, str]) -> str:
        return dedup_key_for(
            "ep_1",
            parse_alert(body=json.dumps(body).encode(), content_type="application/json", query=[]),
        )

    on_a, on_b = (
        key({"title": "Disk full", "host": "db1"}),
        key({"title": "Disk full", "host": "db2"}),
    )
    assert on_a != on_b
    assert key({"title": "Disk full", "Host": "DB1"}) == on_a
    assert key({"title": "Disk full", "instance": "db1"}) == on_a
    # Without a host the key is what it always was.
    assert key({"title": "Disk full"}) == dedup_key_for(
        "ep_1", parse_alert(body=b"Disk full", content_type="text/plain", query=[])
    )


@pytest.mark.parametrize(
    "recovery",
    [
        "RECOVERED: Disk full on db1",
        "[Resolved] Disk full on db1",
        "Resolved - Disk full on db1",
        "OK: disk full on db1",
        "Disk full on db1 has recovered",
        "Disk full on db1 is back to normal",
    ],
)
def test_a_recovery_whose_title_only_adds_a_marker_names_the_same_incident(recovery: str) -> None:
    def key(title: str) -> str:
        return dedup_key_for("ep_1", parse_alert(body=title.encode(), content_type="", query=[]))

    assert key(recovery) == key("Disk full on db1") == key("[FIRING] Disk full on db1")


def test_a_severity_of_digits_that_are_not_decimal_pages_rather_than_crashing() -> None:
    """hypothesis found it through the spoken-title test: '²' is a digit to str.isdigit() but
    not a number to int(), and the webhook answered 500. Superscripts and other non-decimal
    digits are words we do not know, so they page; decimal digits of any script are numbers."""
    assert normalise_severity("²") == Severity.CRITICAL
    assert normalise_severity("①") == Severity.CRITICAL
    assert normalise_severity("\uff13") == Severity.MINOR  # a full-width 3
