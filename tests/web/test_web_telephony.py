"""The dashboard tells how calls are placed: a banner while the server's provider is the
simulator (nobody's phone rings) or while it has none, and every simulated call and keypress
marked as such (issue 14, finding 1)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import serving
from tests.factories import ok
from tests.rows import browser_for, tenant_rows
from tocsin.core.clock import ManualClock
from tocsin.engine.settings import WorkerSettings
from tocsin.engine.worker import Worker
from tocsin.runtime import Runtime


@pytest.fixture(params=["simulator", None], ids=["simulated", "no-provider"])
def server(
    request: pytest.FixtureRequest,
    app: FastAPI,
    database_url: str,
    data_dir: Path,
    clock: ManualClock,
) -> Iterator[TestClient]:
    with serving(app, database_url, data_dir, clock, provider=request.param) as (_, client):
        yield client


def test_every_page_says_when_nobody_can_really_be_called(server: TestClient) -> None:
    runtime: Runtime = server.app.state.runtime  # type: ignore[attr-defined]
    tenant = tenant_rows(runtime)
    browser = browser_for(server, runtime, tenant.user_id)
    for path in (f"/o/{tenant.org_id}", f"/o/{tenant.org_id}/contacts"):
        page = browser.get(path)
        assert page.status_code == 200
        if runtime.calls_are_simulated:
            assert "<strong>Calls are simulated.</strong>" in page.text
        else:
            assert "<strong>No telephony provider is configured on this server.</strong>" in (
                page.text
            )
    # Signed out, nobody is told about the server's set-up.
    assert 'id="telephony-banner"' not in server.get("/login").text


def test_a_simulated_call_and_its_keypress_are_marked_on_the_alert_page(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = tenant_rows(runtime)
    alert_id = ok(
        client.post(
            f"/v1/hooks/{tenant.endpoint_id}", json={"title": "Disk full"}, headers=tenant.alert_key
        ),
        202,
    )["alert_id"]
    worker = Worker(
        runtime.database,
        runtime.provider_directory(),
        clock=runtime.clock,
        settings=WorkerSettings(throttle=()),
    )
    asyncio.run(worker.run_until_idle())
    page = browser_for(client, runtime, tenant.user_id).get(f"/o/{tenant.org_id}/alerts/{alert_id}")
    assert page.status_code == 200
    assert "the simulator's made-up callee at +447400123456: nobody was called" in page.text
    calls = page.text.split('id="calls"')[1].split("</table>")[0]
    assert '<span class="badge simulated"' in calls
    assert "keypad:" not in page.text
