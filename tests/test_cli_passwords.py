"""`tocsin user reset-password`: the operator's way to let someone back in, on a server that
mails nothing or for mail that never arrives (issue 17, finding 10). It prints a link that works
as a mailed one does: once, for 30 minutes."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.factories import PASSWORD, ok
from tests.shell import fails, run
from tocsin.audit import trail
from tocsin.runtime import Runtime

NEW_PASSWORD = "a new and longer passphrase"


def test_the_operator_prints_a_reset_link_that_works_once(
    cli: CliRunner, client: TestClient, runtime: Runtime
) -> None:
    made = run(cli, "user", "create", "ana@example.com", "--password-stdin", stdin=PASSWORD)
    printed = run(cli, "user", "reset-password", "Ana@Example.com")
    assert printed["email"] == "ana@example.com"
    assert printed["link"].startswith("http://127.0.0.1:8080/reset-password?token=")
    token = printed["link"].split("token=", 1)[1]
    body = {"token": token, "new_password": NEW_PASSWORD}
    assert client.post("/v1/auth/password-reset/complete", json=body).status_code == 204
    again = client.post("/v1/auth/password-reset/complete", json=body)
    assert again.json()["error"]["code"] == "reset_token_used"
    ok(client.post("/v1/auth/login", json={"email": "ana@example.com", "password": NEW_PASSWORD}))
    with runtime.database.read() as session:
        events = trail.about(session, target_type="user", target_id=made["id"])
    [asked] = [event for event in events if event.action == "user.password_reset_requested"]
    assert asked.actor_type == "cli"
    assert asked.details == {"by": "operator", "mailed": False}


def test_an_unknown_address_gets_no_link(cli: CliRunner) -> None:
    assert "no user with this email" in fails(cli, "user", "reset-password", "who@example.com")
