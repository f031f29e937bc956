"""Issue 17, finding 14: a SIP account was saved with a line break in its settings or
credentials, and with a caller ID of 112; both were refused only when a call was due. Saving
now refuses them with a 422 naming the field, over the API and from the shell, and the
platform's own providers and number stop start-up instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests import rows, seeded
from tests.conftest import settings_for
from tests.factories import ok
from tests.shell import fails, run
from tocsin.core.clock import ManualClock
from tocsin.core.errors import InvalidInput
from tocsin.runtime import Runtime

CALLER_ID = "+447400000001"


def trunk(**changes: Any) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "caller_id": CALLER_ID,
        "from_domain": "calls.example",
        "advertised_host": "127.0.0.1",
        **changes,
    }


def save(
    client: TestClient,
    tenant: seeded.Tenant,
    settings: dict[str, Any],
    credentials: dict[str, Any] | None = None,
) -> Any:
    rows.proven_caller_id(client.app.state.runtime, tenant.org_id, CALLER_ID)  # type: ignore[attr-defined]
    return client.post(
        f"/v1/orgs/{tenant.org_id}/providers",
        json={
            "kind": "sip",
            "name": "Our trunk",
            "settings": settings,
            "credentials": credentials or {"username": "tocsin", "password": "s3cret"},
        },
        headers=tenant.auth,
    )


def refusal(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


@pytest.mark.parametrize(
    ("trunk_settings", "credentials", "field"),
    [
        (trunk(host="127.0.0.1\r\nX-Evil: 1"), None, "settings.host"),
        (trunk(from_domain="calls.example\r\nContact: <sip:x@evil>"), None, "settings.from_domain"),
        (
            trunk(caller_id=f"{CALLER_ID}\r\nP-Asserted-Identity: <sip:112@x>"),
            None,
            "settings.caller_id",
        ),
        (trunk(), {"username": "tocsin\nX: y", "password": "p"}, "credentials.username"),
        (trunk(), {"username": "tocsin", "password": "p\u2028q"}, "credentials.password"),
    ],
)
def test_a_line_break_in_a_sip_setting_or_credential_is_refused_when_saved(
    client: TestClient,
    runtime: Runtime,
    trunk_settings: dict[str, Any],
    credentials: dict[str, Any] | None,
    field: str,
) -> None:
    tenant = seeded.tenant(runtime)
    error = refusal(save(client, tenant, trunk_settings, credentials))
    assert error["code"] == "control_character"
    assert error["details"] == {"field": field}
    listed = ok(client.get(f"/v1/orgs/{tenant.org_id}/providers", headers=tenant.auth))
    assert listed["items"] == []


def test_new_credentials_with_a_line_break_change_nothing(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = seeded.tenant(runtime)
    account = ok(save(client, tenant, trunk()), 201)
    path = f"/v1/orgs/{tenant.org_id}/providers/{account['id']}"
    error = refusal(
        client.patch(
            path,
            json={"credentials": {"username": "tocsin", "password": "new\r\nVia: x"}},
            headers=tenant.auth,
        )
    )
    assert error["details"] == {"field": "credentials.password"}
    kept = ok(client.get(f"/v1/orgs/{tenant.org_id}/providers", headers=tenant.auth))["items"]
    assert [item["updated_at"] for item in kept] == [account["updated_at"]]


@pytest.mark.parametrize(
    ("caller_id", "reason"),
    [
        ("112", "emergency"),
        ("911", "emergency"),
        ("+1 900 234 5678", "premium_rate"),
        ("+1 876 210 1234", "high_risk"),
    ],
)
def test_a_caller_id_the_screen_refuses_is_refused_when_saved(
    client: TestClient, runtime: Runtime, caller_id: str, reason: str
) -> None:
    tenant = seeded.tenant(runtime)
    error = refusal(save(client, tenant, trunk(caller_id=caller_id)))
    assert error["code"] == "caller_id_refused"
    assert error["details"]["field"] == "settings.caller_id"
    assert reason in [r["code"] for r in error["details"]["reasons"]]


def test_a_one_ring_number_cannot_become_a_caller_id(client: TestClient, runtime: Runtime) -> None:
    """Presenting +1 876 asks whoever calls back to pay a one-ring scam's rates."""
    tenant = seeded.tenant(runtime)
    refused = client.post(
        f"/v1/orgs/{tenant.org_id}/caller-ids",
        json={"number": "+1 876 210 1234"},
        headers=tenant.auth,
    )
    error = refusal(refused)
    assert error["code"] == "caller_id_refused"
    assert "one-ring" in error["message"]


def test_the_shell_refuses_a_line_break_in_one_line(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_PROVIDER_HOST_ALLOWLIST", "127.0.0.1")
    run(cli, "org", "create", "Acme", "--country", "GB")
    line = fails(
        cli,
        "provider", "add", "--org", "acme", "--kind", "sip", "--name", "Trunk",
        "--setting", "host=sip.example\r\nX-Evil: 1",
    )  # fmt: skip
    assert "settings.host" in line
    assert "X-Evil" not in line
    caller = fails(
        cli,
        "provider", "add", "--org", "acme", "--kind", "sip", "--name", "Trunk",
        "--setting", "host=127.0.0.1", "--caller-id", "112",
    )  # fmt: skip
    assert "112" in caller
    assert "emergency" in caller


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"provider_settings": {"host": "sip.example\r\nX-Evil: 1"}}, "settings.host"),
        ({"provider_settings": {"host": "sip.example", "caller_id": "112"}}, "caller_id"),
        ({"provider_settings": {"host": "sip.example"}, "caller_id": "911"}, "TOCSIN_CALLER_ID"),
        (
            {"provider_settings": {"host": "sip.example"}, "caller_id": "+1\n876"},
            "TOCSIN_CALLER_ID",
        ),
    ],
)
def test_the_operators_providers_and_number_are_checked_at_start(
    database_url: str, data_dir: Path, overrides: dict[str, Any], named: str
) -> None:
    settings = settings_for(database_url, data_dir, provider="sip", **overrides)
    with pytest.raises(InvalidInput, match=named):
        Runtime.from_settings(settings, clock=ManualClock())


def test_the_operators_anonymous_trunk_and_placeholder_number_still_start(
    database_url: str, data_dir: Path
) -> None:
    """Withheld ("anonymous") and the default placeholder are no dangerous numbers."""
    settings = settings_for(
        database_url,
        data_dir,
        provider="sip",
        provider_settings={"host": "sip.example", "caller_id": "anonymous"},
    )
    Runtime.from_settings(settings, clock=ManualClock()).database.dispose()
