"""Password hashing (argon2id) and the strength rules a new password must meet."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tocsin.core.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 256
MIN_DISTINCT_CHARACTERS = 5

# The most-used passwords that are long enough to pass the length rule; checked in lower case.
_COMMON = frozenset(
    [
        "1234567890",
        "12345678910",
        "0123456789",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "qwertyuiop",
        "qwerty1234",
        "qwerty12345",
        "password12",
        "password123",
        "password1234",
        "passw0rd123",
        "iloveyou123",
        "abcdefghij",
        "abc1234567",
        "administrator",
        "letmein123",
        "welcome123",
        "welcome1234",
        "football123",
        "baseball123",
        "superman123",
        "trustno1234",
        "changeme123",
        "sunshine123",
        "princess123",
        "monkey12345",
        "dragon12345",
        "michael123",
        "starwars123",
        "whatever123",
        "123456789a",
        "a123456789",
        "1111111111",
        "0000000000",
        "9876543210",
        "qazwsxedcrfv",
        "zxcvbnm123",
        "asdfghjkl1",
        "asdfghjkl123",
        "computer123",
        "internet123",
        "tocsin1234",
    ]
)

_hasher = PasswordHasher()


def check_strength(password: str, *, email: str = "") -> None:
    """Raise InvalidInput saying which rule a proposed password breaks."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"password must be at least {MIN_LENGTH} characters", code="weak_password"
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(
            f"password must be at most {MAX_LENGTH} characters", code="weak_password"
        )
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        raise InvalidInput(
            f"password must use at least {MIN_DISTINCT_CHARACTERS} different characters",
            code="weak_password",
        )
    lowered = password.lower()
    if lowered in _COMMON:
        raise InvalidInput("password is too common", code="weak_password")
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        raise InvalidInput("password must not contain your email name", code="weak_password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@functools.cache
def dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so login takes the same time
    either way and timing does not reveal which emails have accounts. Made on first use: an
    argon2 hash costs ~100 ms, which every CLI start would otherwise pay."""
    return _hasher.hash("tocsin-dummy-password-for-timing")
