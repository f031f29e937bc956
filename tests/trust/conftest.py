"""Platform administrators for the trust and safety tests: the one who acts, and a colleague
who decides appeals against what the first did."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests import seeded
from tests.delivery.pager import Pager
from tocsin.accounts.models import User
from tocsin.runtime import Runtime

STAFF_EMAIL = "staff@tocsin.example"
COLLEAGUE_EMAIL = "colleague@tocsin.example"


@pytest.fixture
def staff(runtime: Runtime, pager: Pager) -> dict[str, str]:
    """A platform administrator's bearer header (made one as operators do, from the shell),
    signed up after the pager's owner."""
    return seeded.platform_admin(runtime, email=STAFF_EMAIL).auth


@pytest.fixture
def colleague(runtime: Runtime, staff: dict[str, str]) -> dict[str, str]:
    """A second platform administrator's bearer header, signed up after the first."""
    return seeded.platform_admin(runtime, email=COLLEAGUE_EMAIL).auth


def staff_login(runtime: Runtime, email: str = STAFF_EMAIL) -> dict[str, str]:
    """An administrator signed in again: access tokens outlive only 15 minutes of test clock."""
    with runtime.database.read() as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
    assert user_id is not None
    return seeded.signed_in(runtime, user_id)
