"""What every call says: the alert, the keypad menu, and what follows each key.

A keypress is the proof that a human listened; voicemail and silence never acknowledge.

`reply_to(keys)` is the whole dialogue, as a function of the keys pressed so far. Every provider
(simulator, SIP, the REST callbacks) asks it what to say, and the server asks it what a key
does, so a call never tells the callee something other than what was recorded:

- 1 acknowledges and 2 resolves, then the call says so and hangs up.
- 9 asks for confirmation, because a stray key must not stop an on-call engineer's alerts:
  a 9 right after that question (the key before it was a 9 that asked) stops calls to the
  number, then the call says so and hangs up.
- star reads the full prompt again; any other key says it does nothing, then reads the prompt.
- In the confirmation step every key but 9 does what it does in the menu: star goes back to the
  full prompt, 1 and 2 acknowledge and resolve (the callee clearly means them).

Silence is not a key: providers report only keys, and the server decides from the keys the
attempt recorded. So silence after the question reads the full prompt again, and a 9 pressed
then still confirms (the callee was asked, and the prompt says 9 stops calls); star or any other
key is what takes the question back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum, StrEnum


class Key(StrEnum):
    ACKNOWLEDGE = "1"
    RESOLVE = "2"
    STOP_CALLING = "9"
    REPEAT = "*"


MENU_PROMPT = (
    "Press 1 to acknowledge, 2 to resolve, 9 to stop calls to this number, "
    "or star to repeat this message."
)

STOP_QUESTION = (
    "To stop all calls to this number from this organization, press 9 again. "
    "To go back, press star."
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


def first_words(spoken_text: str, *, offers_menu: bool) -> str:
    """What the callee hears on answer: the full prompt, or for a call that only says
    something (a verification code) its text alone, after which it hangs up."""
    return spoken_prompt(spoken_text) if offers_menu else spoken_text


class Then(Enum):
    """What the call does once it has said a reply's `says`."""

    # Read the full prompt (alert and menu), then wait for a key.
    PROMPT = "prompt"
    # Wait for a key: `says` asked a question.
    WAIT_FOR_KEY = "wait_for_key"
    HANG_UP = "hang_up"


@dataclass(frozen=True)
class Reply:
    # The key that takes effect: 1, 2, or a confirmed 9; None when the key changes nothing.
    effect: Key | None
    # Said first; empty when the prompt follows straight away.
    says: str
    then: Then

    def text(self, alert_text: str) -> str:
        """Everything said, for providers that speak one text per turn."""
        if self.then is not Then.PROMPT:
            return self.says
        prompt = spoken_prompt(alert_text)
        return f"{self.says} {prompt}" if self.says else prompt


# What the call does when the callee presses nothing; it changes nothing else either.
SILENCE = Reply(None, "", Then.PROMPT)

_ASK_TO_STOP = Reply(None, STOP_QUESTION, Then.WAIT_FOR_KEY)


def _reply(key: str, *, asked_to_stop: bool) -> Reply:
    if key in (Key.ACKNOWLEDGE, Key.RESOLVE):
        return Reply(Key(key), CONFIRMATIONS[key], Then.HANG_UP)
    if key == Key.STOP_CALLING:
        if asked_to_stop:
            return Reply(Key.STOP_CALLING, CONFIRMATIONS[key], Then.HANG_UP)
        return _ASK_TO_STOP
    if key == Key.REPEAT:
        return SILENCE
    return Reply(None, UNKNOWN_KEY, Then.PROMPT)


def replies(keys: str) -> Iterator[Reply]:
    """The reply to each of `keys` (a call's keys so far, the oldest first), in order."""
    asked_to_stop = False
    for key in keys:
        reply = _reply(key, asked_to_stop=asked_to_stop)
        asked_to_stop = reply.then is Then.WAIT_FOR_KEY
        yield reply


def reply_to(keys: str) -> Reply:
    """What the call does after the last of `keys`, the keys pressed so far in this call."""
    answers = list(replies(keys))
    return answers[-1] if answers else SILENCE


def stops_calling(keys: str) -> bool:
    """Whether these keys of one call include a confirmed 9."""
    return any(reply.effect is Key.STOP_CALLING for reply in replies(keys))
