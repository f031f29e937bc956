"""A sign-up with an address that has an account makes nothing and is answered as any other
(issue 17, finding 15); the owner of the address is mailed instead, with a reset link in case
it was them and they forgot their password."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests import seeded
from tests.factories import PASSWORD, ok
from tests.mail.mailbox import Mailbox, send_mail
from tests.mail.test_password_resets import NEW_PASSWORD, reset_token
from tocsin.runtime import Runtime

pytestmark = [pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]


def _signup(client: TestClient, email: str) -> None:
    ok(client.post("/v1/auth/signup", json={"email": email, "password": PASSWORD}), 202)


def test_the_owner_of_a_taken_address_is_mailed_a_reset_link(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    seeded.person(runtime, email="ana@example.com")
    _signup(client, "ana@example.com")
    send_mail(runtime)
    [mail] = mailbox.to("ana@example.com")
    assert mail.subject == "Someone tried to sign up to Tocsin with your address"
    assert "No new account was made" in mail.text
    assert "http://tocsin.test/login" in mail.text
    done = client.post(
        "/v1/auth/password-reset/complete",
        json={"token": reset_token(mail), "new_password": NEW_PASSWORD},
    )
    assert done.status_code == 204


def test_a_new_address_is_mailed_its_verification_link_as_before(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    _signup(client, "bob@example.com")
    send_mail(runtime)
    [mail] = mailbox.to("bob@example.com")
    assert "Confirm your e-mail address" in mail.subject


def test_repeated_attempts_mail_the_owner_at_most_five_times_a_day(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    seeded.person(runtime, email="ana@example.com")
    for _ in range(7):
        _signup(client, "ana@example.com")
    send_mail(runtime)
    assert len(mailbox.to("ana@example.com")) == 5
