"""What a member's text about a handoff says: one SMS segment, always, ending with the opt-out
line, e.g. `Tocsin: you are on call for Platform primary from Mon 7 Dec 09:00 (Europe/London).
Reply STOP to opt out.` The schedule's name is cut (with an ellipsis) when the whole would not
fit one segment, and loses characters outside GSM-7 first (the frame leaves no room for a UCS-2
text); the instant and its zone are never cut, since they are the news."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from tocsin.messages import sms

ELLIPSIS_GSM = "..."


class HandoffWord(StrEnum):
    """What the member is told: going on, going off, or that one of those no longer holds."""

    ON = "on"
    OFF = "off"
    NO_LONGER_ON = "no_longer_on"
    NO_LONGER_OFF = "no_longer_off"


_PHRASES = {
    HandoffWord.ON: "you are on call for {name} from {when}.",
    HandoffWord.OFF: "you go off call for {name} at {when}.",
    HandoffWord.NO_LONGER_ON: "change: you no longer go on call for {name} at {when}.",
    HandoffWord.NO_LONGER_OFF: "change: you stay on call for {name} past {when}.",
}


def when_words(at: datetime, timezone: str) -> str:
    """`Mon 7 Dec 09:00 (Europe/London)`: the local time, in the schedule's zone."""
    local = at.astimezone(ZoneInfo(timezone))
    return f"{local:%a} {local.day} {local:%b %H:%M} ({timezone})"


def _frame(word: HandoffWord, name: str, when: str) -> str:
    return sms.with_opt_out_line("Tocsin: " + _PHRASES[word].format(name=name, when=when))


def handoff_text(*, word: HandoffWord, schedule_name: str, at: datetime, timezone: str) -> str:
    """The text, one segment long (see the module docstring)."""
    name = " ".join(schedule_name.split()) or "a schedule"
    when = when_words(at, timezone)
    whole = _frame(word, name, when)
    if sms.segments(whole) == 1:
        return whole
    # The frame alone is longer than a UCS-2 segment (70): a name with an emoji or another
    # script loses those characters rather than the text splitting in two.
    name = " ".join("".join(ch for ch in name if sms.is_gsm7(ch)).split()) or "a schedule"
    whole = _frame(word, name, when)
    if sms.segments(whole) == 1:
        return whole
    ellipsis = ELLIPSIS_GSM
    for length in range(len(name) - 1, 0, -1):
        cut = _frame(word, name[:length].rstrip() + ellipsis, when)
        if sms.segments(cut) == 1:
            return cut
    return _frame(word, ellipsis, when)
