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
    EventDecoder,
    TelephoneEvent,
    ToneDetector,
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
