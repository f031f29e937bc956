"""DTMF detection: RFC 4733 telephone-events, SIP INFO bodies, in-band tones with a Goertzel
filter bank, and the rule that makes one human key one digit whichever ways it is reported."""

from __future__ import annotations

import math
import struct
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

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
        return _event_digit(self.event)


def parse_telephone_event(payload: bytes) -> TelephoneEvent:
    if len(payload) < 4:
        raise ValueError("telephone-event payload shorter than 4 bytes")
    event, flags, duration = struct.unpack("!BBH", payload[:4])
    return TelephoneEvent(event, bool(flags & 0x80), flags & 0x3F, duration)


def pack_telephone_event(event: TelephoneEvent) -> bytes:
    return struct.pack(
        "!BBH", event.event, (0x80 if event.end else 0) | event.volume, event.duration
    )


def _event_digit(event: int) -> str | None:
    return EVENT_DIGITS[event] if event < len(EVENT_DIGITS) else None


class EventDecoder:
    """Turns a stream of telephone-event packets into digits, one per key press.

    One press is every packet sharing an RTP timestamp and event code (RFC 4733 2.5.1: the
    timestamp is where the event began). Senders repeat the end packet, usually three times,
    so a press is reported once, on its first end packet; the last presses reported are
    remembered, so a repeated end packet that arrives late, even after the next press began,
    reports nothing. A press whose end packets were all lost is reported when the next press
    begins.
    """

    REMEMBERED = 16

    def __init__(self) -> None:
        self._current: tuple[int, int] | None = None
        self._reported: deque[tuple[int, int]] = deque(maxlen=self.REMEMBERED)

    def feed(self, timestamp: int, payload: bytes) -> list[str]:
        event = parse_telephone_event(payload)
        press = (timestamp, event.event)
        if press in self._reported:
            return []
        digits: list[str] = []
        if press != self._current:
            if self._current is not None:
                digits += self._report(self._current)  # its end packets were all lost
            self._current = press
        if event.end:
            digits += self._report(press)
            self._current = None
        return digits

    def _report(self, press: tuple[int, int]) -> list[str]:
        self._reported.append(press)
        digit = _event_digit(press[1])
        return [digit] if digit else []


# SIP INFO bodies that carry a key (RFC 6086 legacy INFO, without an Info Package): Cisco's
# application/dtmf-relay ("Signal=5" and "Duration=160" lines) and application/dtmf (the key
# alone). Either may name * and # by their RFC 4733 event numbers, 10 and 11.
DTMF_INFO_TYPES = frozenset({"application/dtmf-relay", "application/dtmf"})


def info_media_type(content_type: str) -> str:
    """`application/dtmf-relay` from `Application/DTMF-Relay; charset=utf-8`."""
    return content_type.split(";", 1)[0].strip().lower()


def info_key(content_type: str, body: bytes) -> str | None:
    """The key an INFO body carries, or None if it carries none we can read."""
    media_type = info_media_type(content_type)
    text = body.decode("utf-8", errors="replace")
    if media_type == "application/dtmf":
        return _key_named(text)
    if media_type == "application/dtmf-relay":
        for line in text.splitlines():
            name, _, value = line.partition("=")
            if name.strip().lower() == "signal":
                return _key_named(value)
    return None


def _key_named(value: str) -> str | None:
    value = value.strip().upper()
    if len(value) == 1 and value in EVENT_DIGITS:
        return value
    return _event_digit(int(value)) if value.isdecimal() else None


class KeyPath(StrEnum):
    """The ways one key press can reach us."""

    RFC4733 = "rfc4733"
    INFO = "info"
    TONE = "tone"  # in-band, only listened for when no telephone-event was negotiated


# How far apart two paths' reports of one press may arrive. INFO usually goes at key-down and
# RFC 4733 reports at key-up, so the gap is the time the key is held plus network delay.
# Generous on purpose: merging too much can only lose a repeated key (a second 9 then asks
# again), while merging too little turns one 9 into the "9, 9" that stops calls.
SAME_PRESS_WINDOW = 2.0


@dataclass
class _Press:
    digit: str
    at: float
    paths: set[KeyPath] = field(default_factory=set)


class OnePressOneKey:
    """One human key is one digit, however many ways the far end reports it.

    Gateways may send each key both as SIP INFO and as RFC 4733 (and, on a call without
    telephone-event, the tones are in the audio as well). The rule: a report is the same press
    as the oldest earlier press of the same digit, within SAME_PRESS_WINDOW, that no report on
    its path has claimed yet; otherwise it is a new press. Each path reports a press once (a
    new RFC 4733 event has a new timestamp, a new INFO a new CSeq), so a key pressed twice on
    purpose ("9, 9" to confirm stopping calls) is two presses however quickly it is pressed.
    """

    def __init__(self, window: float = SAME_PRESS_WINDOW) -> None:
        self._window = window
        self._recent: deque[_Press] = deque()

    def heard(self, digit: str, path: KeyPath, at: float) -> bool:
        """Whether this report is a new press (True) or another path's report of one (False).
        `at` is in seconds on any monotonic clock."""
        while self._recent and at - self._recent[0].at > self._window:
            self._recent.popleft()
        for press in self._recent:
            if press.digit == digit and path not in press.paths:
                press.paths.add(path)
                return False
        self._recent.append(_Press(digit, at, {path}))
        return True


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
