"""Issue 16, finding 1 and issue 17, item 5: any SIP host or REST `api_base_url` was accepted,
so an organization could make the server POST to internal addresses (127.0.0.1, the cloud
metadata service at 169.254.169.254), and the error told closed, open and HTTP ports apart.

Organizations' provider hosts must be public (REST over https), checked when the account is
saved and again, after DNS resolution, on every request; the operator's allowlist
(`TOCSIN_PROVIDER_HOST_ALLOWLIST`) admits private hosts on purpose, and the platform's own
providers are the operator's choice and never checked. These tests run with the allowlist
unset (the suite's default allows 127.0.0.1 for its local fakes)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests import rows
from tests.conftest import serving
from tests.factories import ok
from tests.rows import RowTenant, tenant_rows
from tests.telephony.rest.fakes import FakeTwilio, serve
from tocsin.core.clock import ManualClock
from tocsin.core.ids import new_id
from tocsin.paging.models import CallAttempt
from tocsin.providers.models import ProviderAccount
from tocsin.runtime import Runtime

SID = "AC" + "5" * 32
TOKEN = "twilio-token"
CREDENTIALS = {"account_sid": SID, "auth_token": TOKEN}
REFUSED = "provider_host_not_allowed"


class Recorder:
    """An HTTP server on 127.0.0.1 that answers every request 200 and writes it down."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []

    def app(self) -> Starlette:
        async def anything(request: Request) -> Response:
            self.requests.append((request.method, request.url.path))
            return JSONResponse({"sid": "CA1"}, 201)

        return Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST"])])


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, str]]:
    recording = Recorder()
    with serve(recording.app()) as url:
        yield recording, url


@pytest.fixture
def strict(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock
) -> Iterator[tuple[Runtime, TestClient]]:
    """A server with no operator allowlist: organizations' hosts must be public."""
    with serving(app, database_url, data_dir, clock, provider_host_allowlist="") as served:
        yield served


@pytest.fixture
def open_port() -> Iterator[int]:
    """A TCP port that accepts connections and never speaks HTTP."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def save(
    client: TestClient, tenant: RowTenant, kind: str, settings: dict[str, Any], priority: int = 1
) -> Any:
    body = {
        "kind": kind,
        "name": f"Ours {priority}",
        "priority": priority,
        "settings": settings,
        "credentials": CREDENTIALS if kind == "twilio" else {},
        "caller_id_id": rows.proven_caller_id(
            client.app.state.runtime,  # type: ignore[attr-defined]
            tenant.org_id,
        ),
    }
    return client.post(f"/v1/orgs/{tenant.org_id}/providers", json=body, headers=tenant.auth)


def refused(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == REFUSED
    return error


def stored_before_the_rule(
    runtime: Runtime, org_id: str, kind: str, settings: dict[str, Any]
) -> None:
    """An account row as the API stored it before hosts were checked."""
    now = runtime.clock.now()
    caller_id = rows.proven_caller_id(runtime, org_id)
    with runtime.database.write() as session:
        session.add(
            ProviderAccount(
                id=new_id("prv"),
                org_id=org_id,
                kind=kind,
                name="saved before",
                priority=1,
                settings=settings,
                sealed_credentials=runtime.credentials_box.seal(
                    CREDENTIALS if kind == "twilio" else {}
                ),
                enabled=True,
                caller_id_id=caller_id,
                created_at=now,
                updated_at=now,
            )
        )


def page(runtime: Runtime, client: TestClient, tenant: RowTenant) -> list[CallAttempt]:
    """Fire an alert, let the worker dial it, and return its attempts."""
    alert_id = ok(
        client.post(
            f"/v1/hooks/{tenant.endpoint_id}",
            headers=tenant.alert_key,
            json={"title": "Disk full", "severity": "critical"},
        ),
        202,
    )["alert_id"]
    asyncio.run(runtime.build_worker().run_until_idle())
    with runtime.database.read() as session:
        return list(session.scalars(select(CallAttempt).where(CallAttempt.alert_id == alert_id)))


def test_an_api_base_url_on_loopback_is_refused_and_never_posted_to(
    strict: tuple[Runtime, TestClient], recorder: tuple[Recorder, str]
) -> None:
    """Issue 17, item 5: an account with api_base_url http://127.0.0.1:<port> was accepted and
    the server POSTed to it."""
    runtime, client = strict
    recording, url = recorder
    tenant = tenant_rows(runtime)

    error = refused(save(client, tenant, "twilio", {"api_base_url": url}))
    assert error["details"] == {"host": "127.0.0.1"}
    assert recording.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.1",
        "https://192.168.1.1:8443",
        "https://172.16.0.1",
        "https://100.64.0.1",
        "https://0.0.0.0",
        "https://[::1]",
        "https://[::ffff:127.0.0.1]",
        "https://[::ffff:a9fe:a9fe]",
        "https://[fd00::1]",
        "https://[fe80::1]",
        "https://224.0.0.1",
        "https://localhost",
        "https://2130706433",  # 127.0.0.1 as one number
        "http://api.twilio.com",  # public, but not https
    ],
)
def test_private_hosts_and_plain_http_are_refused_when_saved(
    strict: tuple[Runtime, TestClient], url: str
) -> None:
    """Issue 16, finding 1: any REST api_base_url was accepted."""
    runtime, client = strict
    refused(save(client, tenant_rows(runtime), "twilio", {"api_base_url": url}))


@pytest.mark.parametrize("host", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "localhost"])
def test_private_sip_hosts_are_refused_when_saved(
    strict: tuple[Runtime, TestClient], host: str
) -> None:
    """Issue 16, finding 1: any SIP host was accepted."""
    runtime, client = strict
    error = refused(save(client, tenant_rows(runtime), "sip", {"host": host, "port": 5060}))
    assert error["details"] == {"host": host}


def test_the_refusal_does_not_tell_closed_open_and_http_ports_apart(
    strict: tuple[Runtime, TestClient], recorder: tuple[Recorder, str], open_port: int
) -> None:
    """Issue 17, item 5: the error told closed, open and HTTP ports apart."""
    runtime, client = strict
    recording, url = recorder
    http_port = int(url.rsplit(":", 1)[1])
    tenant = tenant_rows(runtime)
    bodies = [
        save(client, tenant, "twilio", {"api_base_url": f"https://127.0.0.1:{port}"}).json()
        for port in (closed_port(), open_port, http_port)
    ]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["error"]["code"] == REFUSED
    assert recording.requests == []


def test_an_account_saved_before_the_rule_is_not_posted_to_and_fails_generically(
    strict: tuple[Runtime, TestClient], recorder: tuple[Recorder, str], open_port: int
) -> None:
    """Issue 17, item 5, at dial time: rows saved before the rule are checked per request;
    whatever answers there (nothing, a non-HTTP service, an HTTP server), the attempt fails
    with the same generic provider error."""
    runtime, client = strict
    recording, url = recorder
    http_port = int(url.rsplit(":", 1)[1])
    outcomes = []
    for port in (closed_port(), open_port, http_port):
        tenant = tenant_rows(runtime)
        stored_before_the_rule(
            runtime, tenant.org_id, "twilio", {"api_base_url": f"http://127.0.0.1:{port}"}
        )
        [attempt] = page(runtime, client, tenant)
        outcomes.append((attempt.status, attempt.error_code, attempt.error_message))
    assert recording.requests == []
    generic = ("not_placed", "unreachable", "Could not reach Twilio; no call was placed.")
    assert outcomes == [generic] * 3


def test_a_sip_trunk_saved_before_the_rule_is_sent_nothing(
    strict: tuple[Runtime, TestClient],
) -> None:
    runtime, client = strict
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as trunk:
        trunk.bind(("127.0.0.1", 0))
        trunk.setblocking(False)
        tenant = tenant_rows(runtime)
        stored_before_the_rule(
            runtime, tenant.org_id, "sip", {"host": "127.0.0.1", "port": trunk.getsockname()[1]}
        )
        [attempt] = page(runtime, client, tenant)
        with pytest.raises(BlockingIOError):
            trunk.recv(65536)
    assert (attempt.status, attempt.error_code) == ("not_placed", "sip_unreachable")


def test_a_name_rebound_to_loopback_after_the_save_is_not_posted_to(
    strict: tuple[Runtime, TestClient], recorder: tuple[Recorder, str]
) -> None:
    """DNS rebinding: the name resolved to a public address when the account was saved and to
    127.0.0.1 when the call was placed; the request goes to the address checked, so nowhere."""
    runtime, client = strict
    recording, url = recorder
    port = int(url.rsplit(":", 1)[1])
    answers = {"api.rebind.test": ["93.184.216.34"]}
    runtime.provider_hosts = runtime.provider_hosts.resolving_with(
        lambda host, _port: answers[host]
    )
    tenant = tenant_rows(runtime)
    ok(save(client, tenant, "twilio", {"api_base_url": f"https://api.rebind.test:{port}"}), 201)

    answers["api.rebind.test"] = ["127.0.0.1"]
    [attempt] = page(runtime, client, tenant)
    assert recording.requests == []
    assert (attempt.status, attempt.error_code) == ("not_placed", "unreachable")


def test_the_operator_allowlist_admits_a_private_host(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock
) -> None:
    twilio = FakeTwilio(SID, TOKEN)
    with (
        twilio.running(),
        serving(
            app, database_url, data_dir, clock, provider_host_allowlist="10.0.0.0/8, 127.0.0.1"
        ) as (runtime, client),
    ):
        tenant = tenant_rows(runtime)
        ok(save(client, tenant, "twilio", {"api_base_url": twilio.url}), 201)
        ok(save(client, tenant, "sip", {"host": "10.1.2.3", "port": 5060}, priority=2), 201)
        [attempt] = page(runtime, client, tenant)
    assert attempt.status != "not_placed", attempt.error_message
    assert len(twilio.calls) == 1


def test_the_platform_provider_may_point_at_a_private_host(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock
) -> None:
    """The operator's own provider is the operator's choice: not checked."""
    twilio = FakeTwilio(SID, TOKEN)
    with (
        twilio.running(),
        serving(
            app,
            database_url,
            data_dir,
            clock,
            provider_host_allowlist="",
            provider="twilio",
            provider_settings={"api_base_url": twilio.url},
            provider_credentials=CREDENTIALS,
        ) as (runtime, client),
    ):
        tenant = tenant_rows(runtime)
        [attempt] = page(runtime, client, tenant)
    assert attempt.status != "not_placed", attempt.error_message
    assert len(twilio.calls) == 1
