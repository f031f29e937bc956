"""The keypad dialogue every provider follows, as a function of the keys pressed so far."""

from __future__ import annotations

import pytest

from tocsin.telephony.script import (
    CONFIRMATIONS,
    MENU_PROMPT,
    SILENCE,
    STOP_QUESTION,
    UNKNOWN_KEY,
    Key,
    Then,
    first_words,
    reply_to,
    stops_calling,
)

ALERT = "Disk full on db1."


@pytest.mark.parametrize(
    ("keys", "effect", "says", "then"),
    [
        ("1", Key.ACKNOWLEDGE, CONFIRMATIONS["1"], Then.HANG_UP),
        ("2", Key.RESOLVE, CONFIRMATIONS["2"], Then.HANG_UP),
        ("9", None, STOP_QUESTION, Then.WAIT_FOR_KEY),
        ("99", Key.STOP_CALLING, CONFIRMATIONS["9"], Then.HANG_UP),
        ("*", None, "", Then.PROMPT),
        ("5", None, UNKNOWN_KEY, Then.PROMPT),
        # In the confirmation step: star and other keys go back, 1 and 2 still count.
        ("9*", None, "", Then.PROMPT),
        ("95", None, UNKNOWN_KEY, Then.PROMPT),
        ("91", Key.ACKNOWLEDGE, CONFIRMATIONS["1"], Then.HANG_UP),
        ("92", Key.RESOLVE, CONFIRMATIONS["2"], Then.HANG_UP),
        # Once taken back, a 9 asks again.
        ("9*9", None, STOP_QUESTION, Then.WAIT_FOR_KEY),
        ("959", None, STOP_QUESTION, Then.WAIT_FOR_KEY),
        ("9*99", Key.STOP_CALLING, CONFIRMATIONS["9"], Then.HANG_UP),
        ("*5*9", None, STOP_QUESTION, Then.WAIT_FOR_KEY),
    ],
)
def test_each_key_gets_its_reply_from_the_keys_before_it(
    keys: str, effect: Key | None, says: str, then: Then
) -> None:
    reply = reply_to(keys)
    assert (reply.effect, reply.says, reply.then) == (effect, says, then)


def test_no_key_yet_or_silence_reads_the_full_prompt() -> None:
    assert reply_to("") == SILENCE
    assert SILENCE.text(ALERT) == f"{ALERT} {MENU_PROMPT}"


def test_a_reply_that_goes_back_to_the_menu_reads_the_prompt_after_what_it_says() -> None:
    assert reply_to("5").text(ALERT) == f"{UNKNOWN_KEY} {ALERT} {MENU_PROMPT}"
    assert reply_to("9").text(ALERT) == STOP_QUESTION
    assert reply_to("99").text(ALERT) == CONFIRMATIONS["9"]


@pytest.mark.parametrize(
    ("keys", "stops"),
    [("9", False), ("9*", False), ("9*9", False), ("91", False), ("99", True), ("*599", True)],
)
def test_only_a_confirmed_9_stops_calls(keys: str, stops: bool) -> None:
    assert stops_calling(keys) is stops


def test_a_call_without_a_menu_says_only_its_text() -> None:
    assert first_words(ALERT, offers_menu=True) == f"{ALERT} {MENU_PROMPT}"
    assert first_words("Your code is 1, 2, 3.", offers_menu=False) == "Your code is 1, 2, 3."
