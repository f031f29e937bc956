"""A SIP trunk that is dead, refuses the call, or asks for rest: the page goes out at once through
the organization's next provider account (a second SIPp, which answers and presses 1), and the
alert's timeline says truly why the first was passed over."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import rows, seeded
from tests.delivery.test_worker import alert_and_attempts, fire
from tests.factories import Tenant, ok
from tests.telephony.sip.calls import answering, pause, refusing, rfc4733
from tests.telephony.sip.sipp import HOST, Sipp, requires_sipp, sipp_uas
from tocsin.core.clock import ManualClock
from tocsin.engine.worker import Worker
from tocsin.runtime import Runtime
from tocsin.telephony.base import close_provider

pytestmark = [requires_sipp]


def add_trunk(client: TestClient, tenant: Tenant, sipp: Sipp, *, priority: int) -> str:
    """A trunk presenting the organization's proven caller ID (its caller_id setting)."""
    rows.proven_caller_id(client.app.state.runtime, tenant.org_id)  # type: ignore[attr-defined]
    account = ok(
        client.post(
            f"/v1/orgs/{tenant.org_id}/providers",
            json={
                "kind": "sip",
                "name": f"Trunk {priority}",
                "priority": priority,
                "settings": {
                    "host": HOST,
                    "port": sipp.sip_port,
                    "advertised_host": HOST,
                    "caller_id": rows.CALLER_ID,
                    "max_call_seconds": 10,
                    "invite_timeout": 1.0,
                },
            },
            headers=tenant.auth,
        ),
        201,
    )
    account_id: str = account["id"]
    return account_id


@contextmanager
def two_trunks(
    tmp_path: Path, first: tuple[str, dict[str, str]], answers: int = 1
) -> Iterator[tuple[Sipp, Sipp]]:
    """The failing first trunk (scenario, placeholders) and a second that answers `answers`
    calls, each with a 1."""
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    press_1 = answering(f"{pause(300)}\n  {rfc4733(tmp_path, '1')}")
    with ExitStack() as stack:
        failing = stack.enter_context(
            sipp_uas(first[0], tmp_path / "first", replacements=first[1], rtp_echo=False)
        )
        answering_trunk = stack.enter_context(
            sipp_uas("answer.xml", tmp_path / "second", replacements=press_1, calls=answers)
        )
        yield failing, answering_trunk


async def run_worker(worker: Worker, runtime: Runtime, tenant: Tenant) -> None:
    """Run the worker until nothing is due, then close the SIP providers it built, as the
    engine does at shutdown (ending what they still listen for)."""
    try:
        await worker.run_until_idle()
    finally:
        for provider in worker.providers.built():
            await close_provider(provider)


def failovers(client: TestClient, tenant: Tenant, alert_id: str) -> list[dict[str, Any]]:
    alert = ok(client.get(f"/v1/orgs/{tenant.org_id}/alerts/{alert_id}", headers=tenant.auth))
    # Which provider refused and why; the timeline also names its account and code.
    return [
        {key: e["details"][key] for key in ("failed_provider", "reason")}
        for e in alert["timeline"]
        if e["action"] == "call.failover"
    ]


DEAD = ("late.xml", {"SILENCE": "1700", "THEN": ""})


@pytest.mark.parametrize(
    ("first", "reason"),
    [
        (DEAD, "The SIP trunk did not answer the INVITE within 1 s; no call was placed."),
        (
            ("reject.xml", refusing("403 Forbidden")),
            "The SIP trunk refused the call (403 Forbidden) before it rang; no call was placed.",
        ),
        (
            ("reject.xml", refusing("404 Not Found", before=("100 Trying",))),
            "The SIP trunk refused the call (404 Not Found) before it rang; no call was placed.",
        ),
        (
            ("reject.xml", refusing("503 Service Unavailable", headers=("Retry-After: 120",))),
            "The SIP trunk refused the call (503 Service Unavailable) before it rang and asked"
            " for no calls for 120 s; no call was placed.",
        ),
    ],
    ids=["timer-b", "403", "404", "503-retry-after"],
)
def test_a_failing_trunk_hands_the_page_to_the_next_account_at_once(
    client: TestClient,
    runtime: Runtime,
    tmp_path: Path,
    first: tuple[str, dict[str, str]],
    reason: str,
) -> None:
    tenant = seeded.tenant(runtime)
    with two_trunks(tmp_path, first) as (failing, answering_trunk):
        add_trunk(client, tenant, failing, priority=1)
        backup = add_trunk(client, tenant, answering_trunk, priority=2)
        alert_id = fire(client, tenant)
        asyncio.run(run_worker(runtime.build_worker(), runtime, tenant))
        assert failing.wait() == 0, failing.diagnostics()
        assert answering_trunk.wait() == 0, answering_trunk.diagnostics()

    alert, [attempt] = alert_and_attempts(runtime, alert_id)
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", "keypad:+447400123456")
    assert (attempt.status, attempt.digits, attempt.provider_account_id) == (
        "answered",
        "1",
        backup,
    )
    assert failovers(client, tenant, alert_id) == [{"failed_provider": "sip", "reason": reason}]


def test_a_trunk_resting_after_503_retry_after_is_not_sent_the_next_page(
    client: TestClient, runtime: Runtime, clock: ManualClock, tmp_path: Path
) -> None:
    tenant = seeded.tenant(runtime)
    overloaded = refusing("503 Service Unavailable", headers=("Retry-After: 120",))
    with two_trunks(tmp_path, ("reject.xml", overloaded), answers=2) as (failing, answering_trunk):
        add_trunk(client, tenant, failing, priority=1)
        add_trunk(client, tenant, answering_trunk, priority=2)
        worker = runtime.build_worker()

        async def two_pages() -> tuple[str, str]:
            first = fire(client, tenant, title="Disk full on db1")
            await worker.run_until_idle()
            # A minute on for the engine (past the one-call-a-minute throttle to a number),
            # not for the trunk's rest, which runs on the real monotonic clock.
            clock.advance(61)
            second = fire(client, tenant, title="Disk full on db2")
            await run_worker(worker, runtime, tenant)
            return first, second

        first_alert, second_alert = asyncio.run(two_pages())
        assert failing.wait() == 0, failing.diagnostics()
        assert answering_trunk.wait() == 0, answering_trunk.diagnostics()

    assert len(failing.received("INVITE")) == 1
    assert [alert_and_attempts(runtime, a)[0].status for a in (first_alert, second_alert)] == [
        "acknowledged",
        "acknowledged",
    ]
    [resting] = failovers(client, tenant, second_alert)
    assert resting["reason"].startswith(
        "The SIP trunk asked for no calls for 120 s (503 Service Unavailable);"
    )
    assert resting["reason"].endswith("no call was placed.")
