"""The dashboard's sign-up form answers "check your e-mail" whether or not the address has an
account (issue 17, finding 15), and signs nobody in; the page offers the sign-in form, which
takes a new person to their organization."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests import seeded
from tests.factories import PASSWORD
from tests.web.browser_forms import form_token, submit
from tocsin.runtime import Runtime


def _sign_up(browser: TestClient, email: str) -> object:
    return submit(
        browser,
        "/signup",
        "/signup",
        {"email": email, "password": PASSWORD, "organization_name": "Ana Ops"},
    )


def test_the_sign_up_page_answers_alike_for_a_taken_address(
    client: TestClient, runtime: Runtime
) -> None:
    """Issue 17, finding 15."""
    seeded.person(runtime, email="ana@example.com")
    taken = _sign_up(TestClient(client.app), "ana@example.com")
    new = _sign_up(TestClient(client.app), "bob@example.com")
    assert taken.status_code == new.status_code == 200
    assert "Check your e-mail" in new.text
    assert "tocsin_session=" not in new.headers.get("set-cookie", "")
    assert "tocsin_session=" not in taken.headers.get("set-cookie", "")

    def without_secrets(html: str, email: str) -> str:
        return html.replace(form_token(html), "TOKEN").replace(email, "EMAIL")

    assert without_secrets(taken.text, "ana@example.com") == without_secrets(
        new.text, "bob@example.com"
    )


def test_a_new_person_signs_in_from_the_answer_and_lands_on_their_organization(
    client: TestClient,
) -> None:
    answer = _sign_up(client, "ana@example.com")
    assert 'value="ana@example.com"' in answer.text
    signed_in = client.post(
        "/login",
        data={
            "email": "ana@example.com",
            "password": PASSWORD,
            "next": "/",
            "csrf_token": form_token(answer.text),
        },
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"]
    assert "tocsin_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    home = client.get(signed_in.headers["location"], follow_redirects=False)
    assert home.headers["location"].startswith("/o/org_")
    page = client.get(home.headers["location"])
    assert page.status_code == 200
    assert "Ana Ops" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
