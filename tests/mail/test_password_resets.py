"""Resetting a forgotten password by a link mailed to the address (issue 17, finding 10): the
request is answered alike whether or not the address has an account and is rate limited per
client and per address; the link works once, for 30 minutes, and only its HMAC digest is
stored; using it ends every sign-in of the account."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import rows, seeded
from tests.accounts.helpers import error
from tests.factories import PASSWORD, ok
from tests.mail.mailbox import Mailbox, Received, send_mail
from tocsin.accounts import password_resets
from tocsin.accounts.models import PasswordReset, User
from tocsin.audit.models import AuditEvent
from tocsin.core.clock import ManualClock
from tocsin.runtime import Runtime

pytestmark = [pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

NEW_PASSWORD = "a new and longer passphrase"
_RESET_LINK = re.compile(r"http://tocsin\.test/reset-password\?token=([A-Za-z0-9_-]+)")


def reset_token(mail: Received) -> str:
    """The token of the one reset link the message carries (the same in both parts)."""
    found = _RESET_LINK.findall(mail.text)
    assert len(found) == 1, mail.text
    assert found[0] in mail.html
    token: str = found[0]
    return token


def ask(client: TestClient, email: str) -> Any:
    return client.post("/v1/auth/password-reset", json={"email": email})


def complete(client: TestClient, token: str, password: str = NEW_PASSWORD) -> Any:
    return client.post(
        "/v1/auth/password-reset/complete", json={"token": token, "new_password": password}
    )


def login(client: TestClient, email: str, password: str) -> Any:
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def mailed_token(runtime: Runtime, mailbox: Mailbox, email: str) -> str:
    send_mail(runtime)
    [mail] = mailbox.to(email)
    return reset_token(mail)


def test_a_forgotten_password_is_reset_by_the_mailed_link(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    """Issue 17, finding 10."""
    ana = seeded.person(runtime, email="ana@example.com")
    elsewhere = ok(login(client, "ana@example.com", PASSWORD))
    browser = rows.browser_for(client, runtime, ana.user_id)
    ok(ask(client, "Ana@Example.com"), 202)
    send_mail(runtime)
    [mail] = mailbox.to("ana@example.com")
    assert "Reset your Tocsin password" in mail.subject
    assert "30 minutes" in mail.text
    token = reset_token(mail)

    assert complete(client, token).status_code == 204
    assert error(login(client, "ana@example.com", PASSWORD), 401) == "invalid_credentials"
    ok(login(client, "ana@example.com", NEW_PASSWORD))
    # Whoever was signed in (the holder of the old password, perhaps) is signed out.
    for refresh_token in (ana.refresh_token, elsewhere["refresh_token"]):
        revoked = client.post("/v1/auth/refresh", json={"refresh_token": refresh_token})
        assert error(revoked, 401) == "token_revoked"
    for access_token in (ana.access_token, elsewhere["access_token"]):
        refused = client.get("/v1/me", headers={"Authorization": f"Bearer {access_token}"})
        assert error(refused, 401) == "token_revoked"
    assert browser.get("/account", follow_redirects=False).status_code == 303
    with runtime.database.read() as session:
        actions = list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.target_id == ana.user_id)
                .where(AuditEvent.action.like("user.password%"))
                .order_by(AuditEvent.id)
            )
        )
        assert actions == ["user.password_reset_requested", "user.password_reset"]


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    seeded.person(runtime, email="ana@example.com")
    known = ask(client, "ana@example.com")
    unknown = ask(client, "nobody@example.com")
    assert (known.status_code, unknown.status_code) == (202, 202)
    assert known.json() == unknown.json()
    assert known.headers.keys() == unknown.headers.keys()
    send_mail(runtime)
    assert [mail.recipients for mail in mailbox.received] == [["ana@example.com"]]


def test_a_link_works_once(client: TestClient, runtime: Runtime, mailbox: Mailbox) -> None:
    seeded.person(runtime, email="ana@example.com")
    ok(ask(client, "ana@example.com"), 202)
    token = mailed_token(runtime, mailbox, "ana@example.com")
    assert complete(client, token).status_code == 204
    assert error(complete(client, token, "yet another passphrase"), 409) == "reset_token_used"
    ok(login(client, "ana@example.com", NEW_PASSWORD))


def test_a_link_expires_after_thirty_minutes(
    client: TestClient, runtime: Runtime, clock: ManualClock, mailbox: Mailbox
) -> None:
    seeded.person(runtime, email="ana@example.com")
    ok(ask(client, "ana@example.com"), 202)
    token = mailed_token(runtime, mailbox, "ana@example.com")
    clock.advance(30 * 60 + 1)
    assert error(complete(client, token), 409) == "reset_token_expired"
    ok(login(client, "ana@example.com", PASSWORD))


def test_only_a_digest_of_the_token_is_stored(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    seeded.person(runtime, email="ana@example.com")
    ok(ask(client, "ana@example.com"), 202)
    token = mailed_token(runtime, mailbox, "ana@example.com")
    with runtime.database.read() as session:
        [row] = session.scalars(select(PasswordReset)).all()
        stored = " ".join(str(value) for value in row.__dict__.values())
    assert token not in stored
    assert token.split("_", 1)[-1] not in stored
    assert len(row.token_digest) == 64


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "x" + token,
        lambda token: "",
        lambda token: "not-a-token",
    ],
)
def test_a_forged_or_damaged_token_is_refused(
    client: TestClient, runtime: Runtime, mailbox: Mailbox, mangle: Any
) -> None:
    seeded.person(runtime, email="ana@example.com")
    ok(ask(client, "ana@example.com"), 202)
    token = mailed_token(runtime, mailbox, "ana@example.com")
    assert error(complete(client, mangle(token)), 422) == "reset_token_invalid"
    ok(login(client, "ana@example.com", PASSWORD))


def test_a_weak_password_does_not_use_the_link_up(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    seeded.person(runtime, email="ana@example.com")
    ok(ask(client, "ana@example.com"), 202)
    token = mailed_token(runtime, mailbox, "ana@example.com")
    assert error(complete(client, token, "short"), 422) == "weak_password"
    assert complete(client, token).status_code == 204


def test_using_a_link_voids_the_others(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    seeded.person(runtime, email="ana@example.com")
    ok(ask(client, "ana@example.com"), 202)
    ok(ask(client, "ana@example.com"), 202)
    send_mail(runtime)
    first, second = (reset_token(mail) for mail in mailbox.to("ana@example.com"))
    assert complete(client, second).status_code == 204
    assert error(complete(client, first, "yet another passphrase"), 409) == "reset_token_used"


def test_a_link_for_an_address_the_account_no_longer_has_does_nothing(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    ana = seeded.person(runtime, email="ana@example.com")
    ok(ask(client, "ana@example.com"), 202)
    token = mailed_token(runtime, mailbox, "ana@example.com")
    ok(
        client.post(
            "/v1/me/email",
            json={"email": "ana@new.example", "password": PASSWORD},
            headers=ana.auth,
        )
    )
    assert error(complete(client, token), 409) == "reset_token_stale"


def test_a_reset_proves_the_address(client: TestClient, runtime: Runtime, mailbox: Mailbox) -> None:
    ana = seeded.person(runtime, email="ana@example.com", email_verified=False)
    ok(ask(client, "ana@example.com"), 202)
    send_mail(runtime)
    [mail] = [mail for mail in mailbox.to("ana@example.com") if "reset-password" in mail.text]
    token = reset_token(mail)
    assert complete(client, token).status_code == 204
    with runtime.database.read() as session:
        user = session.get(User, ana.user_id)
        assert user is not None
        assert user.email_verified_at == runtime.clock.now()


def test_requests_are_limited_per_address_alike_for_known_and_unknown_ones(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    seeded.person(runtime, email="ana@example.com")
    for email in ("ana@example.com", "nobody@example.com"):
        answers = [ask(client, email).status_code for _ in range(4)]
        assert answers == [202, 202, 202, 429], email
    send_mail(runtime)
    assert len(mailbox.to("ana@example.com")) == 3


def test_requests_are_limited_per_client(client: TestClient, runtime: Runtime) -> None:
    answers = [ask(client, f"someone{n}@example.com").status_code for n in range(11)]
    assert answers == [202] * 10 + [429]


def test_an_account_is_mailed_at_most_five_links_a_day(
    runtime: Runtime, clock: ManualClock, mailbox: Mailbox
) -> None:
    """Past the per-address rate limit (kept in memory or Redis, so gone with a restart), the
    outbox itself caps what one mailbox gets, silently: the answer must not change."""
    seeded.person(runtime, email="ana@example.com")

    def request() -> None:
        with runtime.database.write() as session:
            password_resets.request(
                session, runtime, email="ana@example.com", ip_address=None, now=clock.now()
            )

    for _ in range(6):
        request()
    send_mail(runtime)
    assert len(mailbox.to("ana@example.com")) == 5
    clock.advance(24 * 3600 + 1)
    request()
    send_mail(runtime)
    assert len(mailbox.to("ana@example.com")) == 6
