"""Ping keys: the secret a job sends with each ping, as API keys are kept (core/secrets.py).

A key is `hbk_` and 40 letters and digits. Only its HMAC-SHA256 digest (keyed by the instance
secret, `Runtime.heartbeat_key_digest_key`) and its first characters are stored, so a copy of the
database pings nothing; it is shown once, when made or rotated. The monitor's id in the URL finds
the row; the key is then compared in constant time, and an unknown id costs the same comparison,
so neither answer nor timing says whether an id exists.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from tocsin.core.secrets import digest, digests_match, random_token

KEY_PREFIX = "hbk_"
_SECRET_LENGTH = 40
_SECRET_ALPHABET = frozenset(string.ascii_letters + string.digits)
# What a list shows of a key: enough to tell two apart, too little to guess the rest.
SHOWN_CHARACTERS = 8
_NO_DIGEST = "0" * 64


@dataclass(frozen=True)
class NewKey:
    plaintext: str
    prefix: str
    digest: str


def new_key(digest_key: bytes) -> NewKey:
    plaintext = KEY_PREFIX + random_token(_SECRET_LENGTH)
    return NewKey(plaintext, plaintext[:SHOWN_CHARACTERS], digest(digest_key, plaintext))


def well_formed(candidate: str) -> bool:
    secret = candidate.removeprefix(KEY_PREFIX)
    return (
        candidate.startswith(KEY_PREFIX)
        and len(secret) == _SECRET_LENGTH
        and set(secret) <= _SECRET_ALPHABET
    )


def key_matches(digest_key: bytes, stored_digest: str | None, candidate: str) -> bool:
    """Whether `candidate` is the key whose digest is stored; `stored_digest` None (no such
    monitor) is compared too, and never matches."""
    expected = stored_digest or _NO_DIGEST
    shaped = well_formed(candidate)
    matches = digests_match(expected, digest(digest_key, candidate if shaped else ""))
    return matches and shaped and stored_digest is not None
