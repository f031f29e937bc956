"""RTP (RFC 3550) for one call: paced G.711 sending, receiving, and DTMF from either path.

Frames are sent on an absolute schedule (start + n * 20 ms on the loop's monotonic clock), so
a late wake-up is not carried into later frames as it would be with `sleep(0.02)` per frame.
One `Pacer` drives every session of a provider: one timer wake-up per frame for all calls
rather than one per call. Clips are G.711-encoded once when played, not frame by frame.
Between prompts a session sends silence, which keeps the media path (and NATs) open.

The per-frame path is kept lean because it runs 50 times a second per call, hundreds of calls
on one core: a header is one precompiled `struct` pack, a frame one `sendto` on the
non-blocking socket, and the pacer reads arrivals itself after each tick's sends (one poll of
all media sockets) instead of one event-loop callback per datagram, so sends come first.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import selectors
import socket
import struct
import weakref
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from tocsin.telephony import audio
from tocsin.telephony.audio import Samples
from tocsin.telephony.sip.dtmf import EventDecoder, KeyPath, OnePressOneKey, ToneDetector
from tocsin.telephony.sip.sdp import MediaAnswer

FRAME_SECONDS = 0.020
FRAME_SAMPLES = 160
# A frame sent a whole frame after its slot is late: the far end's jitter buffer may drop it.
LATE_SECONDS = FRAME_SECONDS
# epoll rounds timeouts up to whole milliseconds, so waking this much before a slot centres
# send times on it instead of always trailing it by up to 1 ms.
TIMER_SLACK = 0.001
# Datagrams read from one socket per tick at most: a burst (a key's three end packets) is read
# over a few ticks, and a flood cannot keep the pacer from its next frame.
READS_PER_TICK = 4
# Received audio is measured (MediaStats) a second at a time rather than frame by frame.
HEARD_BATCH_BYTES = 8000
_HEADER = struct.Struct("!BBHII")
_VERSION_2 = 0x80
_MARKER = 0x80
_LARGEST_DATAGRAM = 65535

logger = logging.getLogger(__name__)


class RtpPacket(NamedTuple):
    # A tuple rather than a frozen dataclass: one is built per datagram received.
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False

    def pack(self) -> bytes:
        second = (_MARKER if self.marker else 0) | self.payload_type
        header = _HEADER.pack(
            _VERSION_2, second, self.sequence & 0xFFFF, self.timestamp & 0xFFFFFFFF, self.ssrc
        )
        return header + self.payload

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        if len(data) < 12 or data[0] >> 6 != 2:
            raise ValueError("not an RTP version 2 packet")
        first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
        offset = 12 + 4 * (first & 0x0F)
        if first & 0x10:  # header extension
            if len(data) < offset + 4:
                raise ValueError("truncated RTP header extension")
            offset += 4 + 4 * struct.unpack("!H", data[offset + 2 : offset + 4])[0]
        end = len(data)
        if first & 0x20 and end > offset:  # padding
            end -= data[-1]
        if offset > end:
            raise ValueError("truncated RTP packet")
        return cls(second & 0x7F, sequence, timestamp, ssrc, data[offset:end], bool(second & 0x80))


@dataclass
class MediaStats:
    """What one session sent and heard. Send deviations are seconds from each frame's slot
    to its sending (negative when up to TIMER_SLACK early)."""

    sent: int = 0
    late: int = 0
    # Compact doubles: a two-minute call sends 6000 frames.
    send_deviations: array[float] = field(default_factory=lambda: array("d"))
    received: int = 0
    # Audio heard but not yet measured, and the decoder of its codec.
    _unmeasured: bytearray = field(default_factory=bytearray)
    _unmeasured_decode: Callable[[bytes], Samples] | None = None
    _audio_samples: int = 0
    _sum_squares: float = 0.0

    def hear(self, payload: bytes, decode: Callable[[bytes], Samples]) -> None:
        """Count received audio; decoding and squaring wait for a batch (or a codec change)."""
        if decode is not self._unmeasured_decode:
            self._measure()
            self._unmeasured_decode = decode
        self._unmeasured += payload
        if len(self._unmeasured) >= HEARD_BATCH_BYTES:
            self._measure()

    @property
    def received_rms(self) -> float:
        self._measure()
        if not self._audio_samples:
            return 0.0
        return float(np.sqrt(self._sum_squares / self._audio_samples))

    def _measure(self) -> None:
        if not self._unmeasured or self._unmeasured_decode is None:
            return
        # G.711 maps each byte to one sample: counting the bytes of each value and weighing
        # the counts by the squares of their samples is a sum of squares without decoding.
        codes = np.frombuffer(bytes(self._unmeasured), dtype=np.uint8)
        counts = np.bincount(codes, minlength=256)
        self._audio_samples += codes.size
        self._sum_squares += float(np.dot(counts, _squared_samples(self._unmeasured_decode)))
        self._unmeasured.clear()


@functools.cache
def _squared_samples(decode: Callable[[bytes], Samples]) -> npt.NDArray[np.float64]:
    """The square of the sample each of the 256 byte values decodes to."""
    samples = decode(bytes(range(256))).astype(np.float64)
    return samples * samples


def _encoder(codec: str) -> Callable[[Samples], bytes]:
    return audio.pcm_to_ulaw if codec == "PCMU" else audio.pcm_to_alaw


def _decoder(codec: str) -> Callable[[bytes], Samples]:
    return audio.ulaw_to_pcm if codec == "PCMU" else audio.alaw_to_pcm


@functools.cache
def _silent_frame(encode: Callable[[Samples], bytes]) -> bytes:
    # Encoded once per codec, not once per answered call.
    return encode(np.zeros(FRAME_SAMPLES, dtype=np.int16))


class _EncodedClips:
    """G.711 encodings of the clips calls play. Prompts are cached and shared by many calls,
    so each is encoded once per codec instead of once per call (a burst of answers would
    otherwise stall the event loop). Entries go when their clip is garbage-collected."""

    def __init__(self) -> None:
        self._by_clip: dict[tuple[int, Callable[[Samples], bytes]], bytes] = {}

    def get(self, clip: Samples, encode: Callable[[Samples], bytes]) -> bytes:
        key = (id(clip), encode)
        encoded = self._by_clip.get(key)
        if encoded is None:
            encoded = encode(np.pad(clip, (0, -clip.size % FRAME_SAMPLES)))
            self._by_clip[key] = encoded
            weakref.finalize(clip, self._by_clip.pop, key, None)
        return encoded


_encoded_clips = _EncodedClips()


def open_rtp_socket(host: str, port_range: tuple[int, int] | None) -> socket.socket:
    """A UDP socket on an even port of the range (or any free port)."""
    candidates = [0] if port_range is None else list(range(port_range[0], port_range[1] + 1))
    if port_range is not None:
        candidates = [p for p in candidates if p % 2 == 0] or candidates
    for port in candidates:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            continue
        sock.setblocking(False)
        return sock
    raise OSError(f"no free RTP port in {port_range}")


class Pacer:
    """The 20 ms clock of a set of RTP sessions; runs while at least one session is added.
    Each tick sends every session's frame, then reads what arrived on their sockets (polled
    through a selector that is open while there are sessions)."""

    def __init__(self) -> None:
        self._sessions: dict[RtpSession, None] = {}
        self._arrivals: selectors.BaseSelector | None = None
        self._task: asyncio.Task[None] | None = None

    def add(self, session: RtpSession) -> None:
        if self._arrivals is None:
            self._arrivals = selectors.DefaultSelector()
        self._arrivals.register(session.socket, selectors.EVENT_READ, session)
        self._sessions[session] = None
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    def remove(self, session: RtpSession) -> None:
        if self._arrivals is None or session not in self._sessions:
            return
        del self._sessions[session]
        self._arrivals.unregister(session.socket)
        if not self._sessions:
            self._close_arrivals()

    async def close(self) -> None:
        """Stop the clock now rather than at its next tick (for a provider that is closing)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._close_arrivals()

    def _close_arrivals(self) -> None:
        if self._arrivals is not None:
            self._arrivals.close()
            self._arrivals = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        frame = 0
        while self._sessions:
            target = start + frame * FRAME_SECONDS
            # Sleeping even when behind lets SIP be handled meanwhile.
            await asyncio.sleep(max(0.0, target - TIMER_SLACK - loop.time()))
            for session in list(self._sessions):
                session.send_frame(loop.time() - target)
            self._read_arrivals()
            frame += 1

    def _read_arrivals(self) -> None:
        # One datagram per ready socket per poll (no failing read to learn that a socket is
        # empty), polled again while any socket has more, up to READS_PER_TICK times.
        for _ in range(READS_PER_TICK):
            ready = self._arrivals.select(0) if self._arrivals is not None else []
            if not ready:
                return
            for key, _events in ready:
                key.data.read_one()


class RtpSession:
    """Media for one call, from answer to hang-up. Digits arrive on `digits` (a queue), one per
    key press whether it came as RFC 4733, in-band tones or (through `key`) SIP INFO."""

    def __init__(self, sock: socket.socket, pacer: Pacer | None = None) -> None:
        self.socket = sock
        self._pacer = pacer or Pacer()
        self.local_port: int = sock.getsockname()[1]
        self.stats = MediaStats()
        self.digits: asyncio.Queue[str] = asyncio.Queue()
        self._playing: bytes | None = None
        self._position = 0
        self._done: asyncio.Future[None] | None = None
        self._ssrc = secrets.randbits(32)
        self._sequence = secrets.randbits(16)
        self._timestamp = secrets.randbits(32)
        self._events = EventDecoder()
        self._tones: ToneDetector | None = None
        self._presses = OnePressOneKey()
        self._payload_type = 0
        self._codec = ""
        self._event_types: frozenset[int] = frozenset()
        # False while the far end holds the call (it takes no audio): frames are not sent.
        self._sending = True
        self._decode: Callable[[bytes], Samples] = audio.ulaw_to_pcm
        self._encode: Callable[[Samples], bytes] = audio.pcm_to_ulaw
        self._silence = b""
        self._bytes_per_frame = FRAME_SAMPLES
        self._marker = False
        self._remote: tuple[str, int] = ("0.0.0.0", 0)  # noqa: S104 - set by start()

    @property
    def codec(self) -> str:
        return self._codec

    def start(self, answer: MediaAnswer) -> None:
        """Send to and hear from the far end `answer` describes, from the next tick on."""
        self.follow(answer)
        self.socket.setblocking(False)
        self._pacer.add(self)

    def follow(self, answer: MediaAnswer) -> None:
        """Use the far end's latest description: where to send, in which codec, on which
        payload types to read telephone-events, and whether to send at all (hold)."""
        self._remote = (answer.host, answer.port)
        self._sending = answer.receives
        self._payload_type = answer.payload_type
        self._event_types = answer.event_payload_types
        # In-band detection only when the far end did not agree to send telephone-events.
        if answer.telephone_event is not None:
            self._tones = None
        elif self._tones is None:
            self._tones = ToneDetector()
        if answer.codec != self._codec:
            self._switch_codec(answer.codec)

    def _switch_codec(self, codec: str) -> None:
        decode_old = self._decode
        self._encode, self._decode = _encoder(codec), _decoder(codec)
        self._silence = _silent_frame(self._encode)
        self._bytes_per_frame = len(self._silence)
        if self._codec and self._playing is not None:
            # What is left of the clip being played goes on in the new codec.
            rest = self._playing[self._position :]
            self._playing, self._position = self._encode(decode_old(rest)), 0
        self._codec = codec

    def key(self, digit: str, path: KeyPath) -> None:
        """A key reported by `path`; queued on `digits` unless another path already did."""
        if self._presses.heard(digit, path, asyncio.get_running_loop().time()):
            self.digits.put_nowait(digit)

    def play(self, *parts: Samples | float) -> asyncio.Future[None]:
        """Play 8 kHz clips and pauses (seconds, as floats) from the next frame on, replacing
        what is playing. The future completes when the last frame has been sent (or is
        cancelled by `stop`)."""
        self.stop()
        encoded = []
        for part in parts:
            if isinstance(part, float):
                frames = round(part / FRAME_SECONDS)
                encoded.append(self._silence * frames)
            else:
                encoded.append(_encoded_clips.get(part, self._encode))
        self._playing, self._position = b"".join(encoded), 0
        self._marker = True
        self._done = asyncio.get_running_loop().create_future()
        return self._done

    def stop(self) -> None:
        if self._done is not None and not self._done.done():
            self._done.cancel()
        self._playing, self._done = None, None

    def close(self) -> None:
        """Stop, leave the pacer, and close the socket."""
        self.stop()
        self._pacer.remove(self)
        self.socket.close()

    def _next_payload(self) -> tuple[bytes, bool]:
        if self._playing is None:
            return self._silence, False
        end = self._position + self._bytes_per_frame
        payload, self._position = self._playing[self._position : end], end
        marker, self._marker = self._marker, False
        if self._position >= len(self._playing):
            if self._done is not None and not self._done.done():
                self._done.set_result(None)
            self._playing, self._done = None, None
        return payload, marker

    def send_frame(self, deviation: float) -> None:
        """Send the next 20 ms frame; `deviation` is how far past its slot this is."""
        payload, marker = self._next_payload()
        if self._sending:
            second = (_MARKER | self._payload_type) if marker else self._payload_type
            header = _HEADER.pack(_VERSION_2, second, self._sequence, self._timestamp, self._ssrc)
            try:
                self.socket.sendto(header + payload, self._remote)
            except OSError as error:
                # A full send buffer or an ICMP error: the frame is lost, as UDP may lose it;
                # a frame sent later than its slot would be no better.
                logger.debug("RTP frame not sent: %s", error)
            self.stats.sent += 1
            self.stats.send_deviations.append(deviation)
            if deviation > LATE_SECONDS:
                self.stats.late += 1
            self._sequence = (self._sequence + 1) & 0xFFFF
        # Time goes on while on hold: the timestamp counts samples, sent or not (RFC 3550 5.1).
        self._timestamp = (self._timestamp + FRAME_SAMPLES) & 0xFFFFFFFF

    def read_one(self) -> None:
        """Handle one datagram that arrived on the socket, if there is one."""
        try:
            data = self.socket.recv(_LARGEST_DATAGRAM)
        except OSError:  # nothing after all, or an ICMP error: UDP is best effort
            return
        try:
            packet = RtpPacket.parse(data)
        except ValueError:
            return
        self.stats.received += 1
        if packet.payload_type in self._event_types:
            try:
                digits = self._events.feed(packet.timestamp, packet.payload)
            except ValueError:
                return
            for digit in digits:
                self.key(digit, KeyPath.RFC4733)
        elif packet.payload_type == self._payload_type:
            self.stats.hear(packet.payload, self._decode)
            if self._tones is not None:
                for digit in self._tones.feed(self._decode(packet.payload)):
                    self.key(digit, KeyPath.TONE)
