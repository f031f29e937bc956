"""What every call says: the alert, the keypad menu, and the confirmation after each key.

A keypress is the proof that a human listened; voicemail and silence never acknowledge.
"""

from __future__ import annotations

from enum import StrEnum


class Key(StrEnum):
    ACKNOWLEDGE = "1"
    RESOLVE = "2"
    STOP_CALLING = "9"
    REPEAT = "*"


MENU_PROMPT = (
    "Press 1 to acknowledge, 2 to resolve, 9 to stop calls to this number, "
    "or star to repeat this message."
)

CONFIRMATIONS: dict[str, str] = {
    Key.ACKNOWLEDGE: "Acknowledged. Thank you. Goodbye.",
    Key.RESOLVE: "Resolved. Thank you. Goodbye.",
    Key.STOP_CALLING: "This number will not be called again for this organization. Goodbye.",
}

UNKNOWN_KEY = "Sorry, that key does nothing."


def spoken_prompt(alert_text: str) -> str:
    """The full prompt read on answer, and again after star or silence."""
    return f"{alert_text} {MENU_PROMPT}"


def is_final_key(digit: str) -> bool:
    return digit in CONFIRMATIONS
