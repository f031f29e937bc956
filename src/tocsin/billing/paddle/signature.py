"""Verifying `Paddle-Signature: ts=<unix seconds>;h1=<hex>[;h1=<hex>...]`.

Paddle signs `<ts>:<raw body>` with HMAC-SHA256 under the notification destination's secret.
While a secret is being rotated Paddle sends one h1 per secret, and we may hold the old and new
one too: any h1 matching any secret is enough. The timestamp must be within the tolerance of our
clock either way, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tocsin.core.errors import Unauthorized


@dataclass(frozen=True)
class SignatureHeader:
    timestamp: int
    signatures: tuple[str, ...]


def parse_header(header: str | None) -> SignatureHeader:
    if not header:
        raise Unauthorized("Paddle-Signature header is missing", code="missing_signature")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "ts" and value.isdigit():
            timestamp = int(value)
        elif name == "h1" and value:
            signatures.append(value.strip().lower())
    if timestamp is None or not signatures:
        raise Unauthorized(
            "Paddle-Signature header needs ts=<seconds> and at least one h1=<hex>",
            code="invalid_signature",
        )
    return SignatureHeader(timestamp, tuple(signatures))


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, f"{timestamp}:".encode() + body, hashlib.sha256).hexdigest()


def verify(
    header: str | None,
    body: bytes,
    *,
    secrets: Sequence[bytes],
    now: datetime,
    tolerance_seconds: int,
) -> None:
    """Return quietly for a genuine, fresh request; Unauthorized for anything else."""
    parsed = parse_header(header)
    age = now.timestamp() - parsed.timestamp
    if abs(age) > tolerance_seconds:
        raise Unauthorized(
            f"Paddle-Signature timestamp is {abs(age):.0f} s from our clock; the limit is "
            f"{tolerance_seconds} s",
            code="signature_expired",
        )
    matched = False
    # Every comparison runs, so the time taken says nothing about which one was close.
    for secret in secrets:
        expected = sign(secret, parsed.timestamp, body)
        for candidate in parsed.signatures:
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise Unauthorized("Paddle-Signature does not match", code="invalid_signature")
