"""SDP offer/answer for one audio stream (RFC 4566, RFC 3264): G.711 plus telephone-event."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

STATIC_PAYLOAD_TYPES = {"PCMU": 0, "PCMA": 8}
OFFERED_TELEPHONE_EVENT = 101


class SdpError(ValueError):
    """The answer has no audio stream we can use."""


@dataclass(frozen=True)
class MediaAnswer:
    host: str
    port: int
    codec: str  # "PCMU" or "PCMA"
    payload_type: int
    telephone_event: int | None  # the payload type the ANSWER chose, if any

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


def offer(host: str, port: int, codecs: tuple[str, ...]) -> bytes:
    session = secrets.randbelow(2**31)
    payload_types = [STATIC_PAYLOAD_TYPES[codec] for codec in codecs]
    lines = [
        "v=0",
        f"o=tocsin {session} {session} IN IP4 {host}",
        "s=tocsin",
        f"c=IN IP4 {host}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(map(str, payload_types))} {OFFERED_TELEPHONE_EVENT}",
    ]
    lines += [f"a=rtpmap:{STATIC_PAYLOAD_TYPES[codec]} {codec}/8000" for codec in codecs]
    lines += [
        f"a=rtpmap:{OFFERED_TELEPHONE_EVENT} telephone-event/8000",
        f"a=fmtp:{OFFERED_TELEPHONE_EVENT} 0-16",
        "a=ptime:20",
        "a=sendrecv",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def parse_answer(body: bytes, offered: tuple[str, ...]) -> MediaAnswer:
    """The first audio stream of an answer: where to send, which codec, which DTMF type."""
    session_host: str | None = None
    media_host: str | None = None
    port: int | None = None
    formats: list[int] = []
    rtpmap: dict[int, str] = {}
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
                formats = [int(f) for f in fields[3:] if f.isdigit()]
        elif kind == "c":
            address = value.split()[-1].split("/")[0]
            if in_audio:
                media_host = address
            elif port is None:
                session_host = address
        elif kind == "a" and in_audio and value.startswith("rtpmap:"):
            number, _, encoding = value[len("rtpmap:") :].partition(" ")
            if number.isdigit():
                rtpmap[int(number)] = encoding.split("/")[0]
    host = media_host or session_host
    if port is None or host is None:
        raise SdpError("the answer has no audio stream")
    if port == 0:
        raise SdpError("the answer rejected the audio stream")

    def name(payload_type: int) -> str:
        if payload_type in rtpmap:
            return rtpmap[payload_type].upper()
        for codec, number in STATIC_PAYLOAD_TYPES.items():
            if number == payload_type:
                return codec
        return ""

    chosen = next(((name(pt), pt) for pt in formats if name(pt) in offered), None)
    if chosen is None:
        raise SdpError("the answer chose no codec we offered")
    telephone_event = next(
        (pt for pt in formats if name(pt) == "TELEPHONE-EVENT"),
        None,
    )
    return MediaAnswer(host, port, chosen[0], chosen[1], telephone_event)
