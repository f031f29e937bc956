"""SIP over TLS, against a minimal in-process TLS peer (the Debian SIPp is built without TLS)."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from tocsin.telephony.base import CallEventKind, CallRequest
from tocsin.telephony.sip import SipTrunkConfig, SipTrunkProvider
from tocsin.telephony.sip.message import SipMessage, parse, response_to, split_stream

HOST = "127.0.0.1"

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=localhost",
            "-addext",
            f"subjectAltName=IP:{HOST}",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


class BusyPeer:
    """Rings once, then answers 486 Busy Here; keeps every request it read."""

    def __init__(self) -> None:
        self.requests: list[SipMessage] = []
        self.acked = asyncio.Event()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = b""
        while not self.acked.is_set() and (chunk := await reader.read(65536)):
            buffer += chunk
            while True:
                data, buffer = split_stream(buffer)
                if data is None:
                    break
                request = parse(data)
                self.requests.append(request)
                if request.method == "INVITE":
                    writer.write(response_to(request, 180, "Ringing", to_tag="peer").encode())
                    writer.write(response_to(request, 486, "Busy Here", to_tag="peer").encode())
                elif request.method == "ACK":
                    self.acked.set()
        writer.close()


def test_call_over_tls_verifies_the_trunk_certificate(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    peer = BusyPeer()

    async def scenario() -> list[CallEventKind]:
        server = await asyncio.start_server(peer.serve, HOST, 0, ssl=server_context)
        port = server.sockets[0].getsockname()[1]
        config = SipTrunkConfig(
            host=HOST,
            port=port,
            transport="tls",
            local_host=HOST,
            tls_context=ssl.create_default_context(cafile=str(cert)),
        )
        provider = SipTrunkProvider(config)
        try:
            async with asyncio.timeout(20):
                call = await provider.dial(CallRequest("tls-1", "+15557654321", "+1555", "x"))
                kinds = [event.kind async for event in call.events()]
                await peer.acked.wait()
                return kinds
        finally:
            await provider.close()
            server.close()
            await server.wait_closed()

    kinds = asyncio.run(scenario())
    assert kinds == [CallEventKind.RINGING, CallEventKind.BUSY]
    invite, ack = peer.requests
    assert invite.uri.endswith(";transport=tls")
    assert (invite.get("Via") or "").startswith("SIP/2.0/TLS ")
    assert ack.method == "ACK"
