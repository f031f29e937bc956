"""Fixtures for the API tests; opt in with `pytestmark = pytest.mark.usefixtures(...)`."""

from tests.accounts.helpers import fast_password_hashing

__all__ = ["fast_password_hashing"]
