"""Webhooks the server must refuse, over real HTTP: each gets its error code and writes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from tests.e2e.helpers import System, provision
from tocsin.tables import Alert, AuditEvent, CallAttempt, CallJob

pytestmark = pytest.mark.e2e

OVER_LIMIT = 1024 * 1024 + 10  # the limit is 1 MiB
JSON = {"Content-Type": "application/json"}


def _oversized_alert() -> bytes:
    body = json.dumps({"title": "Disk full on db1", "message": "x" * OVER_LIMIT}).encode()
    assert len(body) > OVER_LIMIT
    return body


def _in_chunks(body: bytes, size: int = 8192) -> Iterator[bytes]:
    """A body of unknown length, so httpx sends it chunked with no Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    code: str = response.json()["error"]["code"]
    return code


def test_malformed_oversized_wrong_key_wrong_endpoint(system: System) -> None:
    server = system.start_serve()
    tenant = provision(system, server, endpoints=1)
    [endpoint_id] = tenant.endpoint_ids
    hook = f"/v1/hooks/{endpoint_id}"
    alert = {"title": "Disk full on db1", "severity": "critical"}

    with httpx.Client(base_url=server.base_url, headers=tenant.headers, timeout=10.0) as client:
        too_big = client.post(hook, content=_oversized_alert(), headers=JSON)
        assert _error(too_big, 413) == "payload_too_large"
        assert int(too_big.request.headers["content-length"]) > OVER_LIMIT

        chunked = client.post(hook, content=_in_chunks(_oversized_alert()), headers=JSON)
        assert _error(chunked, 413) == "payload_too_large"
        assert chunked.request.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in chunked.request.headers

        forged = "tk_abcdefghijkl_" + "x" * 40
        wrong_key = client.post(hook, json=alert, headers={"X-Alert-Key": forged})
        assert _error(wrong_key, 401) == "invalid_key"
        not_a_key = client.post(hook, json=alert, headers={"X-Alert-Key": "hunter2"})
        assert _error(not_a_key, 401) == "invalid_key"

        missing_key = httpx.post(f"{server.base_url}{hook}", json=alert)
        assert _error(missing_key, 401) == "missing_key"

        unknown_endpoint = client.post("/v1/hooks/ep_01nosuchendpoint00000000000", json=alert)
        assert _error(unknown_endpoint, 404) == "endpoint_not_found"

        empty = client.post(hook, content=b"")
        assert _error(empty, 422) == "empty_alert"

        broken_form = client.post(
            hook,
            content=b'Content-Disposition: form-data; name="title"\r\n\r\nDisk full on db1',
            headers={"Content-Type": "multipart/form-data"},  # no boundary
        )
        assert _error(broken_form, 422) == "malformed_body"

        assert system.count(Alert) == 0
        assert system.count(CallJob) == 0
        assert system.count(CallAttempt) == 0
        # What the good key sent and was refused is on record (a sender such as Alertmanager
        # never sends it again); what strangers sent is not.
        refused = system.read(
            lambda s: [
                event.details["code"]
                for event in s.scalars(
                    select(AuditEvent).where(AuditEvent.action.startswith("alert."))
                )
            ]
        )
        # Once a minute per endpoint and reason (the chunked body too big is the second of its
        # kind), and never for the wrong keys, the missing key or the unknown endpoint...
        assert sorted(refused) == ["empty_alert", "malformed_body", "payload_too_large"]
        assert (
            system.read(
                lambda s: s.scalar(
                    select(AuditEvent.details).where(AuditEvent.action == "notice.alerts_refused")
                )
            )["code"]
            == "payload_too_large"
        )  # ...and the owners are told

        # The same endpoint and key still work, and the one good alert is all there is.
        accepted = client.post(hook, json=alert)
        assert accepted.status_code == 202, accepted.text

    assert system.count(Alert) == 1
    assert system.count(CallJob) == 1
