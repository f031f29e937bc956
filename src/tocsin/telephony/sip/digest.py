"""HTTP digest authentication for SIP (RFC 2617, RFC 7616 MD5 and SHA-256, qop=auth)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

_ALGORITHMS = {"MD5": "md5", "SHA-256": "sha256"}
_PARAM = re.compile(r'([A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]+)')


class DigestError(ValueError):
    """A challenge we cannot answer."""


@dataclass(frozen=True)
class Challenge:
    realm: str
    nonce: str
    algorithm: str = "MD5"
    qop: tuple[str, ...] = ()
    opaque: str | None = None


def parse_challenge(header: str) -> Challenge:
    """Parse a WWW-Authenticate / Proxy-Authenticate value."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        raise DigestError(f"unsupported authentication scheme {scheme!r}")
    params = {
        key.lower(): value[1:-1] if value.startswith('"') else value
        for key, value in _PARAM.findall(rest)
    }
    if "realm" not in params or "nonce" not in params:
        raise DigestError("digest challenge without realm or nonce")
    algorithm = params.get("algorithm", "MD5").upper()
    if algorithm not in _ALGORITHMS:
        raise DigestError(f"unsupported digest algorithm {algorithm!r}")
    qop = tuple(q.strip() for q in params.get("qop", "").split(",") if q.strip())
    if qop and "auth" not in qop:
        raise DigestError("only qop=auth is supported")
    return Challenge(params["realm"], params["nonce"], algorithm, qop, params.get("opaque"))


def _hash(algorithm: str, text: str) -> str:
    return hashlib.new(_ALGORITHMS[algorithm], text.encode()).hexdigest()


def digest_response(
    challenge: Challenge,
    *,
    username: str,
    password: str,
    method: str,
    uri: str,
    cnonce: str = "",
    nonce_count: int = 1,
) -> str:
    """The `response=` value: KD(H(A1), nonce[:nc:cnonce:qop]:H(A2))."""
    ha1 = _hash(challenge.algorithm, f"{username}:{challenge.realm}:{password}")
    ha2 = _hash(challenge.algorithm, f"{method}:{uri}")
    if challenge.qop:
        return _hash(
            challenge.algorithm,
            f"{ha1}:{challenge.nonce}:{nonce_count:08x}:{cnonce}:auth:{ha2}",
        )
    return _hash(challenge.algorithm, f"{ha1}:{challenge.nonce}:{ha2}")


def authorization(
    challenge: Challenge,
    *,
    username: str,
    password: str,
    method: str,
    uri: str,
    cnonce: str | None = None,
    nonce_count: int = 1,
) -> str:
    """An Authorization / Proxy-Authorization header value answering the challenge."""
    cnonce = cnonce or secrets.token_hex(8)
    response = digest_response(
        challenge,
        username=username,
        password=password,
        method=method,
        uri=uri,
        cnonce=cnonce,
        nonce_count=nonce_count,
    )
    parts = [
        f'username="{username}"',
        f'realm="{challenge.realm}"',
        f'nonce="{challenge.nonce}"',
        f'uri="{uri}"',
        f'response="{response}"',
        f"algorithm={challenge.algorithm}",
    ]
    if challenge.qop:
        parts += ["qop=auth", f"nc={nonce_count:08x}", f'cnonce="{cnonce}"']
    if challenge.opaque is not None:
        parts.append(f'opaque="{challenge.opaque}"')
    return "Digest " + ", ".join(parts)


def parse_authorization(header: str) -> dict[str, str]:
    """The parameters of an Authorization header (for verification and tests)."""
    _, _, rest = header.strip().partition(" ")
    return {
        key.lower(): value[1:-1] if value.startswith('"') else value
        for key, value in _PARAM.findall(rest)
    }
