"""The owner of an account is told by mail when its password changes, by the change form or a
reset link (issue 17, finding 10), so a change they did not make does not go unnoticed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests import seeded
from tests.factories import PASSWORD, ok
from tests.mail.mailbox import Mailbox, send_mail
from tests.mail.test_password_resets import NEW_PASSWORD, reset_token
from tocsin.runtime import Runtime

pytestmark = [pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]


def test_a_changed_password_is_told_to_the_address(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    ana = seeded.person(runtime, email="ana@example.com")
    ok(
        client.post(
            "/v1/me/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=ana.auth,
        )
    )
    send_mail(runtime)
    [mail] = mailbox.to("ana@example.com")
    assert mail.subject == "Your Tocsin password was changed"
    assert "If you did not change it" in mail.text
    # Nothing in it acts on the account: a forwarded notice gives nobody a way in.
    assert "token=" not in mail.text


def test_a_reset_password_is_told_to_the_address(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    seeded.person(runtime, email="ana@example.com")
    ok(client.post("/v1/auth/password-reset", json={"email": "ana@example.com"}), 202)
    send_mail(runtime)
    [link] = mailbox.to("ana@example.com")
    done = client.post(
        "/v1/auth/password-reset/complete",
        json={"token": reset_token(link), "new_password": NEW_PASSWORD},
    )
    assert done.status_code == 204
    send_mail(runtime)
    told = mailbox.to("ana@example.com")[-1]
    assert told.subject == "Your Tocsin password was changed"
    assert "reset link" in told.text
