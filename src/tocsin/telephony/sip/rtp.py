"""RTP (RFC 3550) for one call: paced G.711 sending, receiving, and DTMF from either path.

Frames are sent on an absolute schedule (start + n * 20 ms on the loop's monotonic clock), so
a late wake-up is not carried into later frames as it would be with `sleep(0.02)` per frame.
One `Pacer` drives every session of a provider: one timer wake-up per frame for all calls
rather than one per call. Clips are G.711-encoded once when played, not frame by frame.
Between prompts a session sends silence, which keeps the media path (and NATs) open.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import struct
import weakref
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tocsin.telephony import audio
from tocsin.telephony.audio import Samples
from tocsin.telephony.sip.datagrams import Address, Datagrams
from tocsin.telephony.sip.dtmf import EventDecoder, KeyPath, OnePressOneKey, ToneDetector
from tocsin.telephony.sip.sdp import MediaAnswer

FRAME_SECONDS = 0.020
FRAME_SAMPLES = 160
# A frame sent a whole frame after its slot is late: the far end's jitter buffer may drop it.
LATE_SECONDS = FRAME_SECONDS
# epoll rounds timeouts up to whole milliseconds, so waking this much before a slot centres
# send times on it instead of always trailing it by up to 1 ms.
TIMER_SLACK = 0.001


@dataclass(frozen=True)
class RtpPacket:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False

    def pack(self) -> bytes:
        return (
            struct.pack(
                "!BBHII",
                0x80,
                (0x80 if self.marker else 0) | self.payload_type,
                self.sequence & 0xFFFF,
                self.timestamp & 0xFFFFFFFF,
                self.ssrc,
            )
            + self.payload
        )

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        if len(data) < 12 or data[0] >> 6 != 2:
            raise ValueError("not an RTP version 2 packet")
        first, second, sequence, timestamp, ssrc = struct.unpack("!BBHII", data[:12])
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
    received_audio_samples: int = 0
    received_sum_squares: float = 0.0

    @property
    def received_rms(self) -> float:
        if not self.received_audio_samples:
            return 0.0
        return float(np.sqrt(self.received_sum_squares / self.received_audio_samples))


def _encoder(codec: str) -> Callable[[Samples], bytes]:
    return audio.pcm_to_ulaw if codec == "PCMU" else audio.pcm_to_alaw


def _decoder(codec: str) -> Callable[[bytes], Samples]:
    return audio.ulaw_to_pcm if codec == "PCMU" else audio.alaw_to_pcm


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
    """The 20 ms clock of a set of RTP sessions; runs while at least one session is added."""

    def __init__(self) -> None:
        self._sessions: dict[RtpSession, None] = {}
        self._task: asyncio.Task[None] | None = None

    def add(self, session: RtpSession) -> None:
        self._sessions[session] = None
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    def remove(self, session: RtpSession) -> None:
        self._sessions.pop(session, None)

    async def close(self) -> None:
        """Stop the clock now rather than at its next tick (for a provider that is closing)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        frame = 0
        while self._sessions:
            target = start + frame * FRAME_SECONDS
            # Sleeping even when behind lets received packets and SIP be handled meanwhile.
            await asyncio.sleep(max(0.0, target - TIMER_SLACK - loop.time()))
            for session in list(self._sessions):
                session.send_frame(loop.time() - target)
            frame += 1


class RtpSession:
    """Media for one call, from answer to hang-up. Digits arrive on `digits` (a queue), one per
    key press whether it came as RFC 4733, in-band tones or (through `key`) SIP INFO."""

    def __init__(self, sock: socket.socket, pacer: Pacer | None = None) -> None:
        self._socket = sock
        self._pacer = pacer or Pacer()
        self.local_port: int = sock.getsockname()[1]
        self.stats = MediaStats()
        self.digits: asyncio.Queue[str] = asyncio.Queue()
        self._transport: asyncio.DatagramTransport | None = None
        self._protocol: Datagrams | None = None
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

    async def start(self, answer: MediaAnswer) -> None:
        loop = asyncio.get_running_loop()
        self.follow(answer)
        self._transport, self._protocol = await loop.create_datagram_endpoint(
            lambda: Datagrams(self._received), sock=self._socket
        )
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
        self._silence = self._encode(np.zeros(FRAME_SAMPLES, dtype=np.int16))
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

    async def close(self) -> None:
        """Stop, and close the socket (waiting until it is closed)."""
        self.stop()
        self._pacer.remove(self)
        if self._transport is not None and self._protocol is not None:
            self._transport.close()
            await self._protocol.closed
        else:
            self._socket.close()

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
        if self._transport is None or self._transport.is_closing():
            return
        payload, marker = self._next_payload()
        if self._sending:
            packet = RtpPacket(
                self._payload_type, self._sequence, self._timestamp, self._ssrc, payload, marker
            )
            self._transport.sendto(packet.pack(), self._remote)
            self.stats.sent += 1
            self.stats.send_deviations.append(deviation)
            if deviation > LATE_SECONDS:
                self.stats.late += 1
            self._sequence = (self._sequence + 1) & 0xFFFF
        # Time goes on while on hold: the timestamp counts samples, sent or not (RFC 3550 5.1).
        self._timestamp = (self._timestamp + FRAME_SAMPLES) & 0xFFFFFFFF

    def _received(self, data: bytes, _source: Address) -> None:
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
            samples = self._decode(packet.payload)
            values = samples.astype(np.float64)
            self.stats.received_audio_samples += values.size
            self.stats.received_sum_squares += float(np.dot(values, values))
            if self._tones is not None:
                for digit in self._tones.feed(samples):
                    self.key(digit, KeyPath.TONE)
