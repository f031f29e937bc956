"""A handoff text is one SMS segment whatever the schedule is called, and keeps its instant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tocsin.messages import sms
from tocsin.messages.handoff_texts import HandoffWord, handoff_text

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_the_words_of_a_handoff_text() -> None:
    assert handoff_text(
        word=HandoffWord.ON, schedule_name="Platform primary", at=AT, timezone="Europe/London"
    ) == (
        "Tocsin: you are on call for Platform primary from Mon 7 Dec 09:00 (Europe/London). "
        "Reply STOP to opt out."
    )


@pytest.mark.parametrize("word", list(HandoffWord))
@pytest.mark.parametrize("name", ["x" * 200, "Équipe plateforme 🚨 " * 10, "   "])
def test_a_long_name_is_cut_to_one_segment(word: HandoffWord, name: str) -> None:
    text = handoff_text(word=word, schedule_name=name, at=AT, timezone="America/New_York")
    assert sms.segments(text) == 1
    assert "Mon 7 Dec 04:00 (America/New_York)" in text
    assert text.endswith(sms.OPT_OUT_LINE)
