"""What every call says: the alert, the keypad menu, and what follows each key.

A keypress is the proof that a human listened; voicemail and silence never acknowledge.

`reply_to(keys, language)` is the whole dialogue, as a function of the keys pressed so far, said
in the call's language (`telephony.prompts`; what a key does is the same in all). Every provider
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

from tocsin.telephony.prompts import DEFAULT_LANGUAGE, ENGLISH, prompts_for


class Key(StrEnum):
    ACKNOWLEDGE = "1"
    RESOLVE = "2"
    STOP_CALLING = "9"
    REPEAT = "*"


# The English words, by their old names; every language's are in `prompts.CATALOGUE`.
MENU_PROMPT = ENGLISH.menu
STOP_QUESTION = ENGLISH.stop_question
CONFIRMATIONS: dict[str, str] = {
    Key.ACKNOWLEDGE: ENGLISH.acknowledged,
    Key.RESOLVE: ENGLISH.resolved,
    Key.STOP_CALLING: ENGLISH.stopped,
}
UNKNOWN_KEY = ENGLISH.unknown_key


def confirmation(key: str, language: str = DEFAULT_LANGUAGE) -> str:
    """What the call says after `key` took effect (1, 2, or a confirmed 9), in `language`."""
    words = prompts_for(language)
    return {
        Key.ACKNOWLEDGE: words.acknowledged,
        Key.RESOLVE: words.resolved,
        Key.STOP_CALLING: words.stopped,
    }[Key(key)]


def spoken_prompt(alert_text: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The full prompt read on answer, and again after star or silence: the alert as written,
    then the menu in the call's language."""
    return f"{alert_text} {prompts_for(language).menu}"


def first_words(spoken_text: str, *, offers_menu: bool, language: str = DEFAULT_LANGUAGE) -> str:
    """What the callee hears on answer: the full prompt, or for a call that only says
    something (a verification code) its text alone, after which it hangs up."""
    return spoken_prompt(spoken_text, language) if offers_menu else spoken_text


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
    # The call's language: `says` is in it, and so is the menu `text` adds.
    language: str = DEFAULT_LANGUAGE

    def text(self, alert_text: str) -> str:
        """Everything said, for providers that speak one text per turn."""
        if self.then is not Then.PROMPT:
            return self.says
        prompt = spoken_prompt(alert_text, self.language)
        return f"{self.says} {prompt}" if self.says else prompt


# What the call does when the callee presses nothing; it changes nothing else either.
SILENCE = Reply(None, "", Then.PROMPT)


def silence(language: str = DEFAULT_LANGUAGE) -> Reply:
    """SILENCE, in a call speaking `language`."""
    return Reply(None, "", Then.PROMPT, language)


def _reply(key: str, *, asked_to_stop: bool, language: str) -> Reply:
    words = prompts_for(language)
    if key in (Key.ACKNOWLEDGE, Key.RESOLVE):
        return Reply(Key(key), confirmation(key, language), Then.HANG_UP, language)
    if key == Key.STOP_CALLING:
        if asked_to_stop:
            return Reply(Key.STOP_CALLING, words.stopped, Then.HANG_UP, language)
        return Reply(None, words.stop_question, Then.WAIT_FOR_KEY, language)
    if key == Key.REPEAT:
        return silence(language)
    return Reply(None, words.unknown_key, Then.PROMPT, language)


def replies(keys: str, language: str = DEFAULT_LANGUAGE) -> Iterator[Reply]:
    """The reply to each of `keys` (a call's keys so far, the oldest first), in order, in the
    call's `language`. What a key does never depends on the language."""
    asked_to_stop = False
    for key in keys:
        reply = _reply(key, asked_to_stop=asked_to_stop, language=language)
        asked_to_stop = reply.then is Then.WAIT_FOR_KEY
        yield reply


def reply_to(keys: str, language: str = DEFAULT_LANGUAGE) -> Reply:
    """What the call does after the last of `keys`, the keys pressed so far in this call."""
    answers = list(replies(keys, language))
    return answers[-1] if answers else silence(language)


def stops_calling(keys: str) -> bool:
    """Whether these keys of one call include a confirmed 9."""
    return any(reply.effect is Key.STOP_CALLING for reply in replies(keys))
