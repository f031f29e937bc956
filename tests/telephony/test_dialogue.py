"""The turns of a REST-provider call and the sequence numbers that keep it from going back."""

from __future__ import annotations

from tocsin.telephony.base import CallEventKind
from tocsin.telephony.dialogue import (
    GOODBYE,
    MAX_ROUNDS,
    CallScript,
    first_turn,
    keypress_events,
    next_turn,
    sequence_of,
)
from tocsin.telephony.script import CONFIRMATIONS, MENU_PROMPT, STOP_QUESTION, UNKNOWN_KEY

ALERT = "Disk full on db1."


def test_a_call_only_moves_forward_through_its_states() -> None:
    order = [
        sequence_of(CallEventKind.TRYING),
        sequence_of(CallEventKind.RINGING),
        sequence_of(CallEventKind.ANSWERED),
        sequence_of(CallEventKind.DIGITS, 0),
        sequence_of(CallEventKind.DIGITS, 1),
        sequence_of(CallEventKind.DIGITS, MAX_ROUNDS),
        sequence_of(CallEventKind.COMPLETED),
    ]
    assert order == sorted(order)
    assert len(set(order)) == len(order)
    finals = (CallEventKind.BUSY, CallEventKind.NO_ANSWER, CallEventKind.FAILED)
    assert {sequence_of(kind) for kind in finals} == {sequence_of(CallEventKind.COMPLETED)}


def test_a_keypress_also_says_the_call_was_answered() -> None:
    answered, pressed = keypress_events("1", 0)
    assert (answered.kind, pressed.kind, pressed.digits) == (
        CallEventKind.ANSWERED,
        CallEventKind.DIGITS,
        "1",
    )
    assert [event.kind for event in keypress_events("", 0)] == [CallEventKind.ANSWERED]


def test_the_first_turn_reads_the_alert_and_the_menu() -> None:
    turn = first_turn(ALERT)
    assert turn.text == f"{ALERT} {MENU_PROMPT}"
    assert (turn.gather, turn.round_no) == (True, 0)


def test_keys_1_and_2_are_confirmed_and_the_call_ends() -> None:
    for key in ("1", "2"):
        turn = next_turn(ALERT, key, 0, keys=key)
        assert (turn.text, turn.gather) == (CONFIRMATIONS[key], False)


def test_9_asks_for_confirmation_and_a_second_9_stops_calls() -> None:
    asked = next_turn(ALERT, "9", 0, keys="9")
    assert (asked.text, asked.gather, asked.round_no) == (STOP_QUESTION, True, 1)
    stopped = next_turn(ALERT, "9", 1, keys="99")
    assert (stopped.text, stopped.gather) == (CONFIRMATIONS["9"], False)


def test_star_or_silence_after_the_question_reads_the_full_prompt_again() -> None:
    back = next_turn(ALERT, "*", 1, keys="9*")
    assert (back.text, back.gather, back.round_no) == (first_turn(ALERT).text, True, 2)
    silence = next_turn(ALERT, "", 1, keys="9")
    assert (silence.text, silence.gather, silence.round_no) == (first_turn(ALERT).text, True, 2)


def test_a_key_the_attempt_did_not_record_is_answered_on_its_own() -> None:
    turn = next_turn(ALERT, "9", 0, keys="")
    assert turn.text == STOP_QUESTION


def test_star_and_silence_read_the_prompt_again_in_the_next_round() -> None:
    for digits in ("*", ""):
        turn = next_turn(ALERT, digits, 0, keys=digits)
        assert (turn.text, turn.gather, turn.round_no) == (first_turn(ALERT).text, True, 1)


def test_an_unknown_key_is_explained_before_the_prompt() -> None:
    turn = next_turn(ALERT, "5", 1, keys="*5")
    assert turn.text.startswith(UNKNOWN_KEY)
    assert (turn.gather, turn.round_no) == (True, 2)


def test_after_the_last_round_the_call_says_goodbye_instead_of_looping() -> None:
    turn = next_turn(ALERT, "", MAX_ROUNDS, keys="***")
    assert (turn.text, turn.gather) == (GOODBYE, False)
    # Even a first 9: its question would be a round too many.
    turn = next_turn(ALERT, "9", MAX_ROUNDS, keys="***9")
    assert (turn.text, turn.gather) == (GOODBYE, False)


def test_a_call_without_a_menu_says_its_text_and_hangs_up() -> None:
    script = CallScript("Your code is 1, 2, 3.", keys="", offers_menu=False)
    turn = script.first_turn()
    assert (turn.text, turn.gather) == ("Your code is 1, 2, 3.", False)
    assert script.next_turn("1", 0).gather is False
