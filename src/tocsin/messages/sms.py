"""What Tocsin's texts say, and what a text sent to Tocsin asks for.

Every text Tocsin sends ends with the opt-out instruction, `OPT_OUT_LINE`, added in one place
(`with_opt_out_line`; a verification code's text says it in the code's language, naming the
same English keyword); the one exception is the confirmation of a STOP, which tells how to start
again instead. A text sent to one of Tocsin's numbers is a keyword only when the whole message,
trimmed and in any case, is one of the words the SMS programme rules name (`keyword_of`):
"Stop calling me" is not a STOP.

Lengths are counted as carriers count them (`segments`): one GSM-7 segment holds 160 characters
(the characters of the extension table count twice), a concatenated one 153; a text with any
other character goes as UCS-2, 70 characters alone or 67 per concatenated segment.
"""

from __future__ import annotations

import math
from enum import StrEnum

from tocsin.telephony.prompts import DEFAULT_LANGUAGE, ENGLISH, prompts_for

OPT_OUT_LINE = ENGLISH.codes.opt_out_line

# GSM 03.38: the default alphabet, and the extension table reached by an escape.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


class Keyword(StrEnum):
    """What a keyword asks for."""

    STOP = "stop"
    HELP = "help"
    START = "start"


KEYWORDS: dict[str, Keyword] = {
    "STOP": Keyword.STOP,
    "STOPALL": Keyword.STOP,
    "UNSUBSCRIBE": Keyword.STOP,
    "CANCEL": Keyword.STOP,
    "END": Keyword.STOP,
    "QUIT": Keyword.STOP,
    "HELP": Keyword.HELP,
    "INFO": Keyword.HELP,
    "START": Keyword.START,
    "UNSTOP": Keyword.START,
}


def keyword_of(body: str) -> str | None:
    """The keyword a whole message is (upper case, as `KEYWORDS` names it), or None."""
    word = body.strip().upper()
    return word if word in KEYWORDS else None


def with_opt_out_line(body: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The text as sent: `body` followed by the opt-out instruction, in `language`."""
    line = prompts_for(language).codes.opt_out_line
    body = body.rstrip()
    return body if body.endswith(line) else f"{body} {line}"


def is_gsm7(text: str) -> bool:
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in text)


def segments(text: str) -> int:
    """How many SMS segments carry `text`."""
    if is_gsm7(text):
        septets = len(text) + sum(1 for ch in text if ch in _GSM7_EXTENSION)
        return 1 if septets <= GSM7_SINGLE else math.ceil(septets / GSM7_PART)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= UCS2_SINGLE else math.ceil(units / UCS2_PART)


# The replies to keywords: fixed texts, each one segment with an opt-out URL of up to 60
# characters (tests/messages/test_sms_texts.py).


def stop_confirmation(*, platform: bool = True) -> str:
    """The one reply to a STOP. It carries no STOP line: the number has just stopped. A STOP
    to an organization's own number (`platform` False) stops that organization only."""
    if platform:
        return (
            "Tocsin: you are opted out. No more Tocsin texts or calls to this number. Reply "
            "START for texts again; calls need the number verified again."
        )
    return (
        "Tocsin: you are opted out. The organization using this number will not text or call "
        "you again. Reply START for texts; calls need the number verified again."
    )


def start_confirmation() -> str:
    """The reply to a START that lifted a stop: texts only, never calls."""
    return with_opt_out_line(
        "Tocsin: texts to this number are back on. Calls stay stopped until the number is "
        "verified again."
    )


def help_text(opt_out_url: str) -> str:
    """The reply to HELP: who sends these texts, how to stop them, where to opt out."""
    return with_opt_out_line(
        f"Tocsin: alert calls for on-call teams, and their codes. Help and opt-out: {opt_out_url}"
    )
