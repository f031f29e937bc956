"""Signing a delivery as Standard Webhooks has it (https://www.standardwebhooks.com, spec
1.0.0, "Signature scheme" and "Webhook headers"): HMAC-SHA256 over `{id}.{timestamp}.{body}`
with the secret's bytes, base64, as `v1,<signature>` in `webhook-signature`; one signature per
secret in force, space-separated, so a receiver keeps working while a secret is rotated.

Secrets are shown as `whsec_` and the base64 of 32 random bytes (the spec asks for 24 to 64)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix Standard Webhooks gives secrets)
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key a `whsec_...` secret stands for."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)


def signature(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(
    secrets_in_force: Sequence[str], *, message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three headers of a delivery attempt: `webhook-id` is the event's (the same on every
    attempt), `webhook-timestamp` this attempt's, in whole seconds."""
    signatures = " ".join(
        signature(secret, message_id=message_id, timestamp=timestamp, body=body)
        for secret in secrets_in_force
    )
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }
