"""A platform administrator for the trust and safety tests."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests import seeded
from tests.delivery.pager import Pager
from tocsin.accounts.models import User
from tocsin.runtime import Runtime

STAFF_EMAIL = "staff@tocsin.example"


@pytest.fixture
def staff(runtime: Runtime, pager: Pager) -> dict[str, str]:
    """A platform administrator's bearer header (made one as operators do, from the shell),
    signed up after the pager's owner."""
    return seeded.platform_admin(runtime, email=STAFF_EMAIL).auth


def staff_login(runtime: Runtime) -> dict[str, str]:
    """The administrator signed in again: access tokens outlive only 15 minutes of test clock."""
    with runtime.database.read() as session:
        user_id = session.scalar(select(User.id).where(User.email == STAFF_EMAIL))
    assert user_id is not None
    return seeded.signed_in(runtime, user_id)
