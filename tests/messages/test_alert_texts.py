"""What a member's text and e-mail about an alert say: one SMS segment, whatever the title."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.messages import sms
from tocsin.messages.alert_texts import alert_mail, alert_reference, alert_text

ALERT_ID = "al_01jdx3k9v2q8m4n6p0r5s7t9wz"


def test_a_short_title_is_said_whole() -> None:
    assert alert_text(severity="critical", title="Disk full on db1", alert_id=ALERT_ID) == (
        "Tocsin CRITICAL: Disk full on db1 (alert 01jdx3k9). Reply STOP to opt out."
    )


def test_the_reference_is_the_start_of_the_ids_body() -> None:
    assert alert_reference(ALERT_ID) == "01jdx3k9"
    assert ALERT_ID.endswith(alert_reference(ALERT_ID) + ALERT_ID[11:])


def test_a_long_title_is_cut_at_a_word_to_160_gsm7_characters() -> None:
    title = "Replication lag on the primary database cluster " * 5
    text = alert_text(severity="major", title=title, alert_id=ALERT_ID)
    assert len(text) <= sms.GSM7_SINGLE
    assert sms.segments(text) == 1
    assert text.startswith("Tocsin MAJOR: Replication lag on the primary")
    assert text.endswith("... (alert 01jdx3k9). Reply STOP to opt out.")
    assert "...." not in text
    assert " ..." not in text


def test_a_title_outside_gsm7_is_cut_to_the_ucs2_limit() -> None:
    title = "Диск заполнен на сервере базы данных номер один"
    text = alert_text(severity="critical", title=title, alert_id=ALERT_ID)
    assert not sms.is_gsm7(text)
    assert len(text) <= sms.UCS2_SINGLE
    assert "…" in text
    assert text.endswith(f"(alert 01jdx3k9). {sms.OPT_OUT_LINE}")


def test_line_breaks_and_runs_of_spaces_become_one_space() -> None:
    text = alert_text(severity="info", title="  a\n\nb\t c ", alert_id=ALERT_ID)
    assert text == "Tocsin INFO: a b c (alert 01jdx3k9). Reply STOP to opt out."
    assert "(no title)" in alert_text(severity="info", title=" ", alert_id=ALERT_ID)


@given(st.text(max_size=400), st.sampled_from(["critical", "major", "minor", "info"]))
def test_every_text_is_one_segment_and_ends_with_the_opt_out_line(
    title: str, severity: str
) -> None:
    text = alert_text(severity=severity, title=title, alert_id=ALERT_ID)
    assert sms.segments(text) == 1
    assert text.endswith(sms.OPT_OUT_LINE)
    assert f"Tocsin {severity.upper()}: " in text


@pytest.mark.parametrize("message", ["", "Disk full on db1"])
def test_the_mail_gives_title_severity_and_link(message: str) -> None:
    words = alert_mail(
        severity="critical",
        title="Disk full on db1",
        message=message,
        endpoint="Prometheus",
        alert_id=ALERT_ID,
        alert_url="https://tocsin.example/o/org_1/alerts/" + ALERT_ID,
    )
    assert words.subject == "[Tocsin CRITICAL] Disk full on db1"
    assert words.paragraphs[0] == "CRITICAL alert from Prometheus: Disk full on db1"
    # The message is said only when it adds to the title.
    assert len(words.paragraphs) == 2
    assert words.link_url.endswith("/alerts/" + ALERT_ID)
