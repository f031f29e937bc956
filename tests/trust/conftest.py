"""A pager and a platform administrator for the trust and safety tests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.delivery.pager import Pager
from tests.factories import PASSWORD, ok
from tocsin.accounts.models import User
from tocsin.runtime import Runtime

STAFF_EMAIL = "staff@tocsin.example"


@pytest.fixture
def staff(client: TestClient, runtime: Runtime, pager: Pager) -> dict[str, str]:
    """A platform administrator (made one from the shell, as operators do)."""
    ok(client.post("/v1/auth/signup", json={"email": STAFF_EMAIL, "password": PASSWORD}), 201)
    with runtime.database.write() as session:
        user = session.scalar(select(User).where(User.email == STAFF_EMAIL))
        assert user is not None
        user.platform_role = "admin"
    return staff_login(client)


def staff_login(client: TestClient) -> dict[str, str]:
    """Sign the administrator in again: access tokens outlive only 15 minutes of test clock."""
    tokens = ok(client.post("/v1/auth/login", json={"email": STAFF_EMAIL, "password": PASSWORD}))
    return {"Authorization": f"Bearer {tokens['access_token']}"}
