"""SIP messages (RFC 3261 section 7): parsing, building and stream framing."""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass, field

# Compact header forms (RFC 3261 section 7.3.3) expanded on parse.
_COMPACT = {
    "i": "Call-ID",
    "f": "From",
    "t": "To",
    "v": "Via",
    "m": "Contact",
    "l": "Content-Length",
    "c": "Content-Type",
    "k": "Supported",
    "s": "Subject",
    "e": "Content-Encoding",
    "x": "Session-Expires",  # RFC 4028
}
_CANONICAL = {
    name.lower(): name
    for name in (
        "Call-ID",
        "CSeq",
        "WWW-Authenticate",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "P-Asserted-Identity",
        "Max-Forwards",
        "Min-SE",
    )
}
MAGIC_COOKIE = "z9hG4bK"
MAX_MESSAGE_BYTES = 65_536


class SipParseError(ValueError):
    """The bytes are not a SIP message we can read."""


# Remembered because every header of every message is looked up by name, dozens per call;
# bounded because names arrive from the network.
@functools.lru_cache(maxsize=1024)
def canonical_name(name: str) -> str:
    name = name.strip()
    if len(name) == 1 and name.lower() in _COMPACT:
        return _COMPACT[name.lower()]
    return _CANONICAL.get(name.lower(), "-".join(part.capitalize() for part in name.split("-")))


@dataclass
class SipMessage:
    """A request (`method` set) or a response (`status` set). Header order is preserved."""

    method: str = ""
    uri: str = ""
    status: int = 0
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    # Where a received message came from (UDP), so a response goes back there (RFC 3261
    # 18.2.2 with rport); not part of the message itself.
    source: tuple[str, int] | None = field(default=None, compare=False)

    @property
    def is_request(self) -> bool:
        return bool(self.method)

    def get(self, name: str) -> str | None:
        wanted = canonical_name(name)
        for key, value in self.headers:
            if key == wanted:
                return value
        return None

    def get_all(self, name: str) -> list[str]:
        wanted = canonical_name(name)
        return [value for key, value in self.headers if key == wanted]

    def add(self, name: str, value: str) -> None:
        if "\r" in value or "\n" in value:
            raise ValueError(f"header {name} contains a line break")
        self.headers.append((canonical_name(name), value))

    def set(self, name: str, value: str) -> None:
        wanted = canonical_name(name)
        self.headers = [(key, val) for key, val in self.headers if key != wanted]
        self.add(wanted, value)

    @property
    def call_id(self) -> str:
        return self.get("Call-ID") or ""

    @property
    def cseq(self) -> tuple[int, str]:
        number, _, method = (self.get("CSeq") or "0 ?").partition(" ")
        return int(number), method.strip()

    def encode(self) -> bytes:
        if self.is_request:
            start = f"{self.method} {self.uri} SIP/2.0"
        else:
            start = f"SIP/2.0 {self.status} {self.reason}"
        lines = [start]
        lines += [f"{key}: {value}" for key, value in self.headers if key != "Content-Length"]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


def parse(data: bytes) -> SipMessage:
    """Parse one complete SIP message. Folded header lines are joined."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise SipParseError("message too large")
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        head, separator, body = data.partition(b"\n\n")
    lines = head.decode("utf-8", errors="replace").replace("\r\n", "\n").split("\n")
    start = lines[0].strip()
    message = SipMessage()
    if start.startswith("SIP/2.0 "):
        parts = start.split(" ", 2)
        if len(parts) < 2 or not parts[1].isdecimal():
            raise SipParseError(f"bad status line {start!r}")
        message.status = int(parts[1])
        message.reason = parts[2] if len(parts) > 2 else ""
    else:
        parts = start.split(" ")
        if len(parts) != 3 or parts[2] != "SIP/2.0":
            raise SipParseError(f"bad request line {start!r}")
        message.method, message.uri = parts[0], parts[1]
    unfolded: list[str] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and unfolded:
            unfolded[-1] += " " + line.strip()
        elif line:
            unfolded.append(line)
    for line in unfolded:
        name, colon, value = line.partition(":")
        if not colon:
            raise SipParseError(f"bad header line {line!r}")
        message.headers.append((canonical_name(name), value.strip()))
    length = message.get("Content-Length")
    message.body = body[: int(length)] if length and length.isdecimal() else body
    return message


def split_stream(buffer: bytes) -> tuple[bytes | None, bytes]:
    """Take one message off the front of a stream (TCP/TLS) buffer: (message or None, rest)."""
    buffer = buffer.lstrip(b"\r\n")  # keep-alive CRLFs (RFC 5626)
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > MAX_MESSAGE_BYTES:
            raise SipParseError("header section too large")
        return None, buffer
    header_end = end + 4
    match = re.search(
        rb"^(?:content-length|l)[ \t]*:[ \t]*(\d+)", buffer[:end], re.IGNORECASE | re.MULTILINE
    )
    length = int(match.group(1)) if match else 0
    if header_end + length > len(buffer):
        return None, buffer
    return buffer[: header_end + length], buffer[header_end + length :]


def header_param(value: str, name: str) -> str | None:
    """A `;name=value` parameter of a header such as To, From or Via (outside <...>)."""
    tail = value.rsplit(">", 1)[-1] if ">" in value else value
    for part in tail.split(";")[1:]:
        key, _, param = part.partition("=")
        if key.strip().lower() == name.lower():
            return param.strip()
    return None


def uri_of(name_addr: str) -> str:
    """The URI in `"Name" <sip:x@y>;tag=1` or a bare `sip:x@y;tag=1`."""
    if "<" in name_addr:
        return name_addr.split("<", 1)[1].split(">", 1)[0]
    return name_addr.split(";", 1)[0].strip()


def new_tag() -> str:
    return secrets.token_hex(6)


def new_branch() -> str:
    return MAGIC_COOKIE + secrets.token_hex(8)


def response_to(request: SipMessage, status: int, reason: str, to_tag: str = "") -> SipMessage:
    """A response carrying the request's Via, From, To, Call-ID and CSeq (section 8.2.6)."""
    reply = SipMessage(status=status, reason=reason)
    for name in ("Via", "From", "To", "Call-ID", "CSeq"):
        for value in request.get_all(name):
            if name == "To" and to_tag and header_param(value, "tag") is None:
                value = f"{value};tag={to_tag}"
            reply.add(name, value)
    return reply
