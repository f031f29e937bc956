"""A real HTTPS server that receives outgoing webhooks, for tests: a certificate for a made-up
host name signed by a throwaway CA (made here with `cryptography`), a server thread on
127.0.0.1, answers a test lines up, and a check of each request's Standard Webhooks signature
written here from the specification (https://www.standardwebhooks.com, "Signature scheme",
"Verifying signatures"), independently of Tocsin's own signing code.

Tocsin reaches it only through the seams a test sets: a host policy whose resolver says the
made-up name is 127.0.0.1 and whose allowlist admits that one address, and a TLS context that
trusts the throwaway CA. The server's own defaults (public hosts, the system's trust store)
would refuse it, which tests/outgoing/test_private_addresses.py shows."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ssl
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_network
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tocsin.core.addresses import HostAllowlist
from tocsin.core.clock import Clock
from tocsin.telephony.hosts import HostPolicy

HOST_NAME = "hooks.receiver.test"
# How far a signed timestamp may be from the test clock (the specification's suggestion).
TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    # Which of the receiver's secrets a signature of the request matched, or None.
    signed_with: str | None
    timestamp_fresh: bool


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    # Hold the answer until this is set (a receiver that does not answer in time).
    hold: threading.Event | None = None


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _certificates(directory: Path, host: str) -> tuple[Path, Path, bytes]:
    """A CA, and a certificate for `host` it signed: (certificate file, key file, CA PEM)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Tocsin test CA"))
        .issuer_name(_name("Tocsin test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = directory / "receiver.pem", directory / "receiver.key"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file, ca.public_bytes(serialization.Encoding.PEM)


def verify(secrets: list[str], headers: dict[str, str], body: bytes) -> str | None:
    """The secret one of the request's `v1` signatures was made with, or None: HMAC-SHA256,
    keyed with the base64-decoded part of `whsec_...`, over `{webhook-id}.{webhook-timestamp}.`
    and the raw body, base64; compared in constant time, as the specification asks."""
    message_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    if not message_id or not stamp.isdigit() or "." in message_id:
        return None
    offered = [
        part.split(",", 1)[1]
        for part in headers.get("webhook-signature", "").split(" ")
        if part.startswith("v1,")
    ]
    for secret in secrets:
        key = base64.b64decode(secret.split("_", 1)[1])
        expected = base64.b64encode(
            hmac.new(key, f"{message_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
        ).decode()
        if any(hmac.compare_digest(expected, candidate) for candidate in offered):
            return secret
    return None


class Receiver:
    """The server, its answers (first in, first out; 200 once they run out) and what it got."""

    def __init__(self, directory: Path, clock: Clock, host: str = HOST_NAME) -> None:
        self.host = host
        self.clock = clock
        self.secrets: list[str] = []
        self.answers: deque[Answer] = deque()
        self.received: list[Received] = []
        self._holds: list[threading.Event] = []
        self._lock = threading.Lock()
        cert_file, key_file, self.ca_pem = _certificates(directory, host)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert_file, key_file)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port: int = self._server.server_address[1]
        # serve_forever looks for a shutdown between polls: every half second by default, which
        # each test using a receiver waited for at its end.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def url(self, path: str = "/tocsin") -> str:
        return f"https://{self.host}:{self.port}{path}"

    def answer(self, *answers: Answer | int) -> None:
        for answer in answers:
            made = answer if isinstance(answer, Answer) else Answer(answer)
            if made.hold is not None:
                self._holds.append(made.hold)
            self.answers.append(made)

    @property
    def policy(self) -> HostPolicy:
        """The test's seam: its made-up name is 127.0.0.1, which the allowlist admits."""

        def resolve(host: str, port: int) -> list[str]:
            if host != self.host:
                raise OSError("no such host")
            return ["127.0.0.1"]

        return HostPolicy(HostAllowlist(networks=(ip_network("127.0.0.1/32"),)), resolve)

    @property
    def tls(self) -> ssl.SSLContext:
        """What a client needs to trust this server: its CA and nothing else."""
        return ssl.create_default_context(cadata=self.ca_pem.decode())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                stamp = headers.get("webhook-timestamp", "")
                fresh = (
                    stamp.isdigit()
                    and abs(int(stamp) - receiver.clock.now().timestamp())
                    <= TOLERANCE.total_seconds()
                )
                with receiver._lock:
                    answer = receiver.answers.popleft() if receiver.answers else Answer()
                    receiver.received.append(
                        Received(
                            self.path, headers, body, verify(receiver.secrets, headers, body), fresh
                        )
                    )
                if answer.hold is not None:
                    answer.hold.wait(10)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for hold in self._holds:
            hold.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
