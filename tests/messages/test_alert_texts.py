"""What a member's text and e-mail about an alert say: how to answer and how to opt out, in one
SMS segment (two in UCS-2), whatever the title.

The opt-out line is on every text: the CTIA's Messaging Principles and Best Practices (May
2023, section 5.1.3, "Consumer opt-out") expect opt-out by replying STOP and its confirmation
(a copy: https://signalmash.com/2023/12/28/ctia-messaging-principles-best-practices-handbook),
and in the UK an opt-out in every message is what PECR asks of marketing texts and what senders
keep for service texts too (https://yerman.uk/guide/uk-sms-marketing-compliance-checklist-pecr/).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.messages import sms
from tocsin.messages.alert_texts import ANSWER_LINE, alert_mail, alert_reference, alert_text

ALERT_ID = "al_01jdx3k9v2q8m4n6p0r5s7t9wz"
TAIL = f"{ANSWER_LINE} {sms.OPT_OUT_LINE}"


def test_a_short_title_is_said_whole_with_how_to_answer_and_opt_out() -> None:
    assert alert_text(severity="critical", title="Disk full on db1", reference="K3") == (
        "Tocsin CRITICAL #K3: Disk full on db1. Reply 1 to acknowledge, 2 to resolve. "
        "Reply STOP to opt out."
    )


def test_a_title_ending_a_sentence_gets_no_second_full_stop() -> None:
    text = alert_text(severity="minor", title="Is db1 down?", reference="K3")
    assert text.startswith("Tocsin MINOR #K3: Is db1 down? Reply 1")


def test_the_mails_reference_is_the_start_of_the_ids_body() -> None:
    assert alert_reference(ALERT_ID) == "01jdx3k9"
    assert ALERT_ID.endswith(alert_reference(ALERT_ID) + ALERT_ID[11:])


def test_a_long_title_is_cut_at_a_word_to_160_gsm7_characters() -> None:
    title = "Replication lag on the primary database cluster " * 5
    text = alert_text(severity="major", title=title, reference="K33")
    assert len(text) <= sms.GSM7_SINGLE
    assert sms.segments(text) == 1
    assert text.startswith("Tocsin MAJOR #K33: Replication lag on the primary")
    assert text.endswith(f"... {TAIL}")
    assert "...." not in text
    assert " ..." not in text


def test_a_title_outside_gsm7_is_cut_to_two_ucs2_segments() -> None:
    """The answer and opt-out lines alone take most of a 70-unit segment."""
    title = "Диск заполнен на сервере базы данных номер один, и второй тоже, и третий"
    text = alert_text(severity="critical", title=title, reference="K3")
    assert not sms.is_gsm7(text)
    assert sms.segments(text) == 2
    assert "…" in text
    assert text.endswith(f"… {TAIL}")


def test_line_breaks_and_runs_of_spaces_become_one_space() -> None:
    text = alert_text(severity="info", title="  a\n\nb\t c ", reference="K3")
    assert text == f"Tocsin INFO #K3: a b c. {TAIL}"
    assert "(no title)" in alert_text(severity="info", title=" ", reference="K3")


@given(st.text(max_size=400), st.sampled_from(["critical", "major", "minor", "info"]))
def test_every_text_says_how_to_answer_and_to_opt_out_in_one_gsm7_or_two_ucs2_segments(
    title: str, severity: str
) -> None:
    text = alert_text(severity=severity, title=title, reference="Z99")
    assert sms.segments(text) <= (1 if sms.is_gsm7(text) else 2)
    assert text.endswith(TAIL)
    assert text.startswith(f"Tocsin {severity.upper()} #Z99: ")


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
