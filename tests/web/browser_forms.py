"""Driving the dashboard's forms with a TestClient, as a browser would: fetch the page, take its
hidden CSRF field, post the form with the cookies the page set."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests import rows, seeded
from tests.factories import PASSWORD
from tocsin.runtime import Runtime

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def submit(client: TestClient, page: str, action: str, fields: dict[str, str]) -> Any:
    """GET `page`, then POST `fields` (plus its CSRF token) to `action`, not following the
    redirect."""
    shown = client.get(page)
    assert shown.status_code == 200, shown.text
    return client.post(
        action, data={**fields, "csrf_token": form_token(shown.text)}, follow_redirects=False
    )


def sign_up(client: TestClient, email: str, organization: str = "Web Ops") -> str:
    """A new account through the sign-up page, then signed in with the form its answer shows;
    returns the organization page that signing in lands on."""
    answer = submit(
        client,
        "/signup",
        "/signup",
        {"email": email, "password": PASSWORD, "organization_name": organization},
    )
    assert answer.status_code == 200, answer.text
    signed_in = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": form_token(answer.text)},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text
    home = client.get(signed_in.headers["location"], follow_redirects=False)
    location: str = home.headers["location"]
    assert location.startswith("/o/org_"), location
    return location


def owner_home(
    browser: TestClient, runtime: Runtime, email: str, organization: str = "Web Ops"
) -> str:
    """`browser` signed in as someone who signed up with a new organization, written as rows
    instead of through the sign-up form (tests/web/test_web_auth.py drives that form); returns
    the organization page that signing up lands on."""
    owner = seeded.person(runtime, email=email, org_name=organization)
    rows.sign_in(browser, runtime, owner.user_id)
    return f"/o/{owner.org_id}"
