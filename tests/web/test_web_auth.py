"""Signing up, in and out of the dashboard: cookies, CSRF, two-step codes, and tenants."""

from __future__ import annotations

from pathlib import Path

import pyotp
from fastapi.testclient import TestClient

from tests.conftest import settings_for
from tests.factories import PASSWORD
from tests.web.browser_forms import form_token, sign_up, submit
from tocsin.app import create_app
from tocsin.core.clock import ManualClock
from tocsin.runtime import Runtime


def test_pages_need_a_session_and_send_the_browser_to_sign_in(client: TestClient) -> None:
    answer = client.get("/o/org_anything?tab=1", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/o/org_anything%3Ftab%3D1"


def test_a_form_without_its_token_is_refused(client: TestClient) -> None:
    sign_up(client, "ana@example.com")
    forged = client.post("/logout", data={}, follow_redirects=False)
    assert forged.status_code == 403
    assert "csrf_failed" in forged.text
    anonymous = TestClient(client.app)
    refused = anonymous.post("/login", data={"email": "ana@example.com", "password": PASSWORD})
    assert refused.status_code == 403


def test_sign_in_and_out(client: TestClient) -> None:
    home = sign_up(client, "ana@example.com")
    page = client.get(home)
    out = client.post("/logout", data={"csrf_token": form_token(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get(home, follow_redirects=False).status_code == 303
    wrong = submit(client, "/login", "/login", {"email": "ana@example.com", "password": "nope"})
    assert wrong.status_code == 401
    assert "invalid_credentials" in wrong.text or "email or password" in wrong.text
    back = submit(
        client,
        f"/login?next={home}",
        "/login",
        {"email": "ana@example.com", "password": PASSWORD, "next": home},
    )
    assert (back.status_code, back.headers["location"]) == (303, home)
    evil = submit(
        client,
        "/login",
        "/login",
        {"email": "ana@example.com", "password": PASSWORD, "next": "//evil.example/"},
    )
    assert evil.headers["location"] == "/"


def test_two_step_sign_in_asks_for_the_authenticator_code(
    client: TestClient, clock: ManualClock
) -> None:
    home = sign_up(client, "ana@example.com")
    account = client.get("/account")
    secret = account.text.split('id="totp-secret">')[1].split("<")[0]
    code = pyotp.TOTP(secret).at(clock.now())
    turned_on = client.post(
        "/account/mfa",
        data={"csrf_token": form_token(account.text), "secret": secret, "code": code},
        follow_redirects=False,
    )
    assert turned_on.status_code == 303
    assert "On: signing in asks for a code" in client.get("/account").text

    fresh = TestClient(client.app)
    first = submit(fresh, "/login", "/login", {"email": "ana@example.com", "password": PASSWORD})
    assert first.headers["location"].startswith("/login/code")
    # Half signed in is not signed in.
    assert fresh.get(home, follow_redirects=False).status_code == 303
    wrong = submit(fresh, "/login/code", "/login/code", {"code": "000000", "next": home})
    assert wrong.status_code == 401
    clock.advance(30)
    right = submit(
        fresh,
        "/login/code",
        "/login/code",
        {"code": pyotp.TOTP(secret).at(clock.now()), "next": home},
    )
    assert (right.status_code, right.headers["location"]) == (303, home)
    assert fresh.get(home).status_code == 200
    # The API asks for the code too.
    api = client.post("/v1/auth/login", json={"email": "ana@example.com", "password": PASSWORD})
    assert api.json()["error"]["code"] == "mfa_required"
    # The code the dashboard took is used up (tests/accounts/test_totp_single_use.py): the next.
    clock.advance(30)
    with_code = client.post(
        "/v1/auth/login",
        json={
            "email": "ana@example.com",
            "password": PASSWORD,
            "totp_code": pyotp.TOTP(secret).at(clock.now()),
        },
    )
    assert with_code.status_code == 200


def test_another_organizations_pages_are_not_found(client: TestClient) -> None:
    other = TestClient(client.app)
    theirs = sign_up(other, "bob@example.com", "Bob Ops")
    sign_up(client, "ana@example.com")
    assert client.get(theirs).status_code == 404


def test_cookies_are_secure_when_the_site_is_served_over_https(
    database_url: str, data_dir: Path, clock: ManualClock
) -> None:
    runtime = Runtime.from_settings(
        settings_for(database_url, data_dir, public_base_url="https://tocsin.example"), clock=clock
    )
    try:
        with TestClient(create_app(runtime), base_url="https://tocsin.example") as browser:
            page = browser.get("/signup")
            assert "Secure" in page.headers["set-cookie"]
            submit(
                browser, "/signup", "/signup", {"email": "ana@example.com", "password": PASSWORD}
            )
            answer = submit(
                browser, "/login", "/login", {"email": "ana@example.com", "password": PASSWORD}
            )
            assert "tocsin_session=" in answer.headers["set-cookie"]
            assert "Secure" in answer.headers["set-cookie"]
    finally:
        runtime.database.dispose()


def test_a_member_of_two_organizations_switches_between_them(client: TestClient) -> None:
    home = sign_up(client, "ana@example.com", "First Ops")
    page = client.get(home)
    # One organization: no switcher, just its name.
    assert 'id="org-switch"' not in page.text
    second = client.post(
        "/v1/orgs",
        json={"name": "Second Ops"},
        headers={"Authorization": f"Bearer {_access_token(client)}"},
    )
    assert second.status_code == 201, second.text
    page = client.get(home)
    assert 'id="org-switch"' in page.text
    assert "Second Ops" in page.text
    moved = client.get(f"/switch?org={second.json()['id']}", follow_redirects=False)
    assert moved.headers["location"] == f"/o/{second.json()['id']}"
    # Not one of theirs: back home, not there.
    elsewhere = client.get("/switch?org=org_someone_else", follow_redirects=False)
    assert elsewhere.headers["location"] == "/"


def _access_token(client: TestClient) -> str:
    tokens = client.post(
        "/v1/auth/login", json={"email": "ana@example.com", "password": PASSWORD}
    ).json()
    token: str = tokens["access_token"]
    return token
