"""A browser signed in as the owner of a `Pager`'s organization, to look at its alerts and
calls on the dashboard."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.delivery.pager import Pager
from tests.factories import PASSWORD
from tests.web.browser_forms import submit
from tocsin.accounts.models import Membership, User
from tocsin.runtime import Runtime


def signed_in_owner(client: TestClient, runtime: Runtime, pager: Pager) -> TestClient:
    """A browser of its own (the API client's cookies stay apart), through the sign-in page."""
    with runtime.database.read() as db:
        email = db.scalar(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.org_id == pager.org_id)
        )
    assert email is not None
    browser = TestClient(client.app)
    answer = submit(browser, "/login", "/login", {"email": email, "password": PASSWORD})
    assert answer.status_code == 303, answer.text
    return browser
