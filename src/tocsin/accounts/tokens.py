"""JWT access and refresh tokens: HS256 only, with issuer, audience and key id checked."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from tocsin.core.errors import Unauthorized

ALGORITHM = "HS256"
ACCESS = "access"
REFRESH = "refresh"
# Tolerates clocks of several API processes that disagree by a few seconds.
ISSUED_AT_LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    token_type: str
    token_id: str
    family_id: str | None
    expires_at: datetime


class TokenCodec:
    """Signs and verifies tokens with one key; `kid` names the key so it can be rotated later."""

    def __init__(self, key: bytes, *, issuer: str, audience: str) -> None:
        self._key = key
        self.key_id = hashlib.sha256(key).hexdigest()[:16]
        self.issuer = issuer
        self.audience = audience

    def encode(
        self,
        *,
        subject: str,
        token_type: str,
        token_id: str,
        issued_at: datetime,
        lifetime: timedelta,
        family_id: str | None = None,
    ) -> str:
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "typ": token_type,
            "jti": token_id,
            "iat": int(issued_at.timestamp()),
            "exp": int((issued_at + lifetime).timestamp()),
        }
        if family_id is not None:
            claims["fam"] = family_id
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.key_id})

    def decode(self, token: str, *, expected_type: str, now: datetime) -> TokenClaims:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("kid") != self.key_id:
                raise Unauthorized("token was signed by an unknown key", code="invalid_token")
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "require": ["exp", "iat", "sub", "jti", "iss", "aud"],
                    # pyjwt checks these against the wall clock; they are checked below instead.
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized("token is invalid", code="invalid_token") from exc
        expires, issued = claims["exp"], claims["iat"]
        if not (_is_timestamp(expires) and _is_timestamp(issued)):
            raise Unauthorized("token is invalid", code="invalid_token")
        # Times are checked against the injected clock, so tests and every process agree.
        current = int(now.timestamp())
        if issued > current + ISSUED_AT_LEEWAY_SECONDS:
            raise Unauthorized("token is not valid yet", code="invalid_token")
        if expires <= current:
            raise Unauthorized("token has expired", code="token_expired")
        if claims.get("typ") != expected_type:
            raise Unauthorized(f"expected a {expected_type} token", code="invalid_token")
        return TokenClaims(
            subject=str(claims["sub"]),
            token_type=str(claims["typ"]),
            token_id=str(claims["jti"]),
            family_id=claims.get("fam"),
            expires_at=datetime.fromtimestamp(expires, tz=now.tzinfo),
        )


def _is_timestamp(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
