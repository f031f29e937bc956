"""A browser signed in as the owner of a `Pager`'s organization, to look at its alerts and
calls on the dashboard."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.delivery.pager import Pager
from tests.rows import browser_for
from tocsin.runtime import Runtime


def signed_in_owner(client: TestClient, runtime: Runtime, pager: Pager) -> TestClient:
    """A browser of its own (the API client's cookies stay apart), signed in by a session
    written directly: signing in is tests/web/test_web_auth.py's subject."""
    return browser_for(client, runtime, pager.owner_id)
