"""The whole path over a SIP trunk: an organization's SIP provider account, a webhook, the
worker, SIPp answering and pressing 1, and the alert acknowledged by that keypress; the INVITE
presents the trunk's own proven caller ID."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import rows, seeded
from tests.factories import ok
from tests.telephony.sip.calls import after_prompt, answering, rfc4733
from tests.telephony.sip.sipp import HOST, requires_sipp, sipp_uas
from tocsin.paging.models import Alert, CallAttempt
from tocsin.runtime import Runtime

pytestmark = [requires_sipp]


def test_keypress_on_a_sip_call_acknowledges_the_alert(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    tenant = seeded.tenant(runtime)
    # The trunk's caller_id names a caller ID the organization proved.
    rows.proven_caller_id(runtime, tenant.org_id, "+447400000001")
    with sipp_uas(
        "answer.xml", tmp_path, replacements=answering(after_prompt(rfc4733(tmp_path, "1")))
    ) as sipp:
        ok(
            client.post(
                f"/v1/orgs/{tenant.org_id}/providers",
                json={
                    "kind": "sip",
                    "name": "Our trunk",
                    "settings": {
                        "host": HOST,
                        "port": sipp.sip_port,
                        "advertised_host": HOST,
                        "caller_id": "+447400000001",
                        "max_call_seconds": 10,
                    },
                    "credentials": {"username": "tocsin", "password": "trunk-secret"},
                },
                headers=tenant.auth,
            ),
            201,
        )
        alert_id = ok(
            client.post(
                f"/v1/hooks/{tenant.endpoint_id}",
                json={"title": "Disk full on db1", "severity": "critical"},
                headers=tenant.alert_key,
            ),
            202,
        )["alert_id"]
        assert asyncio.run(runtime.build_worker().run_until_idle()) == 1
        assert sipp.wait() == 0, sipp.diagnostics()

    with runtime.database.read() as session:
        alert = session.get(Alert, alert_id)
        attempt = session.scalar(select(CallAttempt).where(CallAttempt.alert_id == alert_id))
    assert alert is not None
    assert attempt is not None
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", "keypad:+447400123456")
    assert (attempt.provider, attempt.status, attempt.digits) == ("sip", "answered", "1")
    (invite,) = sipp.received("INVITE")
    assert f"X-Tocsin-Attempt: {attempt.idempotency_key}" in invite
    assert "INVITE sip:+447400123456@" in invite
    # issue 16, finding 1: the trunk's caller ID, not the platform's TOCSIN_CALLER_ID.
    assert attempt.caller_id == "+447400000001"
    assert re.search(r"^From: \"\+447400000001\" <sip:\+447400000001@", invite, re.M), invite
    assert re.search(r"^P-Asserted-Identity: <sip:\+447400000001@", invite, re.M), invite
    assert runtime.settings.caller_id not in invite
