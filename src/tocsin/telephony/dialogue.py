"""What a call driven by provider callbacks does next, and the sequence numbers of its events.

REST providers report a call as separate signed callbacks that may arrive late or out of order,
so each event's sequence is its rank in the call's life rather than its arrival order: a
'ringing' that arrives after 'answered' or after the end of the call ranks lower and is ignored
by `apply_event`. Keypresses rank by the prompt round they answer, which travels in the
callback URL (or Telnyx client state) that the provider's signature covers.
"""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.telephony.base import CallEvent, CallEventKind
from tocsin.telephony.prompts import DEFAULT_LANGUAGE, ENGLISH, prompts_for
from tocsin.telephony.script import Then, first_words, reply_to, silence

# How many times the prompt is read again (after star, an unknown key or silence) before the
# call hangs up; without a cap, voicemail would loop until the provider's call time limit.
MAX_ROUNDS = 3

_RANK = {
    CallEventKind.TRYING: 1,
    CallEventKind.RINGING: 2,
    CallEventKind.ANSWERED: 3,
    CallEventKind.DIGITS: 4,
    CallEventKind.COMPLETED: 9,
    CallEventKind.BUSY: 9,
    CallEventKind.NO_ANSWER: 9,
    CallEventKind.FAILED: 9,
}

# In English; a call in another language says its own (`Prompts.goodbye`, `closed_elsewhere`).
GOODBYE = ENGLISH.goodbye
# Said instead of the prompt once the alert was acknowledged or resolved by someone else.
CLOSED_ELSEWHERE = ENGLISH.closed_elsewhere


def sequence_of(kind: CallEventKind, round_no: int = 0) -> int:
    """trying 1 < ringing 2 < answered 3 < a key in round r 4+r < the end 9."""
    if kind == CallEventKind.DIGITS:
        return _RANK[kind] + min(max(round_no, 0), MAX_ROUNDS)
    return _RANK[kind]


def event(
    kind: CallEventKind, *, round_no: int = 0, digits: str = "", detail: str = ""
) -> CallEvent:
    return CallEvent(kind=kind, sequence=sequence_of(kind, round_no), digits=digits, detail=detail)


def keypress_events(digits: str, round_no: int) -> list[CallEvent]:
    """A key proves the call was answered, even if the 'answered' callback is still on its way."""
    events = [event(CallEventKind.ANSWERED)]
    if digits:
        events.append(event(CallEventKind.DIGITS, round_no=round_no, digits=digits[:1]))
    return events


@dataclass(frozen=True)
class Turn:
    """One step of the call: say `text`, then either wait for a key (`gather`) or hang up."""

    text: str
    gather: bool
    round_no: int
    # The language `text` is to be spoken in (its fixed words are; the alert is as written).
    language: str = DEFAULT_LANGUAGE


def first_turn(
    spoken_text: str, *, offers_menu: bool = True, language: str = DEFAULT_LANGUAGE
) -> Turn:
    """The turn on answer; a call without a menu says its text and hangs up."""
    opening = first_words(spoken_text, offers_menu=offers_menu, language=language)
    return Turn(opening, gather=offers_menu, round_no=0, language=language)


def next_turn(
    spoken_text: str,
    digits: str,
    round_no: int,
    *,
    keys: str,
    language: str = DEFAULT_LANGUAGE,
) -> Turn:
    """What follows a key (or silence, when `digits` is empty) pressed in round `round_no`.

    `keys` are the keys the attempt has recorded, this one included: a 9 asks for confirmation
    or confirms depending on the key before it (`script.reply_to`)."""
    digit = digits[:1]
    if digit and not keys.endswith(digit):
        # A key the attempt did not record (its call was already over) is answered on its own.
        keys += digit
    reply = reply_to(keys, language) if digit else silence(language)
    if reply.then is Then.HANG_UP:
        return Turn(reply.says, gather=False, round_no=round_no, language=language)
    # Every gather is a round: the cap keeps each key's sequence number above the last one's.
    if round_no + 1 > MAX_ROUNDS:
        return goodbye(round_no, language)
    return Turn(reply.text(spoken_text), gather=True, round_no=round_no + 1, language=language)


def goodbye(round_no: int, language: str = DEFAULT_LANGUAGE) -> Turn:
    """The last turn of a call that has nothing more to ask."""
    return Turn(prompts_for(language).goodbye, gather=False, round_no=round_no, language=language)


def closed_elsewhere(round_no: int, language: str = DEFAULT_LANGUAGE) -> Turn:
    """The last turn of a call whose alerts someone else dealt with meanwhile."""
    words = prompts_for(language)
    return Turn(words.closed_elsewhere, gather=False, round_no=round_no, language=language)


@dataclass(frozen=True)
class CallScript:
    """What a REST-provider call has to go on: its text, whether the keypad menu follows it,
    and the keys recorded so far (the newest last)."""

    spoken_text: str
    keys: str
    offers_menu: bool
    # Every alert the call reads was acknowledged or resolved by someone else meanwhile: the
    # call says so and ends, should its hang-up not have reached the provider first.
    closed: bool = False
    # The language of the call's fixed words, chosen when the attempt was written.
    language: str = DEFAULT_LANGUAGE
    # For a call whose text is all Tocsin's own words (a verification code): the same text in
    # English, said instead by a provider that cannot speak `language`.
    in_english: str | None = None

    def first_turn(self) -> Turn:
        if self.closed:
            return closed_elsewhere(0, self.language)
        return first_turn(self.spoken_text, offers_menu=self.offers_menu, language=self.language)

    def next_turn(self, digits: str, round_no: int) -> Turn:
        if not self.offers_menu:
            # Nothing asked for a key; end a call that somehow sent one.
            return goodbye(round_no, self.language)
        turn = next_turn(self.spoken_text, digits, round_no, keys=self.keys, language=self.language)
        if self.closed and turn.gather:
            return closed_elsewhere(round_no, self.language)
        return turn
