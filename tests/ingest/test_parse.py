"""Parsing what monitoring systems send: every body shape ends as one normalised alert."""

from __future__ import annotations

import json

import pytest

from tocsin.errors import InvalidInput
from tocsin.ingest.parse import dedup_key_for, parse_alert
from tocsin.ingest.severity import Severity, normalise_severity, severity_of


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


def test_object_without_known_fields_is_summarised_not_lost() -> None:
    alert = parse_alert(
        body=b'{"host": "db1", "load": 31}', content_type="application/json", query=[]
    )
    assert "db1" in alert.title
    assert alert.payload == {"host": "db1", "load": 31}


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


def test_first_severity_field_in_order_wins() -> None:
    assert severity_of({"alert_level": "info", "status": "resolved"}) == Severity.RESOLVED
    assert severity_of({"level": "warning", "alertLevel": "critical"}) == Severity.MINOR
    assert severity_of({"alertLevel": "warning"}) == Severity.MINOR
    assert severity_of({}) == Severity.CRITICAL
