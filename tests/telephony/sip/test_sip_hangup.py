"""Resolving an alert hangs up its SIP call in progress by BYE (issue 14, finding 9): SIPp
answers and listens, the alert is resolved through the API, and the worker that runs the call
ends it at once instead of reading the prompt on until the call's time limit."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import rows
from tests.factories import ok
from tests.rows import tenant_rows
from tests.telephony.sip.sipp import HOST, requires_sipp, sipp_uas
from tocsin.audit.models import AuditEvent
from tocsin.paging.models import AttemptStatus, CallAttempt
from tocsin.runtime import Runtime

pytestmark = [requires_sipp]

# Long enough that a hang-up at its end would be the call's own time limit, not the resolve.
CALL_LIMIT_SECONDS = 30


def attempt_of(runtime: Runtime, alert_id: str) -> CallAttempt | None:
    with runtime.database.read() as session:
        return session.scalar(select(CallAttempt).where(CallAttempt.alert_id == alert_id))


async def until(runtime: Runtime, alert_id: str, wanted: set[str], within: float) -> CallAttempt:
    """Poll the attempt's status (bounded), while the worker runs beside."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        attempt = await asyncio.to_thread(attempt_of, runtime, alert_id)
        if attempt is not None and attempt.status in wanted and attempt.answered_at:
            return attempt
        await asyncio.sleep(0.05)
    raise AssertionError(f"the call never reached {wanted}")


def test_resolving_the_alert_hangs_up_its_sip_call_by_bye(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    tenant = tenant_rows(runtime)
    with sipp_uas(
        "answer.xml", tmp_path, replacements={"TE_PT": "101", "PLAY": "", "HEADERS": ""}
    ) as sipp:
        ok(
            client.post(
                f"/v1/orgs/{tenant.org_id}/providers",
                json={
                    "kind": "sip",
                    "name": "Trunk",
                    "settings": {
                        "host": HOST,
                        "port": sipp.sip_port,
                        "advertised_host": HOST,
                        "max_call_seconds": CALL_LIMIT_SECONDS,
                    },
                    "caller_id_id": rows.proven_caller_id(runtime, tenant.org_id),
                },
                headers=tenant.auth,
            ),
            201,
        )
        alert_id = ok(
            client.post(
                f"/v1/hooks/{tenant.endpoint_id}",
                json={"title": "Disk full on db1"},
                headers=tenant.alert_key,
            ),
            202,
        )["alert_id"]

        async def scenario() -> float:
            worker = runtime.build_worker()
            stop = asyncio.Event()
            running = asyncio.create_task(worker.run(stop))
            try:
                await until(runtime, alert_id, {AttemptStatus.IN_PROGRESS}, within=15)
                resolved_at = time.monotonic()
                await asyncio.to_thread(
                    lambda: ok(
                        client.post(
                            f"/v1/orgs/{tenant.org_id}/alerts/{alert_id}/resolve",
                            headers=tenant.auth,
                        )
                    )
                )
                worker.wake()
                await until(runtime, alert_id, {AttemptStatus.ANSWERED}, within=15)
                return time.monotonic() - resolved_at
            finally:
                stop.set()
                await running

        took = asyncio.run(scenario())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert took < CALL_LIMIT_SECONDS / 2
    with runtime.database.read() as session:
        hung_up = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "call.hung_up")
        ).all()
        ended = session.scalars(select(AuditEvent).where(AuditEvent.action == "call.ended")).one()
    assert [event.details["outcome"] for event in hung_up] == ["hung up"]
    assert ended.details["status"] == "answered"
    assert len(sipp.received("BYE")) == 1  # ours, long before the call's own time limit
