"""The dashboard's reset: "forgot your password?" on the sign-in page, the request form that
answers alike for every address, and the page the mailed link opens (issue 17, finding 10)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests import seeded
from tests.factories import PASSWORD
from tests.mail.mailbox import Mailbox, send_mail
from tests.mail.test_password_resets import NEW_PASSWORD, reset_token
from tests.web.browser_forms import form_token, submit
from tocsin.runtime import Runtime

pytestmark = [pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]


def _forgot(client: TestClient, email: str) -> object:
    return submit(client, "/forgot-password", "/forgot-password", {"email": email})


def test_a_password_is_reset_from_the_sign_in_page(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    seeded.person(runtime, email="ana@example.com")
    assert 'href="/forgot-password"' in client.get("/login").text
    asked = _forgot(client, "ana@example.com")
    assert asked.status_code == 200
    assert "If an account has this address" in asked.text
    send_mail(runtime)
    [mail] = mailbox.to("ana@example.com")
    token = reset_token(mail)

    form = client.get(f"/reset-password?token={token}")
    assert form.status_code == 200
    assert f'value="{token}"' in form.text
    fields = {"token": token, "csrf_token": form_token(form.text)}
    mistyped = client.post(
        "/reset-password",
        data={**fields, "new_password": NEW_PASSWORD, "confirm_password": "something else"},
        follow_redirects=False,
    )
    assert mistyped.status_code == 422
    done = client.post(
        "/reset-password",
        data={**fields, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/login?reset=1")
    assert "Your password was changed" in client.get("/login?reset=1").text
    old = submit(client, "/login", "/login", {"email": "ana@example.com", "password": PASSWORD})
    assert old.status_code == 401
    new = submit(client, "/login", "/login", {"email": "ana@example.com", "password": NEW_PASSWORD})
    assert new.status_code == 303

    used = client.get(f"/reset-password?token={token}")
    assert used.status_code == 409
    assert 'href="/forgot-password"' in used.text


def test_the_request_page_answers_alike_for_every_address(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    seeded.person(runtime, email="ana@example.com")
    known = _forgot(client, "ana@example.com")
    unknown = _forgot(client, "nobody@example.com")
    assert (known.status_code, known.text) == (unknown.status_code, unknown.text)
    send_mail(runtime)
    assert [mail.recipients for mail in mailbox.received] == [["ana@example.com"]]


def test_a_damaged_link_opens_no_form(client: TestClient) -> None:
    page = client.get("/reset-password?token=pwr_made-up")
    assert page.status_code == 422
    assert 'name="new_password"' not in page.text
