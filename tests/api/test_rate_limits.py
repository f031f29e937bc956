"""Rate limits answer 429 with Retry-After, and let requests through again once the window has
moved on. Time is the test's clock: `limits` reads `time.time()`, which is pointed at it."""

from __future__ import annotations

import os
import uuid
from types import SimpleNamespace
from typing import Any

import limits.storage.memory
import limits.storage.redis
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import PASSWORD, make_tenant, ok
from tests.rows import tenant_rows
from tocsin.audit.models import AuditEvent, Notice
from tocsin.core.clock import ManualClock
from tocsin.core.ratelimit import Limits, RateLimited, RateLimiter, parse_rate_limits
from tocsin.paging.models import Alert
from tocsin.runtime import Runtime

REDIS_URL = os.environ.get("TOCSIN_TEST_REDIS_URL")


@pytest.fixture
def limits_clock(clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> ManualClock:
    fake_time = SimpleNamespace(time=lambda: clock.now().timestamp())
    monkeypatch.setattr(limits.storage.memory, "time", fake_time)
    monkeypatch.setattr(limits.storage.redis, "time", fake_time)
    return clock


def limiter(clock: ManualClock, storage: Any = None, **named: str) -> RateLimiter:
    return RateLimiter(
        {name: parse_rate_limits(text) for name, text in named.items()},
        storage=storage,
        namespace=f"test-{uuid.uuid4().hex[:8]}",
        now=lambda: clock.now().timestamp(),
    )


def alerts(runtime: Runtime) -> int:
    with runtime.database.read() as session:
        return session.scalar(select(func.count()).select_from(Alert)) or 0


def refused(response: Any, retry_after: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["Retry-After"] == str(retry_after)
    body = response.json()["error"]
    assert body["code"] == "rate_limited"
    assert body["details"] == {"retry_after_seconds": retry_after}


def test_ingest_per_key_answers_429_and_recovers(
    client: TestClient, runtime: Runtime, limits_clock: ManualClock
) -> None:
    tenant = make_tenant(client)
    runtime.rate_limiter = limiter(limits_clock, **{Limits.INGEST_KEY: "3/minute"})
    hook = f"/v1/hooks/{tenant.endpoint_id}"
    for n in range(3):
        ok(client.post(hook, json={"title": f"down {n}"}, headers=tenant.alert_key), 202)
        limits_clock.advance(10)
    # The oldest of the three leaves the window 30 s from now; waiting Retry-After is enough.
    refused(client.post(hook, json={"title": "one too many"}, headers=tenant.alert_key), 31)
    # The refused alert was not accepted, so nothing half-recorded it.
    assert alerts(runtime) == 3
    limits_clock.advance(29)
    refused(client.post(hook, json={"title": "still too soon"}, headers=tenant.alert_key), 2)
    limits_clock.advance(2)
    ok(client.post(hook, json={"title": "room again"}, headers=tenant.alert_key), 202)
    assert alerts(runtime) == 4


def test_ingest_per_endpoint_counts_every_key_of_the_endpoint(
    client: TestClient, runtime: Runtime, limits_clock: ManualClock
) -> None:
    tenant = make_tenant(client)
    other_key = ok(
        client.post(
            f"/v1/orgs/{tenant.org_id}/api-keys", json={"name": "second"}, headers=tenant.auth
        ),
        201,
    )["key"]
    runtime.rate_limiter = limiter(limits_clock, **{Limits.INGEST_ENDPOINT: "2/minute"})
    hook = f"/v1/hooks/{tenant.endpoint_id}"
    ok(client.post(hook, json={"title": "a"}, headers=tenant.alert_key), 202)
    ok(client.post(hook, json={"title": "b"}, headers={"X-Alert-Key": other_key}), 202)
    refused(client.post(hook, json={"title": "c"}, headers={"X-Alert-Key": other_key}), 61)


def test_repeats_of_an_open_alert_do_not_use_up_the_budget_of_new_ones(
    runtime: Runtime, client: TestClient, limits_clock: ManualClock
) -> None:
    """Before: the per-key limit counted duplicates, so a storm of repeats made a new alert in
    the same minute get 429, and senders that do not retry lost it (issue 14, finding 12)."""
    tenant = tenant_rows(runtime)
    runtime.rate_limiter = limiter(
        limits_clock, **{Limits.INGEST_KEY: "3/minute", Limits.INGEST_ENDPOINT: "3/minute"}
    )
    hook = f"/v1/hooks/{tenant.endpoint_id}"
    ok(client.post(hook, json={"title": "Disk full"}, headers=tenant.alert_key), 202)
    for _ in range(20):
        repeat = ok(client.post(hook, json={"title": "Disk full"}, headers=tenant.alert_key), 202)
        assert repeat["outcome"] == "deduplicated"
    news = ok(client.post(hook, json={"title": "CPU high"}, headers=tenant.alert_key), 202)
    assert news["outcome"] == "created"
    assert alerts(runtime) == 2


def test_a_refused_alert_is_on_record_and_its_owners_are_told(
    runtime: Runtime, client: TestClient, limits_clock: ManualClock
) -> None:
    tenant = tenant_rows(runtime)
    runtime.rate_limiter = limiter(limits_clock, **{Limits.INGEST_ENDPOINT: "1/minute"})
    hook = f"/v1/hooks/{tenant.endpoint_id}"
    ok(client.post(hook, json={"title": "Disk full"}, headers=tenant.alert_key), 202)
    for title in ("CPU high", "Memory low", "Swap full"):
        refused(client.post(hook, json={"title": title}, headers=tenant.alert_key), 61)
    with runtime.database.read() as session:
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "alert.refused")
        ).all()
        notices = session.scalars(select(Notice).where(Notice.kind == "alerts_refused")).all()
    # Once a minute per endpoint and reason, however many were refused.
    assert (event.target_id, event.details["code"], event.details["status"]) == (
        tenant.endpoint_id,
        "rate_limited",
        429,
    )
    [notice] = notices
    assert "paged nobody" in notice.message
    limits_clock.advance(61)
    ok(client.post(hook, json={"title": "a"}, headers=tenant.alert_key), 202)
    refused(client.post(hook, json={"title": "b"}, headers=tenant.alert_key), 61)
    with runtime.database.read() as session:
        counts = [
            event.details["refused"]
            for event in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "alert.refused")
            )
        ]
    # The second minute's record counts itself and the two held back in the first.
    assert counts == [1, 3]


def test_a_flood_of_bad_keys_is_stopped_without_touching_others(
    client: TestClient, runtime: Runtime, limits_clock: ManualClock
) -> None:
    tenant = make_tenant(client)
    runtime.rate_limiter = limiter(limits_clock, **{Limits.INGEST_FAILURES: "5/minute"})
    hook = f"/v1/hooks/{tenant.endpoint_id}"
    for n in range(5):
        response = client.post(hook, json={"title": "x"}, headers={"X-Alert-Key": f"tk_bad_{n}"})
        assert response.status_code == 401
    # Past the limit, guesses from that address wait...
    refused(client.post(hook, json={"title": "x"}, headers={"X-Alert-Key": "tk_bad_9"}), 61)
    # ...but a good key from the same address (behind a load balancer, everyone's) never does.
    ok(client.post(hook, json={"title": "x"}, headers=tenant.alert_key), 202)
    limits_clock.advance(61)
    assert (
        client.post(hook, json={"title": "y"}, headers={"X-Alert-Key": "tk_bad_0"}).status_code
        == 401
    )


def test_a_sender_that_waits_for_the_challenge_is_never_refused_for_it(
    client: TestClient, runtime: Runtime, limits_clock: ManualClock
) -> None:
    """Amazon SNS sends the credentials of its URL only after a 401 that asks for them
    ("the client service must be able to support the HTTP/1.1 401 Unauthorized header
    response", docs.aws.amazon.com/sns/latest/dg/sns-http-https-endpoint-as-subscriber.html),
    so every one of its notifications starts with a request that carries no key. Those guess
    nothing and must not use up the budget of failed authentications of its address."""
    tenant = make_tenant(client)
    runtime.rate_limiter = limiter(limits_clock, **{Limits.INGEST_FAILURES: "5/minute"})
    hook = f"/v1/hooks/{tenant.endpoint_id}"
    for n in range(10):
        challenged = client.post(hook, json={"title": f"CPU high {n}"})
        assert challenged.status_code == 401
        assert challenged.json()["error"]["code"] == "missing_key"
        assert "Basic" in challenged.headers["WWW-Authenticate"]
        answered = client.post(
            hook, json={"title": f"CPU high {n}"}, auth=("tocsin", tenant.ingest_key)
        )
        ok(answered, 202)
    assert alerts(runtime) == 10


def test_sign_in_attempts_are_limited_per_address_and_recover(
    client: TestClient, runtime: Runtime, limits_clock: ManualClock
) -> None:
    """Every attempt from one address counts, whatever the account: one address trying a
    password on many accounts is slowed (the per-account limits are
    tests/accounts/test_sign_in_limits.py's)."""
    make_tenant(client)
    runtime.rate_limiter = limiter(limits_clock, **{Limits.LOGIN: "3/minute"})
    for n in range(3):
        attempt = {"email": f"victim{n}@example.com", "password": "wrong password 123"}
        assert client.post("/v1/auth/login", json=attempt).status_code == 401
    attempt = {"email": "victim9@example.com", "password": "wrong password 123"}
    refused(client.post("/v1/auth/login", json=attempt), 61)
    limits_clock.advance(61)
    assert client.post("/v1/auth/login", json=attempt).status_code == 401


def test_sign_up_is_limited_per_address(
    client: TestClient, runtime: Runtime, limits_clock: ManualClock
) -> None:
    runtime.rate_limiter = limiter(limits_clock, **{Limits.SIGNUP: "2/hour"})
    for n in range(2):
        body = {"email": f"new{n}@example.com", "password": PASSWORD}
        ok(client.post("/v1/auth/signup", json=body), 202)
    refused(
        client.post("/v1/auth/signup", json={"email": "new9@example.com", "password": PASSWORD}),
        3601,
    )


def test_an_unreachable_store_lets_requests_through(caplog: pytest.LogCaptureFixture) -> None:
    broken = RateLimiter.from_url(
        {Limits.LOGIN: parse_rate_limits("1/minute")}, "redis://127.0.0.1:1/0"
    )
    for _ in range(3):
        broken.hit(Limits.LOGIN, "someone")
    assert "rate limit store unreachable" in caplog.text


def test_a_limit_that_does_not_parse_is_refused() -> None:
    with pytest.raises(Exception, match="does not parse"):
        parse_rate_limits("ten per minute")


@pytest.fixture
def redis_url() -> str:
    if REDIS_URL is None:
        pytest.skip("TOCSIN_TEST_REDIS_URL is not set (.ci/run sets it)")
    return REDIS_URL


def test_processes_sharing_redis_share_one_budget(
    redis_url: str, limits_clock: ManualClock
) -> None:
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    named = {Limits.INGEST_KEY: parse_rate_limits("4/minute")}
    api_1 = RateLimiter.from_url(named, redis_url, namespace=namespace)
    api_2 = RateLimiter.from_url(named, redis_url, namespace=namespace)
    api_1._now = api_2._now = lambda: limits_clock.now().timestamp()
    for process in (api_1, api_2, api_1, api_2):
        process.hit(Limits.INGEST_KEY, "key_1")
        limits_clock.advance(5)
    with pytest.raises(RateLimited) as caught:
        api_2.hit(Limits.INGEST_KEY, "key_1")
    assert caught.value.retry_after == 41
    # Another key has its own budget.
    api_1.hit(Limits.INGEST_KEY, "key_2")
    limits_clock.advance(41)
    api_1.hit(Limits.INGEST_KEY, "key_1")
    api_2.clear(Limits.INGEST_KEY, "key_1")
    api_2.clear(Limits.INGEST_KEY, "key_2")
