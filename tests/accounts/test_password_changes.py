"""Changing a password with the current one (issue 17, finding 10: "no way to change or reset
a password"): the new one is held to the strength rules, every other sign-in ends, and the
change is audited. The mail it sends is tests/mail/test_password_mail.py's subject; the
dashboard's form is tests/web/test_web_passwords.py's."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import rows, seeded
from tests.accounts.helpers import bearer, error
from tests.factories import PASSWORD, ok
from tocsin.accounts.models import RefreshToken, User, WebSession
from tocsin.accounts.passwords import verify_password
from tocsin.audit.models import AuditEvent
from tocsin.runtime import Runtime

NEW_PASSWORD = "a new and longer passphrase"


def _change(client: TestClient, auth: dict[str, str], current: str, new: str) -> Any:
    return client.post(
        "/v1/me/password",
        json={"current_password": current, "new_password": new},
        headers=auth,
    )


def _login(client: TestClient, email: str, password: str) -> Any:
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def test_a_password_is_changed_with_the_current_one(client: TestClient, runtime: Runtime) -> None:
    """Issue 17, finding 10."""
    ana = seeded.person(runtime, email="ana@example.com")
    tokens = ok(_change(client, ana.auth, PASSWORD, NEW_PASSWORD))
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert error(_login(client, "ana@example.com", PASSWORD), 401) == "invalid_credentials"
    ok(_login(client, "ana@example.com", NEW_PASSWORD))
    # The answer's tokens carry on the caller's sign-in.
    ok(client.get("/v1/me", headers=bearer(tokens["access_token"])))
    ok(client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}))
    with runtime.database.read() as session:
        user = session.get(User, ana.user_id)
        assert user is not None
        assert user.password_hash.startswith("$argon2id$")
        assert verify_password(user.password_hash, NEW_PASSWORD)
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.password_changed")
        ).all()
        assert (event.actor_type, event.actor_id, event.target_id) == (
            "user",
            ana.user_id,
            ana.user_id,
        )


def test_every_other_sign_in_ends_with_the_change(client: TestClient, runtime: Runtime) -> None:
    ana = seeded.person(runtime, email="ana@example.com")
    elsewhere = ok(_login(client, "ana@example.com", PASSWORD))
    browser = rows.browser_for(client, runtime, ana.user_id)
    assert browser.get("/account").status_code == 200
    ok(_change(client, ana.auth, PASSWORD, NEW_PASSWORD))
    for refresh_token in (ana.refresh_token, elsewhere["refresh_token"]):
        refused = client.post("/v1/auth/refresh", json={"refresh_token": refresh_token})
        assert error(refused, 401) == "token_revoked"
    # Access tokens too, at once rather than when they expire: the caller's own included,
    # since the change answered with a new pair.
    for access_token in (ana.access_token, elsewhere["access_token"]):
        assert error(client.get("/v1/me", headers=bearer(access_token)), 401) == "token_revoked"
    assert browser.get("/account", follow_redirects=False).status_code == 303
    with runtime.database.read() as session:
        live = session.scalars(
            select(RefreshToken).where(
                RefreshToken.user_id == ana.user_id, RefreshToken.revoked_at.is_(None)
            )
        ).all()
        assert len(live) == 1  # the pair the change answered with
        assert all(
            row.revoked_at is not None
            for row in session.scalars(select(WebSession).where(WebSession.user_id == ana.user_id))
        )


def test_a_wrong_current_password_changes_nothing(client: TestClient, runtime: Runtime) -> None:
    ana = seeded.person(runtime, email="ana@example.com")
    assert error(_change(client, ana.auth, "not my password", NEW_PASSWORD), 401) == (
        "invalid_credentials"
    )
    ok(_login(client, "ana@example.com", PASSWORD))
    ok(client.post("/v1/auth/refresh", json={"refresh_token": ana.refresh_token}))


@pytest.mark.parametrize(
    ("new", "code"),
    [
        ("short", "weak_password"),
        ("password123", "weak_password"),
        ("row-user-ana-and-more", "weak_password"),
        (PASSWORD, "same_password"),
    ],
)
def test_the_new_password_must_be_strong_and_new(
    client: TestClient, runtime: Runtime, new: str, code: str
) -> None:
    ana = seeded.person(runtime, email="row-user-ana@example.com")
    assert error(_change(client, ana.auth, PASSWORD, new), 422) == code
    ok(_login(client, "row-user-ana@example.com", PASSWORD))


def test_guessing_the_current_password_is_rate_limited(
    client: TestClient, runtime: Runtime
) -> None:
    ana = seeded.person(runtime, email="ana@example.com")
    codes = [
        _change(client, ana.auth, f"guess number {n}", NEW_PASSWORD).status_code for n in range(6)
    ]
    # The account's bucket of wrong guesses from one address (5 a minute), which sign-in shares.
    assert codes == [401] * 5 + [429]
    assert error(_login(client, "ana@example.com", "guess number 6"), 429) == "rate_limited"


def test_an_api_key_cannot_change_a_password(client: TestClient, runtime: Runtime) -> None:
    ana = seeded.person(runtime, email="ana@example.com")
    key = seeded.api_key(runtime, ana.org_id, scopes=("read", "write"))
    assert error(_change(client, bearer(key), PASSWORD, NEW_PASSWORD), 403) == "user_required"
    ok(_login(client, "ana@example.com", PASSWORD))
