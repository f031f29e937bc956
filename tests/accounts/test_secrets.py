"""API key format, parsing, digests and the constant-time lookup."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from tocsin.accounts import service
from tocsin.accounts.models import ApiKey
from tocsin.core import secrets
from tocsin.db.engine import Database
from tocsin.runtime import Runtime

KEY_FORMAT = re.compile(r"^tk_[a-z0-9]{12}_[A-Za-z0-9]{40}$")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_generated_key_has_the_documented_format() -> None:
    for _ in range(50):
        assert KEY_FORMAT.match(secrets.generate_api_key().plaintext)


def test_generated_keys_are_unique() -> None:
    keys = {secrets.generate_api_key().plaintext for _ in range(200)}
    assert len(keys) == 200


def test_parse_round_trips_a_generated_key() -> None:
    parts = secrets.generate_api_key()
    assert secrets.parse_api_key(parts.plaintext) == parts


@pytest.mark.parametrize(
    "value",
    [
        "",
        "tk_",
        "tk__",
        "tk_abcdefghijkl",
        "xx_abcdefghijkl_" + "A" * 40,  # wrong prefix
        "TK_abcdefghijkl_" + "A" * 40,  # prefix is lower case
        "tk_abcdefghijk_" + "A" * 40,  # public id one short
        "tk_abcdefghijklm_" + "A" * 40,  # public id one long
        "tk_ABCDEFGHIJKL_" + "A" * 40,  # public id is lower case only
        "tk_abcdefghijkl_" + "A" * 39,  # secret one short
        "tk_abcdefghijkl_" + "A" * 41,  # secret one long
        "tk_abcdefghijkl_" + "A" * 39 + "-",  # secret is alphanumeric only
        "tk_abcdefghijkl_" + "A" * 39 + "é",
        "tk_abcdéfghijkl_" + "A" * 40,
        "tk_abcdefghijkl_" + "A" * 20 + "_" + "A" * 19,  # an extra separator
        "tk_abcdefghijkl_" + "A" * 40 + "_x",
    ],
)
def test_parse_rejects_malformed_keys(value: str) -> None:
    assert secrets.parse_api_key(value) is None


def test_digest_is_hmac_sha256_under_the_given_key() -> None:
    key = b"k" * 32
    expected = hmac.new(key, b"secret-part", hashlib.sha256).hexdigest()
    assert secrets.digest(key, "secret-part") == expected
    assert secrets.digest(b"other" * 8, "secret-part") != expected
    assert expected != hashlib.sha256(b"secret-part").hexdigest()


def test_derived_keys_differ_per_purpose_and_per_master() -> None:
    master = b"m" * 32
    assert secrets.derive_key(master, "jwt") != secrets.derive_key(master, "api-key")
    assert secrets.derive_key(master, "jwt") != secrets.derive_key(b"n" * 32, "jwt")
    assert secrets.derive_key(master, "jwt") == secrets.derive_key(master, "jwt")


def test_digests_match_uses_a_constant_time_comparison(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert secrets.digests_match("ab" * 32, "ab" * 32)
    assert not secrets.digests_match("ab" * 32, "cd" * 32)
    assert len(calls) == 2


def _store_key(session: Session, runtime: Runtime) -> tuple[ApiKey, str]:
    org = service.create_organization(
        session, name="Acme", owner_id=None, now=NOW, home_region="GB"
    )
    return service.create_api_key(
        session,
        org_id=org.id,
        name="ci",
        scopes=["ingest"],
        created_by=None,
        now=NOW,
        digest_key=runtime.api_key_digest_key,
    )


def test_only_the_public_id_and_an_hmac_digest_of_the_secret_are_stored(runtime: Runtime) -> None:
    with runtime.database.write() as session:
        key, plaintext = _store_key(session, runtime)
    parts = secrets.parse_api_key(plaintext)
    assert parts is not None
    assert key.public_id == parts.public_id
    assert key.digest == secrets.digest(runtime.api_key_digest_key, parts.secret)
    assert parts.secret not in key.digest


def test_find_api_key_accepts_the_key_and_refuses_a_changed_secret(runtime: Runtime) -> None:
    database: Database = runtime.database
    with database.write() as session:
        key, plaintext = _store_key(session, runtime)
    tampered = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    with database.read() as session:
        found = service.find_api_key(session, plaintext, digest_key=runtime.api_key_digest_key)
        assert found is not None
        assert found.id == key.id
        assert (
            service.find_api_key(session, tampered, digest_key=runtime.api_key_digest_key) is None
        )
        assert service.find_api_key(session, plaintext, digest_key=b"x" * 32) is None


def test_find_api_key_compares_a_digest_even_for_an_unknown_public_id(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Skipping the comparison for unknown ids would let timing reveal which public ids exist.
    compared: list[str] = []
    real = secrets.digests_match

    def spy(expected: str, candidate: str) -> bool:
        compared.append(expected)
        return real(expected, candidate)

    monkeypatch.setattr("tocsin.accounts.service.digests_match", spy)
    unknown = secrets.generate_api_key().plaintext
    with runtime.database.read() as session:
        assert service.find_api_key(session, unknown, digest_key=runtime.api_key_digest_key) is None
    assert len(compared) == 1
