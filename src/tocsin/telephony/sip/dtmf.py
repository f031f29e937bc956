"""DTMF detection: RFC 4733 telephone-events, and in-band tones with a Goertzel filter bank."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np

from tocsin.telephony.audio import Samples

EVENT_DIGITS = "0123456789*#ABCD"
ROWS = (697.0, 770.0, 852.0, 941.0)
COLUMNS = (1209.0, 1336.0, 1477.0, 1633.0)
KEYPAD = ("123A", "456B", "789C", "*0#D")


@dataclass(frozen=True)
class TelephoneEvent:
    event: int
    end: bool
    volume: int
    duration: int

    @property
    def digit(self) -> str | None:
        return EVENT_DIGITS[self.event] if self.event < len(EVENT_DIGITS) else None


def parse_telephone_event(payload: bytes) -> TelephoneEvent:
    if len(payload) < 4:
        raise ValueError("telephone-event payload shorter than 4 bytes")
    event, flags, duration = struct.unpack("!BBH", payload[:4])
    return TelephoneEvent(event, bool(flags & 0x80), flags & 0x3F, duration)


def pack_telephone_event(event: TelephoneEvent) -> bytes:
    return struct.pack(
        "!BBH", event.event, (0x80 if event.end else 0) | event.volume, event.duration
    )


class EventDecoder:
    """Turns a stream of telephone-event packets into digits, one per key press.

    One press is every packet sharing an RTP timestamp; senders repeat the end packet (usually
    three times), so a press is reported once, on its first end packet. A press whose end
    packets were all lost is reported when the next press (a new timestamp) begins.
    """

    def __init__(self) -> None:
        self._current: int | None = None
        self._current_digit: str | None = None
        self._reported = True

    def feed(self, timestamp: int, payload: bytes) -> list[str]:
        event = parse_telephone_event(payload)
        digits: list[str] = []
        if timestamp != self._current:
            if not self._reported and self._current_digit:
                digits.append(self._current_digit)
            self._current, self._current_digit, self._reported = timestamp, event.digit, False
        if event.end and not self._reported:
            self._reported = True
            if event.digit:
                digits.append(event.digit)
        return digits


def _goertzel_coefficients(rate: int) -> np.ndarray:
    return np.array([2 * math.cos(2 * math.pi * f / rate) for f in (*ROWS, *COLUMNS)])


class ToneDetector:
    """In-band DTMF on 8 kHz audio, fed in any chunk size, analysed in 20 ms blocks.

    A block holds a key when its strongest row and column tones carry most of its energy,
    neither is far weaker than the other (twist), and each clearly beats the others of its
    group. A digit is reported after two such blocks in a row (40 ms, the ITU minimum), and
    once per press: the key must stop before it can be reported again. Speech rarely puts
    most of its energy into exactly two tones of the grid, which keeps prompts from triggering.
    """

    BLOCK = 160
    MIN_LEVEL = 200.0  # RMS; below this a block is silence
    MIN_TONE_SHARE = 0.6
    MAX_TWIST = 10 ** (8 / 10)  # 8 dB
    MIN_GROUP_MARGIN = 10 ** (6 / 10)  # 6 dB over the next tone of the same group

    def __init__(self, rate: int = 8000) -> None:
        self._coefficients = _goertzel_coefficients(rate)
        self._pending = np.zeros(0, dtype=np.float64)
        self._candidate: str | None = None
        self._run = 0
        self._reported: str | None = None

    def feed(self, samples: Samples) -> list[str]:
        self._pending = np.concatenate([self._pending, samples.astype(np.float64)])
        digits: list[str] = []
        while self._pending.size >= self.BLOCK:
            block, self._pending = self._pending[: self.BLOCK], self._pending[self.BLOCK :]
            key = self.block_key(block)
            if key is None or key != self._candidate:
                self._candidate, self._run = key, 1 if key else 0
                if key is None:
                    self._reported = None
                continue
            self._run += 1
            if self._run >= 2 and self._reported != key:
                self._reported = key
                digits.append(key)
        return digits

    def block_key(self, block: np.ndarray) -> str | None:
        energy = float(np.dot(block, block))
        if energy < self.MIN_LEVEL**2 * block.size:
            return None
        powers = self._powers(block)
        rows, columns = powers[:4], powers[4:]
        row, column = int(np.argmax(rows)), int(np.argmax(columns))
        # Goertzel power of a sine of amplitude A over N samples is (A N / 2)^2, and its
        # energy is A^2 N / 2, so power * 2 / N is the tone's energy.
        tone_energy = (rows[row] + columns[column]) * 2 / block.size
        if tone_energy < self.MIN_TONE_SHARE * energy:
            return None
        if max(rows[row], columns[column]) > self.MAX_TWIST * min(rows[row], columns[column]):
            return None
        for group, best in ((rows, row), (columns, column)):
            others = np.delete(group, best)
            if group[best] < self.MIN_GROUP_MARGIN * float(others.max()):
                return None
        return KEYPAD[row][column]

    def _powers(self, block: np.ndarray) -> np.ndarray:
        s1 = np.zeros(self._coefficients.size)
        s2 = np.zeros(self._coefficients.size)
        for sample in block:
            s1, s2 = sample + self._coefficients * s1 - s2, s1
        powers: np.ndarray = s1 * s1 + s2 * s2 - self._coefficients * s1 * s2
        return powers
