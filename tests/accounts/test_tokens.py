"""JWT access and refresh tokens: what the codec signs, and every way a token is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from tocsin.accounts.tokens import ACCESS, REFRESH, TokenClaims, TokenCodec
from tocsin.core.errors import Unauthorized

KEY = b"k" * 32
ISSUED = datetime(2026, 1, 1, tzinfo=UTC)
LIFETIME = timedelta(minutes=15)


def _codec(*, key: bytes = KEY, issuer: str = "tocsin", audience: str = "tocsin-api") -> TokenCodec:
    return TokenCodec(key, issuer=issuer, audience=audience)


def _token(
    codec: TokenCodec, *, token_type: str = ACCESS, issued: datetime = ISSUED, **kwargs: Any
) -> str:
    return codec.encode(
        subject="usr_1",
        token_type=token_type,
        token_id="jti_1",
        issued_at=issued,
        lifetime=kwargs.pop("lifetime", LIFETIME),
        **kwargs,
    )


def _claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": "tocsin",
        "aud": "tocsin-api",
        "sub": "usr_1",
        "typ": ACCESS,
        "jti": "jti_1",
        "iat": int(ISSUED.timestamp()),
        "exp": int((ISSUED + LIFETIME).timestamp()),
    }
    claims.update(overrides)
    return claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hand_signed(header: dict[str, Any], claims: dict[str, Any], key: bytes) -> str:
    """A token with any header at all, HMAC-SHA256 signed with `key`: what an attacker forges."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _refused(codec: TokenCodec, token: str, *, now: datetime = ISSUED) -> str:
    with pytest.raises(Unauthorized) as caught:
        codec.decode(token, expected_type=ACCESS, now=now)
    return caught.value.code


def test_valid_access_token_decodes_to_its_claims() -> None:
    codec = _codec()
    claims = codec.decode(_token(codec), expected_type=ACCESS, now=ISSUED)
    assert claims == TokenClaims(
        subject="usr_1",
        token_type=ACCESS,
        token_id="jti_1",
        family_id=None,
        expires_at=ISSUED + LIFETIME,
    )


def test_token_header_names_hs256_and_the_key_id() -> None:
    codec = _codec()
    header = jwt.get_unverified_header(_token(codec))
    assert header["alg"] == "HS256"
    assert header["kid"] == codec.key_id
    assert _codec(key=b"j" * 32).key_id != codec.key_id


def test_refresh_token_carries_its_family() -> None:
    codec = _codec()
    token = _token(codec, token_type=REFRESH, family_id="fam_1")
    assert codec.decode(token, expected_type=REFRESH, now=ISSUED).family_id == "fam_1"


def test_access_token_is_not_a_refresh_token() -> None:
    codec = _codec()
    with pytest.raises(Unauthorized) as caught:
        codec.decode(_token(codec, token_type=ACCESS), expected_type=REFRESH, now=ISSUED)
    assert caught.value.code == "invalid_token"


def test_refresh_token_is_not_an_access_token() -> None:
    codec = _codec()
    token = _token(codec, token_type=REFRESH, family_id="fam_1")
    assert _refused(codec, token) == "invalid_token"


def test_token_for_another_audience_is_refused() -> None:
    token = _token(_codec(audience="someone-else"))
    assert _refused(_codec(), token) == "invalid_token"


def test_token_from_another_issuer_is_refused() -> None:
    token = _token(_codec(issuer="evil"))
    assert _refused(_codec(), token) == "invalid_token"


def test_token_signed_with_another_key_is_refused() -> None:
    other = _codec(key=b"j" * 32)
    codec = _codec()
    forged = jwt.encode(_claims(), b"j" * 32, algorithm="HS256", headers={"kid": codec.key_id})
    assert _refused(codec, _token(other)) == "invalid_token"
    assert _refused(codec, forged) == "invalid_token"


def test_token_with_an_unknown_key_id_is_refused_even_when_correctly_signed() -> None:
    codec = _codec()
    token = jwt.encode(_claims(), KEY, algorithm="HS256", headers={"kid": "0123456789abcdef"})
    no_kid = jwt.encode(_claims(), KEY, algorithm="HS256")
    assert _refused(codec, token) == "invalid_token"
    assert _refused(codec, no_kid) == "invalid_token"


def test_unsigned_none_algorithm_token_is_refused() -> None:
    codec = _codec()
    header = {"alg": "none", "typ": "JWT", "kid": codec.key_id}
    token = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(_claims()).encode())}."
    assert _refused(codec, token) == "invalid_token"
    library_none = jwt.encode(_claims(), None, algorithm="none", headers={"kid": codec.key_id})
    assert _refused(codec, library_none) == "invalid_token"


def test_hs512_token_with_the_right_key_is_refused() -> None:
    long_key = KEY * 2  # long enough for HS512, so only the algorithm is wrong
    codec = _codec(key=long_key)
    token = jwt.encode(_claims(), long_key, algorithm="HS512", headers={"kid": codec.key_id})
    assert _refused(codec, token) == "invalid_token"


@pytest.mark.parametrize("alg", ["RS256", "ES256", "PS256", "HS384"])
def test_token_whose_header_claims_another_algorithm_is_refused(alg: str) -> None:
    # Algorithm confusion: an HMAC signature under a header that names some other algorithm.
    codec = _codec()
    token = _hand_signed({"alg": alg, "typ": "JWT", "kid": codec.key_id}, _claims(), KEY)
    assert _refused(codec, token) == "invalid_token"


def test_hand_signed_hs256_token_is_accepted_so_the_refusals_above_mean_something() -> None:
    codec = _codec()
    token = _hand_signed({"alg": "HS256", "typ": "JWT", "kid": codec.key_id}, _claims(), KEY)
    assert codec.decode(token, expected_type=ACCESS, now=ISSUED).subject == "usr_1"


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "jti", "iss", "aud"])
def test_token_missing_a_required_claim_is_refused(missing: str) -> None:
    codec = _codec()
    claims = _claims()
    del claims[missing]
    token = jwt.encode(claims, KEY, algorithm="HS256", headers={"kid": codec.key_id})
    assert _refused(codec, token) == "invalid_token"


@pytest.mark.parametrize("value", ["", "garbage", "a.b.c", "tk_abc"])
def test_garbage_is_refused(value: str) -> None:
    assert _refused(_codec(), value) == "invalid_token"


def test_expiry_is_checked_against_the_injected_clock() -> None:
    codec = _codec()
    token = _token(codec)
    just_before = ISSUED + LIFETIME - timedelta(seconds=1)
    assert codec.decode(token, expected_type=ACCESS, now=just_before).subject == "usr_1"
    assert _refused(codec, token, now=ISSUED + LIFETIME) == "token_expired"
    assert _refused(codec, token, now=ISSUED + timedelta(days=1)) == "token_expired"


def test_token_long_expired_by_the_wall_clock_is_valid_at_the_injected_time() -> None:
    codec = _codec()
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    token = _token(codec, issued=long_ago)
    assert codec.decode(token, expected_type=ACCESS, now=long_ago).subject == "usr_1"


def test_token_issued_in_the_wall_clock_future_is_valid_at_the_injected_time() -> None:
    # The library's own `iat` check uses the wall clock; only the injected clock may decide.
    codec = _codec()
    future = datetime(2100, 1, 1, tzinfo=UTC)
    token = _token(codec, issued=future)
    assert codec.decode(token, expected_type=ACCESS, now=future).subject == "usr_1"


def test_token_issued_after_the_injected_now_is_refused() -> None:
    codec = _codec()
    token = _token(codec, issued=ISSUED + timedelta(hours=1))
    assert _refused(codec, token, now=ISSUED) == "invalid_token"


@pytest.mark.parametrize("claim", ["exp", "iat"])
def test_non_integer_time_claims_are_refused_not_crashed_on(claim: str) -> None:
    codec = _codec()
    token = jwt.encode(
        _claims(**{claim: "soon"}), KEY, algorithm="HS256", headers={"kid": codec.key_id}
    )
    assert _refused(codec, token) == "invalid_token"
