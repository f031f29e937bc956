"""Authenticator codes work once, and replacing the authenticator takes a current code from it
(issue 17, finding 10, its TOTP part). Before: a code seen over someone's shoulder signed in
again within its 90 seconds, and any live session could put an authenticator of its own in the
owner's place."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient

from tests import rows, seeded
from tests.accounts.authenticator import with_authenticator
from tests.accounts.helpers import error
from tests.factories import PASSWORD, ok
from tests.web.browser_forms import form_token, submit
from tocsin.accounts import totp
from tocsin.accounts.models import User
from tocsin.core.clock import ManualClock
from tocsin.core.errors import Unauthorized
from tocsin.runtime import Runtime


def code(secret: str, clock: ManualClock, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now().timestamp() + 30 * steps)


def api_sign_in(client: TestClient, email: str, totp_code: str) -> Any:
    return client.post(
        "/v1/auth/login", json={"email": email, "password": PASSWORD, "totp_code": totp_code}
    )


def test_a_code_signs_in_once_on_the_api(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    person = seeded.person(runtime)
    secret = with_authenticator(runtime, person.user_id)
    clock.advance(30)
    seen = code(secret, clock)
    ok(api_sign_in(client, person.email, seen))
    assert error(api_sign_in(client, person.email, seen), 401) == "mfa_invalid"
    # Still within the step either side that a drifting phone is allowed.
    clock.advance(30)
    assert error(api_sign_in(client, person.email, seen), 401) == "mfa_invalid"
    ok(api_sign_in(client, person.email, code(secret, clock)))


def test_a_code_older_than_one_used_is_refused(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    person = seeded.person(runtime)
    secret = with_authenticator(runtime, person.user_id)
    clock.advance(60)
    earlier, later = code(secret, clock, -1), code(secret, clock)
    ok(api_sign_in(client, person.email, later))
    assert error(api_sign_in(client, person.email, earlier), 401) == "mfa_invalid"


def test_a_code_completes_one_dashboard_sign_in_only(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    person = seeded.person(runtime)
    secret = with_authenticator(runtime, person.user_id)
    clock.advance(30)
    seen = code(secret, clock)
    for browser, status in ((TestClient(client.app), 303), (TestClient(client.app), 401)):
        fields = {"email": person.email, "password": PASSWORD}
        assert submit(browser, "/login", "/login", fields).status_code == 303
        entered = submit(browser, "/login/code", "/login/code", {"code": seen})
        assert entered.status_code == status, entered.text


def test_the_authenticator_is_replaced_only_with_a_current_code(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    person = seeded.person(runtime)
    old_secret = with_authenticator(runtime, person.user_id)
    browser = rows.browser_for(client, runtime, person.user_id)
    clock.advance(30)
    intruder_secret = totp.new_secret()
    page = browser.get("/account")
    replaced = browser.post(
        "/account/mfa",
        data={
            "csrf_token": form_token(page.text),
            "secret": intruder_secret,
            "code": code(intruder_secret, clock),
        },
        follow_redirects=False,
    )
    assert replaced.status_code == 401
    ok(api_sign_in(client, person.email, code(old_secret, clock)))
    clock.advance(30)
    new_secret = totp.new_secret()
    replaced = browser.post(
        "/account/mfa",
        data={
            "csrf_token": form_token(page.text),
            "secret": new_secret,
            "code": code(new_secret, clock),
            "current_code": code(old_secret, clock),
        },
        follow_redirects=False,
    )
    assert replaced.status_code == 303, replaced.text
    clock.advance(30)
    assert error(api_sign_in(client, person.email, code(old_secret, clock)), 401) == "mfa_invalid"
    ok(api_sign_in(client, person.email, code(new_secret, clock)))


def test_a_code_used_to_sign_in_cannot_turn_two_step_sign_in_off(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    person = seeded.person(runtime)
    secret = with_authenticator(runtime, person.user_id)
    clock.advance(30)
    seen = code(secret, clock)
    ok(api_sign_in(client, person.email, seen))
    browser = rows.browser_for(client, runtime, person.user_id)
    page = browser.get("/account")
    turned_off = browser.post(
        "/account/mfa",
        data={"csrf_token": form_token(page.text), "action": "disable", "code": seen},
        follow_redirects=False,
    )
    assert turned_off.status_code == 401
    assert "On: signing in asks for a code" in browser.get("/account").text


def test_a_code_raced_by_two_sign_ins_works_for_one(runtime: Runtime, clock: ManualClock) -> None:
    if not runtime.database.is_postgres:
        pytest.skip("SQLite runs one write transaction at a time, so this race cannot happen")
    person = seeded.person(runtime)
    secret = with_authenticator(runtime, person.user_id)
    clock.advance(30)
    seen = code(secret, clock)
    with runtime.database.write() as late:
        # The late request has read the user, with the code not yet used, when the early one
        # commits.
        user = late.get(User, person.user_id)
        assert user is not None
        with runtime.database.write() as early:
            first = early.get(User, person.user_id)
            assert first is not None
            totp.check(early, first, seen, box=runtime.totp_box, now=clock.now())
        with pytest.raises(Unauthorized) as refused:
            totp.check(late, user, seen, box=runtime.totp_box, now=clock.now())
    assert refused.value.code == "mfa_invalid"
