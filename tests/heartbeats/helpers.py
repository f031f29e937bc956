"""Heartbeat monitors for tests: made over the API as the pager's organization, pinged as a
job would, and the worker's round run on the test clock."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi.testclient import TestClient

from tests.delivery.pager import Pager
from tests.factories import ok


def make_heartbeat(pager: Pager, endpoint_id: str, **options: Any) -> dict[str, Any]:
    """A monitor of the pager's organization (5 minutes, 1 minute of grace unless told),
    with its key."""
    body = {
        "name": "backup",
        "endpoint_id": endpoint_id,
        "interval_seconds": 300,
        "grace_seconds": 60,
        **options,
    }
    if "cron" in options:
        body.pop("interval_seconds")
    made: dict[str, Any] = ok(
        pager.client.post(f"{pager.org}/heartbeats", json=body, headers=pager.auth), 201
    )
    return made


def ping(
    client: TestClient, heartbeat: dict[str, Any], suffix: str = "", **request: Any
) -> dict[str, Any]:
    """A job's ping with the key in the URL, as a cron line's curl sends it."""
    answer: dict[str, Any] = ok(
        client.get(
            f"/v1/heartbeats/{heartbeat['id']}{suffix}", params={"key": heartbeat["key"]}, **request
        )
    )
    return answer


def check(pager: Pager) -> int:
    """One round of the worker's look at overdue monitors; how many went down."""
    return asyncio.run(pager.worker.check_heartbeats())


def heartbeat_of(pager: Pager, heartbeat_id: str) -> dict[str, Any]:
    shown: dict[str, Any] = ok(
        pager.client.get(f"{pager.org}/heartbeats/{heartbeat_id}", headers=pager.auth)
    )
    return shown


def heartbeat_alerts(pager: Pager) -> list[dict[str, Any]]:
    alerts = ok(pager.client.get(f"{pager.org}/alerts", headers=pager.auth))["items"]
    return [alert for alert in alerts if alert["source"] == "heartbeat"]
