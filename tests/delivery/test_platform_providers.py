"""The platform's own providers (issue 14, finding 1): configured by the operator, real ones
included; the simulator only when named, never standing in for a real provider, and every
simulated outcome marked as such; with no provider at all, a loud failure instead of a made-up
acknowledgement.

The real provider here is a local fake of Twilio's API (tests/telephony/rest/fakes.py), which
checks credentials and speaks Twilio's wire format; its phone signs callbacks as Twilio does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import serving, settings_for
from tests.factories import alert_dials, ok
from tests.rows import RowTenant, provider_account, tenant_rows
from tests.telephony.rest.fakes import FakeTwilio
from tests.trust.anomaly_traffic import Traffic
from tocsin.audit.models import AuditEvent, Notice
from tocsin.core.clock import ManualClock
from tocsin.core.errors import InvalidInput
from tocsin.engine.settings import WorkerSettings
from tocsin.engine.worker import Worker
from tocsin.paging.models import Alert, CallAttempt
from tocsin.providers.platform import PlatformProviderError, configured_providers
from tocsin.runtime import Runtime

PHONE = "+447400123456"
SID = "AC" + "7" * 32
TOKEN = "platform-twilio-token"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(SID, TOKEN)
    with fake.running():
        yield fake


def twilio_settings(fake: FakeTwilio, token: str = TOKEN) -> dict[str, Any]:
    return {
        "provider": "twilio",
        "provider_settings": {"api_base_url": fake.url},
        "provider_credentials": {"account_sid": SID, "auth_token": token},
    }


def fire(client: TestClient, tenant: RowTenant, title: str = "Disk full on db1") -> str:
    body = ok(
        client.post(
            f"/v1/hooks/{tenant.endpoint_id}",
            headers=tenant.alert_key,
            json={"title": title, "severity": "critical"},
        ),
        202,
    )
    alert_id: str = body["alert_id"]
    return alert_id


def run_worker(runtime: Runtime) -> None:
    worker = Worker(
        runtime.database,
        runtime.provider_directory(),
        clock=runtime.clock,
        settings=WorkerSettings(caller_id="+447400000001", throttle=()),
    )
    asyncio.run(worker.run_until_idle())


def attempts_of(runtime: Runtime, alert_id: str) -> list[CallAttempt]:
    with runtime.database.read() as session:
        return list(
            session.scalars(
                select(CallAttempt)
                .where(CallAttempt.alert_id == alert_id)
                .order_by(CallAttempt.created_at, CallAttempt.attempt_no)
            )
        )


def alert_of(runtime: Runtime, alert_id: str) -> Alert:
    with runtime.database.read() as session:
        alert = session.get(Alert, alert_id)
    assert alert is not None
    return alert


def notices(runtime: Runtime, org_id: str) -> list[str]:
    with runtime.database.read() as session:
        return list(session.scalars(select(Notice.kind).where(Notice.org_id == org_id)))


def timeline(runtime: Runtime, alert_id: str) -> list[AuditEvent]:
    with runtime.database.read() as session:
        attempt_ids = [a.id for a in attempts_of(runtime, alert_id)]
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.target_id.in_([alert_id, *attempt_ids]))
                .order_by(AuditEvent.id)
            )
        )


def test_the_platform_provider_is_a_real_twilio_account_whose_secret_comes_from_the_environment(
    app: FastAPI,
    database_url: str,
    data_dir: Path,
    clock: ManualClock,
    twilio: FakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before: `TOCSIN_PROVIDER=twilio` stopped start-up; the simulator was the only choice."""
    monkeypatch.setenv("PLATFORM_TWILIO_TOKEN", TOKEN)
    settings = {**twilio_settings(twilio, token="env:PLATFORM_TWILIO_TOKEN")}
    with serving(app, database_url, data_dir, clock, **settings) as (runtime, client):
        tenant = tenant_rows(runtime, phones=(PHONE,))
        alert_id = fire(client, tenant)
        run_worker(runtime)

        [call] = twilio.calls
        assert call.request["To"] == PHONE
        [attempt] = attempts_of(runtime, alert_id)
        assert (attempt.provider, attempt.platform_provider, attempt.provider_account_id) == (
            "twilio",
            "twilio",
            None,
        )
        assert attempt.simulated is False
        # Twilio's callbacks are checked with the platform's credentials, and a real key press
        # is a person's acknowledgement.
        phone = twilio.phone(client)
        phone.answer()
        assert phone.press("1").status_code == 200
        alert = alert_of(runtime, alert_id)
        assert (alert.status, alert.acknowledged_by) == ("acknowledged", f"keypad:{PHONE}")
    assert not (data_dir / "simulator" / "dials.log").exists()


def test_disabling_every_account_while_the_platform_is_real_does_not_acknowledge_and_tells_owners(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock, twilio: FakeTwilio
) -> None:
    """Before: an organization whose accounts were all disabled fell back to the simulator,
    whose callee "pressed 1": acknowledged by keypad, and nobody was called."""
    with serving(app, database_url, data_dir, clock, **twilio_settings(twilio)) as (
        runtime,
        client,
    ):
        tenant = tenant_rows(runtime, phones=(PHONE,))
        provider_account(
            runtime,
            tenant.org_id,
            "simulator",
            settings={"outcome": "press:1", "record_audio": False},
            enabled=False,
        )
        alert_id = fire(client, tenant)
        run_worker(runtime)

        alert = alert_of(runtime, alert_id)
        assert (alert.status, alert.acknowledged_by) == ("open", None)
        [attempt] = attempts_of(runtime, alert_id)
        assert (attempt.platform_provider, attempt.status, attempt.simulated) == (
            "twilio",
            "in_progress",
            False,
        )
        assert [call.request["To"] for call in twilio.calls] == [PHONE]
        assert "providers_unusable" in notices(runtime, tenant.org_id)
        [fallback] = [
            e for e in timeline(runtime, alert_id) if e.action == "call.provider_fallback"
        ]
        assert (
            fallback.details["reason"] == "every provider account of the organization is disabled"
        )
    assert alert_dials(data_dir / "simulator") == []


def test_with_no_provider_anywhere_the_call_fails_loudly_and_the_alert_stays_open(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock
) -> None:
    with serving(app, database_url, data_dir, clock, provider=None) as (runtime, client):
        tenant = tenant_rows(runtime, phones=(PHONE,))
        alert_id = fire(client, tenant)
        run_worker(runtime)

        assert alert_of(runtime, alert_id).status == "open"
        [attempt] = attempts_of(runtime, alert_id)
        assert (attempt.status, attempt.error_code) == ("not_placed", "no_provider")
        assert "no provider can place calls" in (attempt.error_message or "")
        assert "no_provider" in notices(runtime, tenant.org_id)
        ended = [e for e in timeline(runtime, alert_id) if e.action == "call.ended"]
        assert ended[0].details["error"] == "no_provider"
        detail = ok(client.get(f"/v1/orgs/{tenant.org_id}/alerts/{alert_id}", headers=tenant.auth))
        assert detail["calls"][0]["error_code"] == "no_provider"


def test_the_simulator_never_stands_in_for_a_real_account_that_refuses(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock, twilio: FakeTwilio
) -> None:
    with serving(app, database_url, data_dir, clock, provider="simulator") as (runtime, client):
        tenant = tenant_rows(runtime, phones=(PHONE,))
        provider_account(
            runtime,
            tenant.org_id,
            "twilio",
            settings={"api_base_url": twilio.url},
            # Wrong: Twilio refuses with 401, which certainly placed no call.
            credentials={"account_sid": SID, "auth_token": "stale-token"},
        )
        alert_id = fire(client, tenant)
        run_worker(runtime)

        assert alert_of(runtime, alert_id).status == "open"
        [attempt] = attempts_of(runtime, alert_id)
        assert (attempt.status, attempt.error_code, attempt.simulated) == (
            "not_placed",
            "provider_auth",
            False,
        )
    assert alert_dials(data_dir / "simulator") == []


def test_a_simulated_keypress_is_marked_simulated_and_never_shown_as_a_person(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock
) -> None:
    with serving(app, database_url, data_dir, clock, provider="simulator") as (runtime, client):
        tenant = tenant_rows(runtime, phones=(PHONE,))
        alert_id = fire(client, tenant)
        run_worker(runtime)

        detail = ok(client.get(f"/v1/orgs/{tenant.org_id}/alerts/{alert_id}", headers=tenant.auth))
        assert (detail["status"], detail["acknowledged_by"]) == (
            "acknowledged",
            f"simulator:{PHONE}",
        )
        [call] = detail["calls"]
        assert (call["simulated"], call["platform_provider"], call["digits"]) == (
            True,
            "simulator",
            "1",
        )
        [ack] = [entry for entry in detail["timeline"] if entry["action"] == "alert.acknowledged"]
        assert (ack["actor_type"], ack["details"]["simulated"]) == ("simulator", True)
        [ended] = [entry for entry in detail["timeline"] if entry["action"] == "call.ended"]
        assert ended["details"]["simulated"] is True
        assert not any(entry["actor_type"] == "callee" for entry in detail["timeline"])


def test_public_opt_out_codes_go_through_the_platform_provider(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock, twilio: FakeTwilio
) -> None:
    """Before: the public opt-out form sent its codes through the simulator, so in a real
    deployment they reached nobody."""
    with serving(app, database_url, data_dir, clock, **twilio_settings(twilio)) as (
        runtime,
        client,
    ):
        # The form sends codes only to numbers Tocsin called.
        traffic = Traffic(runtime.database, clock.now)
        traffic.calls(traffic.org(), [PHONE])
        ok(
            client.post("/v1/public/opt-out", json={"number": PHONE, "channel": "sms"}),
            202,
        )
    [text] = twilio.texts
    assert text.request["To"] == PHONE
    assert "stop all Tocsin calls" in text.request["Body"]
    assert not (data_dir / "simulator" / "texts.log").exists()


def test_without_a_platform_provider_a_public_opt_out_says_no_code_was_sent(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock
) -> None:
    with serving(app, database_url, data_dir, clock, provider=None) as (_, client):
        response = client.post("/v1/public/opt-out", json={"number": PHONE, "channel": "call"})
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "verification_not_sent"
    assert "no telephony provider is configured" in response.json()["error"]["message"]


# Configuration -----------------------------------------------------------------------------


def configure(**kwargs: Any) -> tuple[Any, ...]:
    values: dict[str, Any] = {
        "kind": None,
        "settings": {},
        "credentials": {},
        "providers_file": None,
        "simulator_settings": {"outcome": "press:1"},
        **kwargs,
    }
    return configured_providers(**values)


def test_a_providers_file_lists_providers_in_failover_order_with_secrets_from_env_and_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "sip_password"
    secret.write_text("trunk-secret\n")
    monkeypatch.setenv("TWILIO_TOKEN_FOR_TEST", "token-from-env")
    path = tmp_path / "providers.toml"
    path.write_text(
        f"""
[[providers]]
name = "carrier"
kind = "sip"
settings = {{ host = "sip.carrier.example" }}
credentials = {{ username = "tocsin", password = "file:{secret}" }}

[[providers]]
name = "backup"
kind = "twilio"
credentials = {{ account_sid = "{SID}", auth_token = "env:TWILIO_TOKEN_FOR_TEST" }}
"""
    )
    carrier, backup = configure(providers_file=path)
    assert (carrier.name, carrier.kind, carrier.credentials["password"]) == (
        "carrier",
        "sip",
        "trunk-secret",
    )
    assert (backup.name, backup.credentials["auth_token"]) == ("backup", "token-from-env")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"kind": "twilio", "credentials": {"auth_token": "env:NOT_SET_ANYWHERE_42"}},
            "environment variable NOT_SET_ANYWHERE_42 is not set",
        ),
        (
            {"kind": "twilio", "credentials": {"auth_token": "file:/nonexistent/secret"}},
            "cannot read /nonexistent/secret",
        ),
        (
            {"kind": "twilio", "settings": '["not", "an", "object"]'},
            "TOCSIN_PROVIDER_SETTINGS is not a JSON object",
        ),
    ],
)
def test_a_secret_or_setting_that_cannot_be_read_is_named(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(PlatformProviderError, match=message):
        configure(**kwargs)


def test_the_simulator_cannot_be_listed_beside_a_real_provider(tmp_path: Path) -> None:
    path = tmp_path / "providers.toml"
    path.write_text(
        '[[providers]]\nkind = "twilio"\n[[providers]]\nkind = "simulator"\n', encoding="utf-8"
    )
    with pytest.raises(PlatformProviderError, match="cannot stand in for a real provider"):
        configure(providers_file=path)


def test_one_provider_by_environment_or_a_file_not_both(tmp_path: Path) -> None:
    path = tmp_path / "providers.toml"
    path.write_text('[[providers]]\nkind = "simulator"\n', encoding="utf-8")
    with pytest.raises(PlatformProviderError, match="not both"):
        configure(kind="simulator", providers_file=path)


def test_nothing_configured_means_no_platform_provider_not_the_simulator() -> None:
    assert configure() == ()


def test_a_platform_provider_the_factory_refuses_stops_start_up(
    database_url: str, data_dir: Path
) -> None:
    with pytest.raises(InvalidInput, match="account_sid is required"):
        Runtime.from_settings(
            settings_for(database_url, data_dir, provider="twilio", provider_credentials={})
        )


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ({"provider": "simulator"}, "CALLS ARE SIMULATED"),
        ({"provider": None}, "NO TELEPHONY PROVIDER is configured"),
        ({"provider": "twilio"}, "calls go through twilio (twilio)"),
    ],
)
def test_serve_says_at_start_up_whether_anybody_can_be_called(
    database_url: str,
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
    settings: dict[str, Any],
    said: str,
) -> None:
    from tocsin.cli.admin import _say_how_calls_are_placed

    if settings["provider"] == "twilio":
        settings = {**settings, "provider_credentials": {"account_sid": SID, "auth_token": "t"}}
    runtime = Runtime.from_settings(settings_for(database_url, data_dir, **settings))
    with caplog.at_level("INFO", logger="tocsin.serve"):
        _say_how_calls_are_placed(runtime)
    runtime.database.dispose()
    assert said in caplog.text
