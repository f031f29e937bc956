from __future__ import annotations

import numpy as np
import pytest

from tocsin.telephony import tts
from tocsin.telephony.audio import Samples
from tocsin.telephony.script import spoken_prompt
from tocsin.telephony.sip.dtmf import (
    COLUMNS,
    KEYPAD,
    ROWS,
    SAME_PRESS_WINDOW,
    EventDecoder,
    KeyPath,
    OnePressOneKey,
    TelephoneEvent,
    ToneDetector,
    info_key,
    pack_telephone_event,
    parse_telephone_event,
)

RATE = 8000


def tone(key: str, seconds: float = 0.08, level: float = 6000.0) -> Samples:
    row = next(i for i, keys in enumerate(KEYPAD) if key in keys)
    column = KEYPAD[row].index(key)
    t = np.arange(int(seconds * RATE)) / RATE
    wave = level * (np.sin(2 * np.pi * ROWS[row] * t) + np.sin(2 * np.pi * COLUMNS[column] * t))
    return wave.astype(np.int16)


def silence(seconds: float = 0.06) -> Samples:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def test_telephone_event_payload_round_trips() -> None:
    event = TelephoneEvent(event=11, end=True, volume=10, duration=1280)
    assert parse_telephone_event(pack_telephone_event(event)) == event
    assert event.digit == "#"


def packets(event: int, timestamp: int) -> list[tuple[int, bytes]]:
    """How SIPp's dtmf_2833 pcaps send one press: 7 updates, then the end packet three times."""
    updates = [TelephoneEvent(event, False, 10, 320 * n) for n in range(7)]
    ends = [TelephoneEvent(event, True, 10, 2240)] * 3
    return [(timestamp, pack_telephone_event(e)) for e in [*updates, *ends]]


def test_one_press_with_repeated_end_packets_is_one_digit() -> None:
    decoder = EventDecoder()
    digits = [d for ts, payload in packets(1, 1000) for d in decoder.feed(ts, payload)]
    assert digits == ["1"]


def test_the_same_key_twice_is_two_digits() -> None:
    decoder = EventDecoder()
    stream = packets(10, 1000) + packets(10, 5000)
    assert [d for ts, payload in stream for d in decoder.feed(ts, payload)] == ["*", "*"]


def test_a_press_whose_end_packets_were_lost_is_reported_when_the_next_begins() -> None:
    decoder = EventDecoder()
    stream = packets(5, 1000)[:7] + packets(2, 5000)
    assert [d for ts, payload in stream for d in decoder.feed(ts, payload)] == ["5", "2"]


def test_a_late_end_packet_after_the_next_press_began_is_not_a_key_again() -> None:
    # Press 5 ends (its end packet repeated), press 2 begins, and one of 5's repeated end
    # packets arrives late, after 2's first packets: 5 and 2, once each.
    five, two = packets(5, 1000), packets(2, 5000)
    stream = [*five[:-1], *two[:3], five[-1], *two[3:]]
    decoder = EventDecoder()
    assert [d for ts, payload in stream for d in decoder.feed(ts, payload)] == ["5", "2"]


def test_end_packets_repeated_around_a_new_packet_of_the_same_press_are_one_key() -> None:
    # A sender that, after the end packets, sends one more packet with the press's timestamp.
    stream = [*packets(9, 1000), packets(9, 1000)[3], packets(9, 1000)[-1]]
    decoder = EventDecoder()
    assert [d for ts, payload in stream for d in decoder.feed(ts, payload)] == ["9"]


def test_a_different_event_on_a_reused_timestamp_is_a_new_key() -> None:
    decoder = EventDecoder()
    stream = packets(1, 1000) + packets(2, 1000)
    assert [d for ts, payload in stream for d in decoder.feed(ts, payload)] == ["1", "2"]


def heard(reports: list[tuple[str, KeyPath, float]]) -> str:
    """The keys kept from (digit, path, seconds) reports, in order."""
    keys = OnePressOneKey()
    return "".join(digit for digit, path, at in reports if keys.heard(digit, path, at))


INFO, EVENT, TONE = KeyPath.INFO, KeyPath.RFC4733, KeyPath.TONE


@pytest.mark.parametrize(
    ("reports", "keys"),
    [
        # One press reported by INFO at key-down and by RFC 4733 at key-up, in either order.
        ([("9", INFO, 0.0), ("9", EVENT, 0.15)], "9"),
        ([("9", EVENT, 0.0), ("9", INFO, 0.3)], "9"),
        # Two deliberate presses of 9, each reported both ways, however the reports interleave.
        ([("9", INFO, 0.0), ("9", EVENT, 0.15), ("9", INFO, 0.6), ("9", EVENT, 0.75)], "99"),
        ([("9", INFO, 0.0), ("9", INFO, 0.3), ("9", EVENT, 0.35), ("9", EVENT, 0.6)], "99"),
        # The same digit twice on one path is always two presses, however quick.
        ([("9", EVENT, 0.0), ("9", EVENT, 0.1)], "99"),
        ([("9", INFO, 0.0), ("9", INFO, 0.1)], "99"),
        # Different digits are different presses.
        ([("1", INFO, 0.0), ("2", EVENT, 0.1), ("2", INFO, 0.2), ("1", EVENT, 0.3)], "12"),
        # In-band tones are a third path.
        ([("5", TONE, 0.0), ("5", INFO, 0.1), ("5", EVENT, 0.2)], "5"),
        # Past the window, the other path's report is a press of its own.
        ([("9", INFO, 0.0), ("9", EVENT, SAME_PRESS_WINDOW + 0.1)], "99"),
    ],
)
def test_one_press_reported_on_several_paths_is_one_key(
    reports: list[tuple[str, KeyPath, float]], keys: str
) -> None:
    assert heard(reports) == keys


@pytest.mark.parametrize(
    ("content_type", "body", "key"),
    [
        ("application/dtmf-relay", b"Signal=9\r\nDuration=160\r\n", "9"),
        ("Application/DTMF-Relay; charset=utf-8", b"Signal= *\r\nDuration= 250", "*"),
        ("application/dtmf-relay", b"Signal=11\r\nDuration=160", "#"),
        ("application/dtmf", b"5\r\n", "5"),
        ("application/dtmf", b"10", "*"),
        ("application/dtmf", b"", None),
        ("application/dtmf-relay", b"Signal=X", None),
        ("application/dtmf", b"17", None),
    ],
)
def test_info_bodies_in_both_formats(content_type: str, body: bytes, key: str | None) -> None:
    assert info_key(content_type, body) == key


@pytest.mark.parametrize("key", "0123456789*#ABCD")
def test_goertzel_detects_every_key(key: str) -> None:
    assert ToneDetector().feed(np.concatenate([silence(), tone(key), silence()])) == [key]


def test_goertzel_reads_a_sequence_fed_in_odd_chunks() -> None:
    audio = np.concatenate([silence(), tone("1"), silence(), tone("9"), silence(), tone("9")])
    detector = ToneDetector()
    digits = [
        d for start in range(0, audio.size, 77) for d in detector.feed(audio[start : start + 77])
    ]
    assert digits == ["1", "9", "9"]


def test_goertzel_ignores_short_blips_quiet_tones_and_single_tones() -> None:
    t = np.arange(RATE) / RATE
    single = (8000 * np.sin(2 * np.pi * 697 * t)).astype(np.int16)
    audio = np.concatenate([tone("5", seconds=0.02), silence(), tone("5", level=50), single])
    assert ToneDetector().feed(audio) == []


def test_goertzel_does_not_hear_keys_in_the_spoken_prompt() -> None:
    speech = tts.synthesize(spoken_prompt("Disk full on db-1, 98 percent."), sample_rate=RATE)
    assert ToneDetector().feed(speech.samples) == []
