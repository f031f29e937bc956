"""E-mail addresses are verified by a link (issue 16, finding 7: "no e-mail verification"): a
signed, single-use token that expires after a day, mailed on sign-up and on a change of
address, confirmed by a web page or the API, sent again on request within a limit."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests import rows, seeded
from tests.factories import PASSWORD, ok
from tests.mail.mailbox import Mailbox, Received, send_mail
from tocsin.core.clock import ManualClock
from tocsin.runtime import Runtime

pytestmark = [
    # The test server takes a password without TLS, which a real one must not.
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]


def sign_up(client: TestClient, email: str) -> dict[str, str]:
    """Sign up over the API, then in; the bearer header."""
    ok(
        client.post(
            "/v1/auth/signup",
            json={"email": email, "password": PASSWORD, "organization_name": "Acme"},
        ),
        202,
    )
    tokens = ok(client.post("/v1/auth/login", json={"email": email, "password": PASSWORD}))
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert me(client, auth)["email_verified"] is False
    return auth


def me(client: TestClient, auth: dict[str, str]) -> dict[str, Any]:
    user: dict[str, Any] = ok(client.get("/v1/me", headers=auth))["user"]
    return user


def me_id(client: TestClient, auth: dict[str, str]) -> str:
    return str(me(client, auth)["id"])


def only_mail(mailbox: Mailbox, address: str) -> Received:
    [mail] = mailbox.to(address)
    return mail


def path_of(link: str) -> str:
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == "http://tocsin.test"
    return f"{parts.path}?{parts.query}"


def test_sign_up_mails_a_link_that_verifies_the_address(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    """issue 16, finding 7: no e-mail verification."""
    auth = sign_up(client, "ana@example.com")
    assert mailbox.received == []  # sign-up wrote a row; the worker sends it
    send_mail(runtime)
    mail = only_mail(mailbox, "ana@example.com")
    assert mail.recipients == ["ana@example.com"]
    assert "Confirm your e-mail address" in mail.subject
    assert "24 hours" in mail.text
    link = mail.link()
    assert link.startswith("http://tocsin.test/verify-email?token=")

    page = client.get(path_of(link))
    assert page.status_code == 200
    assert "ana@example.com is verified" in page.text
    assert me(client, auth)["email_verified"] is True


def test_a_link_works_once(client: TestClient, runtime: Runtime, mailbox: Mailbox) -> None:
    sign_up(client, "ana@example.com")
    send_mail(runtime)
    link = only_mail(mailbox, "ana@example.com").link()
    assert client.get(path_of(link)).status_code == 200
    token = link.split("token=", 1)[1]
    again = client.post("/v1/auth/verify-email", json={"token": token})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "email_token_used"


def test_a_link_expires_after_a_day(
    client: TestClient, runtime: Runtime, clock: ManualClock, mailbox: Mailbox
) -> None:
    auth = sign_up(client, "ana@example.com")
    send_mail(runtime)
    token = only_mail(mailbox, "ana@example.com").link().split("token=", 1)[1]
    user_id = me_id(client, auth)
    clock.advance(24 * 3600 + 1)
    late = client.post("/v1/auth/verify-email", json={"token": token})
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "email_token_expired"
    page = client.get(f"/verify-email?token={token}")
    assert page.status_code == 409
    assert "expired" in page.text
    assert me(client, seeded.signed_in(runtime, user_id))["email_verified"] is False


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
    sign_up(client, "ana@example.com")
    send_mail(runtime)
    token = only_mail(mailbox, "ana@example.com").link().split("token=", 1)[1]
    refused = client.post("/v1/auth/verify-email", json={"token": mangle(token)})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "email_token_invalid"


def test_the_api_confirms_a_token_without_signing_in(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    auth = sign_up(client, "ana@example.com")
    send_mail(runtime)
    token = only_mail(mailbox, "ana@example.com").link().split("token=", 1)[1]
    confirmed = ok(client.post("/v1/auth/verify-email", json={"token": token}))
    assert confirmed == {"email": "ana@example.com", "verified": True}
    assert me(client, auth)["email_verified"] is True


def test_a_new_link_can_be_asked_for_within_a_limit(
    client: TestClient, runtime: Runtime, clock: ManualClock, mailbox: Mailbox
) -> None:
    auth = sign_up(client, "ana@example.com")
    too_soon = client.post("/v1/me/email/verification", headers=auth)
    assert too_soon.status_code == 429
    assert too_soon.json()["error"]["code"] == "rate_limited"
    for _ in range(4):
        clock.advance(61)
        auth = seeded.signed_in(runtime, me(client, auth)["id"])
        ok(client.post("/v1/me/email/verification", headers=auth), 202)
    clock.advance(61)
    over = client.post("/v1/me/email/verification", headers=auth)
    assert over.status_code == 429
    send_mail(runtime)
    links = [mail.link() for mail in mailbox.to("ana@example.com")]
    assert len(links) == 5
    # Any link not yet used works; the newest is as good as the first.
    assert client.get(path_of(links[-1])).status_code == 200
    verified = ok(client.post("/v1/me/email/verification", headers=auth), 200)
    assert verified == {"email": "ana@example.com", "verified": True}


def test_changing_the_address_needs_the_password_and_a_new_link(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    ana = seeded.person(runtime, email="ana@example.com")
    wrong = client.post(
        "/v1/me/email", json={"email": "ana@new.example", "password": "nope"}, headers=ana.auth
    )
    assert wrong.status_code == 401
    changed = ok(
        client.post(
            "/v1/me/email",
            json={"email": "Ana@New.Example", "password": PASSWORD},
            headers=ana.auth,
        )
    )
    assert (changed["email"], changed["email_verified"]) == ("ana@new.example", False)
    send_mail(runtime)
    link = only_mail(mailbox, "ana@new.example").link()
    # The old address hears of the change, with no link that undoes anything.
    warned = only_mail(mailbox, "ana@example.com")
    assert "ana@new.example" in warned.text
    assert "verify-email" not in warned.text
    assert client.get(path_of(link)).status_code == 200
    assert me(client, ana.auth) | {"email_verified": True} == me(client, ana.auth)


def test_a_link_for_an_address_the_user_no_longer_has_does_nothing(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    auth = sign_up(client, "ana@example.com")
    send_mail(runtime)
    old_link = only_mail(mailbox, "ana@example.com").link()
    ok(
        client.post(
            "/v1/me/email", json={"email": "ana@new.example", "password": PASSWORD}, headers=auth
        )
    )
    stale = client.get(path_of(old_link))
    assert stale.status_code == 409
    assert me(client, auth)["email_verified"] is False


def test_the_account_page_says_whether_the_address_is_verified(
    client: TestClient, runtime: Runtime, mailbox: Mailbox
) -> None:
    ana = seeded.person(runtime, email="ana@example.com", email_verified=False)
    browser = rows.browser_for(client, runtime, ana.user_id)
    page = browser.get("/account")
    assert "not verified yet" in page.text
    seeded.verify_email(runtime, ana.user_id)
    assert "not verified yet" not in browser.get("/account").text
