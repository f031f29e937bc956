"""What Tocsin's texts say and what a text to Tocsin asks for (issue 16, finding 8: no "Reply
STOP" line, no STOP/HELP handling)."""

from __future__ import annotations

import pytest

from tocsin.messages import sms
from tocsin.messages.sms import Keyword
from tocsin.numbers.code_delivery import CodeMessage
from tocsin.numbers.verification import Purpose
from tocsin.telephony.prompts import LANGUAGES, prompts_for

# An opt-out URL of 60 characters, the longest with which every reply stays one segment
# (docs/trust.md says so to operators).
LONG_URL = "https://alerts.operations.long-operator-name.example/opt-out"


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ("STOP", "STOP"),
        ("  stop\n", "STOP"),
        ("StopAll", "STOPALL"),
        ("unsubscribe", "UNSUBSCRIBE"),
        ("Cancel", "CANCEL"),
        ("end", "END"),
        ("QUIT ", "QUIT"),
        ("help", "HELP"),
        ("Info", "INFO"),
        ("start", "START"),
        ("UNSTOP", "UNSTOP"),
    ],
)
def test_a_whole_message_trimmed_in_any_case_is_a_keyword(body: str, word: str) -> None:
    assert sms.keyword_of(body) == word


@pytest.mark.parametrize(
    "body", ["Stop calling me", "STOP.", "please stop", "", "S T O P", "stop all", "helpme"]
)
def test_anything_but_the_whole_message_is_no_keyword(body: str) -> None:
    assert sms.keyword_of(body) is None


def test_every_keyword_asks_for_one_of_three_things() -> None:
    asks = {word: keyword.value for word, keyword in sms.KEYWORDS.items()}
    assert asks == {
        "STOP": "stop",
        "STOPALL": "stop",
        "UNSUBSCRIBE": "stop",
        "CANCEL": "stop",
        "END": "stop",
        "QUIT": "stop",
        "HELP": "help",
        "INFO": "help",
        "START": "start",
        "UNSTOP": "start",
    }
    assert set(Keyword) == {Keyword.STOP, Keyword.HELP, Keyword.START}


def test_segments_count_as_carriers_do() -> None:
    assert sms.segments("a" * 160) == 1
    assert sms.segments("a" * 161) == 2
    assert sms.segments("a" * 306) == 2
    assert sms.segments("a" * 307) == 3
    # The extension table's characters take two septets.
    assert sms.segments("€" * 80) == 1
    assert sms.segments("€" * 81) == 2
    # Anything outside GSM-7 sends the whole text as UCS-2.
    assert sms.segments("ж" * 70) == 1
    assert sms.segments("a" * 69 + "ж") == 1
    assert sms.segments("a" * 70 + "ж") == 2


def test_the_opt_out_line_is_added_once() -> None:
    assert sms.with_opt_out_line("Hello.") == "Hello. Reply STOP to opt out."
    assert sms.with_opt_out_line("Hello. Reply STOP to opt out.") == (
        "Hello. Reply STOP to opt out."
    )


def test_every_code_text_ends_with_the_stop_line_in_one_gsm7_segment() -> None:
    """Issue 16, finding 8: a sent code text lacked the "Reply STOP" line."""
    # The longest name a code may say (tocsin.messages.org_names); a longer one is not said.
    for org_name in ("A" * 40, "A" * 200):
        for purpose in Purpose:
            text = CodeMessage(purpose, "123456", org_name, LONG_URL).text()
            assert text.endswith(sms.OPT_OUT_LINE), text
            assert sms.is_gsm7(text)
            assert sms.segments(text) == 1, (len(text), text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_code_text_in_any_language_ends_with_its_stop_line_in_at_most_three_segments(
    language: str,
) -> None:
    """English texts stay one segment (above); French, German and Italian fit GSM-7 in two;
    Spanish, Portuguese, Polish and Ukrainian have letters outside it, so go as UCS-2 (67
    characters a segment), three at most with the longest name a code may say."""
    line = prompts_for(language).codes.opt_out_line
    for org_name in ("A" * 40, "A" * 200, None):
        for purpose in Purpose:
            text = CodeMessage(purpose, "123456", org_name, LONG_URL, language).text()
            assert text.endswith(f" {line}"), text
            assert "123456" in text
            assert sms.segments(text) <= (2 if sms.is_gsm7(text) else 3), (len(text), text)
    if language in ("fr", "de", "it"):
        assert sms.is_gsm7(
            CodeMessage(Purpose.CONSENT, "123456", "A" * 40, LONG_URL, language).text()
        )


def test_the_opt_out_line_is_said_in_the_texts_language_and_added_once() -> None:
    spanish = "Hola. Responda STOP para darse de baja."
    assert sms.with_opt_out_line("Hola.", "es") == spanish
    assert sms.with_opt_out_line(spanish, "es") == spanish


def test_the_fixed_replies_are_one_segment_and_all_but_the_stop_confirmation_say_how_to_stop() -> (
    None
):
    help_text = sms.help_text(LONG_URL)
    assert LONG_URL in help_text
    assert "Tocsin" in help_text
    stops = (sms.stop_confirmation(), sms.stop_confirmation(platform=False))
    for text in (help_text, sms.start_confirmation(), *stops):
        assert sms.is_gsm7(text)
        assert sms.segments(text) == 1, (len(text), text)
    assert help_text.endswith(sms.OPT_OUT_LINE)
    assert sms.start_confirmation().endswith(sms.OPT_OUT_LINE)
    # The number has just stopped: it is told how to start again instead.
    for stop in stops:
        assert "START" in stop
        assert sms.OPT_OUT_LINE not in stop
