"""On a server that mails nothing (no TOCSIN_SMTP_URL), asking for a reset link says so, alike
for every address: the operator prints links instead (`tocsin user reset-password`)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests import seeded
from tests.accounts.helpers import error
from tocsin.runtime import Runtime


def test_without_mail_a_reset_request_is_refused_alike_for_every_address(
    client: TestClient, runtime: Runtime
) -> None:
    seeded.person(runtime, email="ana@example.com")
    known = client.post("/v1/auth/password-reset", json={"email": "ana@example.com"})
    unknown = client.post("/v1/auth/password-reset", json={"email": "nobody@example.com"})
    assert error(known, 503) == error(unknown, 503) == "mail_off"
    assert known.json() == unknown.json()
    assert "tocsin user reset-password" in known.json()["error"]["message"]
