"""Password hashing and the strength rules for new passwords."""

from __future__ import annotations

import pytest

from tocsin.accounts import passwords
from tocsin.core.errors import InvalidInput

# The production parameters are the subject here (tests/conftest.py cheapens them elsewhere).
pytestmark = pytest.mark.real_password_hashing

GOOD = "violet kettle 42 orbit"


def test_hash_is_argon2id_and_verifies_only_the_right_password() -> None:
    hashed = passwords.hash_password(GOOD)
    assert hashed.startswith("$argon2id$")
    assert GOOD not in hashed
    assert passwords.verify_password(hashed, GOOD)
    assert not passwords.verify_password(hashed, GOOD + "!")
    assert not passwords.needs_rehash(hashed)


def test_hash_uses_the_recommended_argon2id_cost() -> None:
    # 64 MiB, 3 passes, 4 lanes: argon2-cffi's defaults (RFC 9106's second recommendation).
    assert "$v=19$m=65536,t=3,p=4$" in passwords.hash_password(GOOD)


def test_same_password_hashes_differently_each_time() -> None:
    assert passwords.hash_password(GOOD) != passwords.hash_password(GOOD)


def test_verify_against_a_broken_hash_is_false_not_an_error() -> None:
    assert not passwords.verify_password("not-a-hash", GOOD)
    assert not passwords.verify_password("", GOOD)


def test_dummy_hash_used_for_unknown_users_is_a_real_hash() -> None:
    assert passwords.dummy_hash().startswith("$argon2id$")
    assert not passwords.verify_password(passwords.dummy_hash(), GOOD)


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("short1!", "at least 10 characters"),
        ("x" * (passwords.MAX_LENGTH + 1), "at most"),
        ("abababababab", "different characters"),
        ("aabbccddaabbcc", "different characters"),
        ("password123", "too common"),
        ("PassWord123", "too common"),
        ("QWERTYUIOP", "too common"),
        ("1234567890", "too common"),
    ],
)
def test_weak_password_is_refused_with_the_rule_it_breaks(password: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        passwords.check_strength(password)
    assert caught.value.code == "weak_password"
    assert fragment in caught.value.message


def test_password_containing_the_email_local_part_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        passwords.check_strength("my-Margaret-pw-77", email="margaret@example.com")
    assert caught.value.code == "weak_password"
    assert "email" in caught.value.message


def test_short_email_local_part_is_not_held_against_the_password() -> None:
    # A three-letter local part would forbid too many ordinary passwords.
    passwords.check_strength("bob kettle orbit 42", email="bob@example.com")


@pytest.mark.parametrize(
    "password",
    [
        GOOD,
        "a1b2c3d4e5",  # exactly the minimum length, five or more distinct characters
        "x" * (passwords.MAX_LENGTH - 5) + "abcde",
        "correct horse battery staple",
    ],
)
def test_strong_password_passes(password: str) -> None:
    passwords.check_strength(password, email="someone@example.com")
