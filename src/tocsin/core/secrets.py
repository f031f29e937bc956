"""Server-side keys derived from the instance secret, and the API key format.

An API key is `tk_<public id>_<secret>`. The public id finds the row; only an HMAC-SHA256 digest
of the secret is stored, so a database leak does not yield working keys, and comparison is
constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass

API_KEY_PREFIX = "tk"
_PUBLIC_ID_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits
_PUBLIC_ID_LENGTH = 12
_SECRET_LENGTH = 40


def derive_key(master: bytes, purpose: str) -> bytes:
    """One independent key per purpose, so a key used to sign tokens never digests API keys."""
    return hmac.new(master, f"tocsin/{purpose}".encode(), hashlib.sha256).digest()


def digest(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def digests_match(expected: str, candidate: str) -> bool:
    return hmac.compare_digest(expected.encode(), candidate.encode())


def random_token(length: int, alphabet: str = _SECRET_ALPHABET) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass(frozen=True)
class ApiKeyParts:
    public_id: str
    secret: str

    @property
    def plaintext(self) -> str:
        return f"{API_KEY_PREFIX}_{self.public_id}_{self.secret}"


def generate_api_key() -> ApiKeyParts:
    return ApiKeyParts(
        public_id=random_token(_PUBLIC_ID_LENGTH, _PUBLIC_ID_ALPHABET),
        secret=random_token(_SECRET_LENGTH),
    )


def parse_api_key(value: str) -> ApiKeyParts | None:
    parts = value.strip().split("_")
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    public_id, secret = parts[1], parts[2]
    if len(public_id) != _PUBLIC_ID_LENGTH or len(secret) != _SECRET_LENGTH:
        return None
    if not (set(public_id) <= set(_PUBLIC_ID_ALPHABET) and set(secret) <= set(_SECRET_ALPHABET)):
        return None
    return ApiKeyParts(public_id, secret)
