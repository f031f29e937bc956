"""SDP offer/answer for one audio stream (RFC 4566, RFC 3264): G.711 plus telephone-event."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

STATIC_PAYLOAD_TYPES = {"PCMU": 0, "PCMA": 8}
OFFERED_TELEPHONE_EVENT = 101
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
# RFC 3264 6.1: how an answer marks a stream offered each way.
_ANSWERING = {
    "sendrecv": "sendrecv",
    "sendonly": "recvonly",
    "recvonly": "sendonly",
    "inactive": "inactive",
}


class SdpError(ValueError):
    """The description has no audio stream we can use."""


@dataclass(frozen=True)
class MediaAnswer:
    """The far end's audio stream, from its answer to our offer or from an offer of its own."""

    host: str
    port: int
    codec: str  # "PCMU" or "PCMA"
    payload_type: int
    telephone_event: int | None  # the payload type the far end's SDP chose, if any
    direction: str = "sendrecv"  # as the far end sees it

    @property
    def event_payload_types(self) -> frozenset[int]:
        """The payload types to read telephone-events on. The payload types of our offer are
        the ones we receive (RFC 3264 5.1), so the far end should send them as 101; some send
        them as numbered in the answer instead. Both are heard, unless the answer gave one
        of them to its codec."""
        types = {OFFERED_TELEPHONE_EVENT}
        if self.telephone_event is not None:
            types.add(self.telephone_event)
        return frozenset(types - {self.payload_type})

    @property
    def receives(self) -> bool:
        """Whether the far end takes our audio: not on hold (sendonly or inactive, or the
        RFC 2543 way, address 0.0.0.0)."""
        return self.direction in ("sendrecv", "recvonly") and self.host != "0.0.0.0"  # noqa: S104


def answering(offered: str) -> str:
    """Our direction in the answer to a stream offered `offered` (RFC 3264 6.1)."""
    return _ANSWERING.get(offered, "sendrecv")


class LocalDescription:
    """Our side of the call's session: one o= line for the whole call, whose version goes up
    by one exactly when what we describe changes (RFC 3264 8), so an offer or answer that
    repeats us unchanged repeats our version too."""

    def __init__(self, host: str, port: int, codecs: tuple[str, ...]) -> None:
        self.host = host
        self.port = port
        self.codecs = codecs
        self.direction = "sendrecv"
        self._session = secrets.randbelow(2**31)
        self._version = self._session
        self._described: list[str] | None = None

    def sdp(self, direction: str | None = None) -> bytes:
        """Our description, now with `direction` if given."""
        self.direction = direction or self.direction
        described = self._lines()
        if self._described is not None and described != self._described:
            self._version += 1
        self._described = described
        origin = f"o=tocsin {self._session} {self._version} IN IP4 {self.host}"
        return ("\r\n".join(["v=0", origin, *described]) + "\r\n").encode()

    def _lines(self) -> list[str]:
        payload_types = [STATIC_PAYLOAD_TYPES[codec] for codec in self.codecs]
        formats = " ".join(map(str, [*payload_types, OFFERED_TELEPHONE_EVENT]))
        return [
            "s=tocsin",
            f"c=IN IP4 {self.host}",
            "t=0 0",
            f"m=audio {self.port} RTP/AVP {formats}",
            *(f"a=rtpmap:{STATIC_PAYLOAD_TYPES[codec]} {codec}/8000" for codec in self.codecs),
            f"a=rtpmap:{OFFERED_TELEPHONE_EVENT} telephone-event/8000",
            f"a=fmtp:{OFFERED_TELEPHONE_EVENT} 0-16",
            "a=ptime:20",
            f"a={self.direction}",
        ]


def offer(host: str, port: int, codecs: tuple[str, ...]) -> bytes:
    """A first offer, for a description of its own."""
    return LocalDescription(host, port, codecs).sdp()


def parse_answer(body: bytes, offered: tuple[str, ...]) -> MediaAnswer:
    """The first audio stream of the far end's SDP (an answer, or an offer in a re-INVITE or
    UPDATE): where to send, which of `offered` codecs, which DTMF type, which direction."""
    session_host: str | None = None
    media_host: str | None = None
    port: int | None = None
    formats: list[int] = []
    rtpmap: dict[int, str] = {}
    direction = "sendrecv"
    in_audio = False
    for raw in body.decode("utf-8", errors="replace").splitlines():
        line = raw.strip()
        kind, _, value = line.partition("=")
        if kind == "m":
            fields = value.split()
            if in_audio or port is not None:
                break  # only the first audio stream matters
            in_audio = fields[0] == "audio" and len(fields) >= 4
            if in_audio:
                port = int(fields[1])
                formats = [int(f) for f in fields[3:] if f.isdecimal()]
        elif kind == "c":
            address = value.split()[-1].split("/")[0]
            if in_audio:
                media_host = address
            elif port is None:
                session_host = address
        elif kind == "a" and value in DIRECTIONS and (in_audio or port is None):
            direction = value  # media level, when given, wins over session level
        elif kind == "a" and in_audio and value.startswith("rtpmap:"):
            number, _, encoding = value[len("rtpmap:") :].partition(" ")
            if number.isdecimal():
                rtpmap[int(number)] = encoding.split("/")[0]
    host = media_host or session_host
    if port is None or host is None:
        raise SdpError("the description has no audio stream")
    if port == 0:
        raise SdpError("the audio stream is rejected (port 0)")

    def name(payload_type: int) -> str:
        if payload_type in rtpmap:
            return rtpmap[payload_type].upper()
        for codec, number in STATIC_PAYLOAD_TYPES.items():
            if number == payload_type:
                return codec
        return ""

    chosen = next(((name(pt), pt) for pt in formats if name(pt) in offered), None)
    if chosen is None:
        raise SdpError("no codec we offered")
    telephone_event = next(
        (pt for pt in formats if name(pt) == "TELEPHONE-EVENT"),
        None,
    )
    return MediaAnswer(host, port, chosen[0], chosen[1], telephone_event, direction)
