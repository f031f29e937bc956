"""The dashboard's password forms (issue 17, finding 10): the change form in the account
settings, and the sign-in page's way to a reset on a server that mails nothing. The reset pages
a mailed link opens are tests/mail/test_password_reset_pages.py's subject."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests import rows, seeded
from tests.factories import PASSWORD
from tests.web.browser_forms import submit
from tocsin.runtime import Runtime

NEW_PASSWORD = "a new and longer passphrase"


def _change(browser: TestClient, current: str, new: str, confirm: str | None = None) -> object:
    return submit(
        browser,
        "/account/password",
        "/account/password",
        {
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


def test_the_account_page_changes_the_password_and_keeps_this_browser_signed_in(
    client: TestClient, runtime: Runtime
) -> None:
    ana = seeded.person(runtime, email="ana@example.com")
    browser = rows.browser_for(client, runtime, ana.user_id)
    other_browser = rows.browser_for(client, runtime, ana.user_id)
    assert 'href="/account/password"' in browser.get("/account").text
    changed = _change(browser, PASSWORD, NEW_PASSWORD)
    assert (changed.status_code, changed.headers["location"]) == (303, "/account?password=changed")
    page = browser.get("/account?password=changed")
    assert page.status_code == 200
    assert "Your password was changed" in page.text
    # Every other browser is signed out.
    assert other_browser.get("/account", follow_redirects=False).status_code == 303
    signed_in = submit(
        TestClient(client.app),
        "/login",
        "/login",
        {"email": "ana@example.com", "password": NEW_PASSWORD},
    )
    assert signed_in.status_code == 303


def test_a_wrong_current_password_or_a_mistyped_new_one_is_shown_on_the_form(
    client: TestClient, runtime: Runtime
) -> None:
    ana = seeded.person(runtime, email="ana@example.com")
    browser = rows.browser_for(client, runtime, ana.user_id)
    wrong = _change(browser, "not my password", NEW_PASSWORD)
    assert wrong.status_code == 401
    assert "current password is wrong" in wrong.text
    mistyped = _change(browser, PASSWORD, NEW_PASSWORD, confirm=NEW_PASSWORD + "!")
    assert mistyped.status_code == 422
    assert "passwords_differ" in mistyped.text
    weak = _change(browser, PASSWORD, "short")
    assert weak.status_code == 422
    assert "weak_password" in weak.text
    assert browser.get("/account").status_code == 200


def test_the_change_form_needs_its_csrf_token(client: TestClient, runtime: Runtime) -> None:
    ana = seeded.person(runtime, email="ana@example.com")
    browser = rows.browser_for(client, runtime, ana.user_id)
    forged = browser.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
        follow_redirects=False,
    )
    assert forged.status_code == 403


def test_the_sign_in_page_leads_to_a_reset_which_says_how_without_mail(
    client: TestClient,
) -> None:
    assert 'href="/forgot-password"' in client.get("/login").text
    page = client.get("/forgot-password")
    assert page.status_code == 200
    assert "tocsin user reset-password" in page.text
