"""Run SIPp as the far end of a call: a UAS scenario on 127.0.0.1, on free ports."""

from __future__ import annotations

import os
import re
import socket
import struct
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SIPP = "/usr/bin/sipp"
SCENARIOS = Path(__file__).parent / "scenarios"
PCAPS = Path("/usr/share/sip-tester")
HOST = "127.0.0.1"

requires_sipp = pytest.mark.skipif(
    not os.access(SIPP, os.X_OK),
    reason="SIPp (Debian package sip-tester) is not installed at /usr/bin/sipp",
)


def free_port_block(count: int) -> int:
    """An even port whose next `count - 1` ports are free for UDP and TCP right now."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind((HOST, 0))
            base: int = probe.getsockname()[1] & ~1
        if base + count > 65535:
            continue
        if all(_is_free(base + offset) for offset in range(count)):
            return base
    raise RuntimeError("no free block of ports")


def _is_free(port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                return False
    return True


def _listening(port: int, transport: str) -> bool:
    """Whether a socket is bound to the port (UDP) or listening on it (TCP), per /proc."""
    table = "/proc/net/udp" if transport == "udp" else "/proc/net/tcp"
    wanted = f"0100007F:{port:04X}"
    with open(table) as rows:
        for row in rows.readlines()[1:]:
            fields = row.split()
            if fields[1] == wanted and (transport == "udp" or fields[3] == "0A"):
                return True
    return False


@dataclass
class Sipp:
    process: subprocess.Popen[bytes]
    sip_port: int
    media_port: int
    messages: Path
    log: Path

    def wait(self, timeout: float = 15.0) -> int:
        """SIPp's exit status: 0 when every call followed the scenario."""
        return self.process.wait(timeout=timeout)

    def received(self, method: str) -> list[str]:
        """The text of each `method` request SIPp received, from its message trace."""
        return [text for text in self._received() if text.startswith(f"{method} ")]

    def responses(self, method: str) -> list[str]:
        """The text of each response SIPp received to a `method` request of its own."""
        return [
            text
            for text in self._received()
            if text.startswith("SIP/2.0 ") and re.search(rf"^CSeq: \d+ {method}$", text, re.M)
        ]

    def _received(self) -> list[str]:
        if not self.messages.exists():
            return []  # nothing came
        text = self.messages.read_text(errors="replace")
        found = []
        for chunk in text.split("message received")[1:]:
            body = chunk.split("\n\n", 1)[1] if "\n\n" in chunk else chunk
            found.append(body.split("\n---", 1)[0])
        return found

    def diagnostics(self) -> str:
        parts = [self.log.read_text(errors="replace")[-3000:]]
        if self.messages.exists():
            parts.append(self.messages.read_text(errors="replace")[-4000:])
        return "\n".join(parts)


def dtmf_pcap(directory: Path, digit: str, payload_type: int = 101, *, press: int = 0) -> Path:
    """SIPp's RFC 2833 pcap for `digit`, with its RTP payload type rewritten if asked.

    Every copy of one pcap carries the same RTP timestamp, which a receiver rightly takes for
    the same press; `press` n > 0 moves timestamp and sequence numbers on, so that the same key
    played again counts as the n-th new press."""
    source = PCAPS / f"dtmf_2833_{digit}.pcap"
    if payload_type == 101 and press == 0:
        return source
    data = bytearray(source.read_bytes())
    offset = 24  # pcap global header
    while offset < len(data):
        included = struct.unpack_from("<I", data, offset + 8)[0]
        packet = offset + 16
        udp, rtp = packet + 14 + 20, packet + 14 + 20 + 8  # Ethernet, IPv4, UDP headers
        data[udp + 6 : udp + 8] = b"\0\0"  # no UDP checksum (allowed on IPv4)
        data[rtp + 1] = (data[rtp + 1] & 0x80) | payload_type
        sequence, timestamp = struct.unpack_from("!HI", data, rtp + 2)
        struct.pack_into(
            "!HI",
            data,
            rtp + 2,
            (sequence + 100 * press) % 2**16,
            (timestamp + 8000 * press) % 2**32,
        )
        offset = packet + included
    target = directory / f"dtmf_{digit}_pt{payload_type}_press{press}.pcap"
    target.write_bytes(bytes(data))
    return target


@contextmanager
def sipp_uas(
    scenario: str,
    workdir: Path,
    *,
    transport: str = "udp",
    replacements: Mapping[str, str] | None = None,
    rtp_echo: bool = True,
    calls: int = 1,
) -> Iterator[Sipp]:
    """Start SIPp with the scenario (placeholders filled in) for `calls` calls; always killed."""
    text = (SCENARIOS / scenario).read_text()
    for placeholder, value in (replacements or {}).items():
        text = text.replace(f"@{placeholder}@", value)
    if unfilled := re.findall(r"@[A-Z_]+@", text):
        raise ValueError(f"{scenario}: no value given for {', '.join(sorted(set(unfilled)))}")
    script = workdir / scenario
    script.write_text(text)
    sip_port = free_port_block(1)
    media_port = free_port_block(4)
    messages, log = workdir / "sipp-messages.log", workdir / "sipp-output.log"
    command = [
        SIPP,
        "-sf",
        str(script),
        "-t",
        "u1" if transport == "udp" else "t1",
        "-i",
        HOST,
        "-p",
        str(sip_port),
        "-mi",
        HOST,
        "-mp",
        str(media_port),
        "-m",
        str(calls),
        "-timeout",
        "30s",
        "-timeout_error",
        "-nostdin",
        "-trace_msg",
        "-message_file",
        str(messages),
        "-trace_err",
        "-error_file",
        str(workdir / "sipp-errors.log"),
    ]
    if rtp_echo:
        command.append("-rtp_echo")
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=workdir)
    sipp = Sipp(process, sip_port, media_port, messages, log)
    try:
        deadline = time.monotonic() + 10
        while not _listening(sip_port, transport):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"SIPp did not start:\n{sipp.diagnostics()}")
            time.sleep(0.01)  # polling a condition, bounded by the deadline above
        yield sipp
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
