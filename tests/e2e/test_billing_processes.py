"""Billing and limits across real processes: Paddle's notifications over HTTP to `tocsin serve`,
and two API processes sharing one rate-limit budget through Redis."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import httpx
import pytest

from tests.billing.paddle import PaddleSender, paddle_id, subscription
from tests.e2e.helpers import System

pytestmark = pytest.mark.e2e

SECRET = b"pdl_ntfset_01e2e_secret_0123456789abcdef"
REDIS_URL = os.environ.get("TOCSIN_TEST_REDIS_URL")


def test_paddle_notifications_over_http_change_the_plan_once(system: System) -> None:
    server = system.start_serve(
        worker=False,
        paddle_webhook_secrets=SECRET.decode(),
        paddle_price_plans="pri_01e2eteam=team",
        default_plan="free",
    )
    org = system.cli("org", "create", "Acme", "--country", "GB")
    paddle = PaddleSender(secrets=[SECRET], now=lambda: datetime.now(UTC))
    data = subscription(
        subscription_id=paddle_id("sub"),
        status="active",
        org_id=org["id"],
        price_id="pri_01e2eteam",
        updated_at=datetime.now(UTC),
        period_start=datetime.now(UTC),
    )
    with httpx.Client(base_url=server.wait_serving(), timeout=10) as http:
        first = paddle.deliver(http, "subscription.activated", data)
        assert first.status_code == 200, first.text
        assert first.json()["result"] == "applied"
        again = paddle.redeliver(http, paddle.sent[-1], resign=True)
        assert again.json()["result"] == "duplicate"
        forged = PaddleSender(secrets=[b"guess"], now=lambda: datetime.now(UTC))
        refused = forged.deliver(http, "subscription.canceled", {**data, "status": "canceled"})
        assert refused.status_code == 401
    shown = system.cli("billing", "show", "--org", org["slug"])
    assert (shown["plan"], shown["subscription"]["status"]) == ("team", "active")


@pytest.mark.skipif(REDIS_URL is None, reason="TOCSIN_TEST_REDIS_URL is not set (.ci/run sets it)")
def test_two_api_processes_share_one_rate_limit_through_redis(system: System) -> None:
    if os.environ.get("TOCSIN_TEST_DATABASE_URL") and system.database_url.startswith("sqlite"):
        pytest.skip("several API processes are the PostgreSQL set-up; run there when it is here")
    limits = {"redis_url": REDIS_URL, "rate_limit_ingest_per_key": "5/minute"}
    api_a = system.start_serve(worker=False, **limits)
    api_b = system.start_serve(worker=False, **limits)
    org = system.cli("org", "create", "Acme", "--country", "GB")
    system.cli("contact", "add", "On call", "+447400123456", "--org", org["slug"])
    endpoint = system.cli("endpoint", "create", "Production", "--org", org["slug"])
    key = system.cli("key", "create", "--org", org["slug"], "--endpoint", endpoint["id"])["key"]
    answers = []
    with (
        httpx.Client(base_url=api_a.wait_serving(), timeout=10) as a,
        httpx.Client(base_url=api_b.wait_serving(), timeout=10) as b,
    ):
        for n in range(6):
            process = a if n % 2 == 0 else b
            answers.append(
                process.post(
                    f"/v1/hooks/{endpoint['id']}",
                    json={"title": f"Service {n} down"},
                    headers={"X-Alert-Key": key},
                )
            )
    assert [response.status_code for response in answers] == [202] * 5 + [429]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 61
