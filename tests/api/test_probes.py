"""Probes a load balancer or Kubernetes asks: /livez (the process answers) and /readyz (it can
take alerts: the database and, when configured, Redis answer). Issue 20: /healthz stayed 200
with the database gone while webhooks got 500s."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tocsin.app import WORKER_SILENCE_SECONDS
from tocsin.core.clock import ManualClock
from tocsin.core.ratelimit import RateLimiter
from tocsin.db.engine import Database
from tocsin.runtime import Runtime


def test_a_healthy_process_is_live_and_ready(client: TestClient) -> None:
    assert client.get("/livez").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "rate_limits": "ok"}}


def test_readyz_answers_503_when_the_database_is_gone(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on port 9: every connection is refused, as with a database that is down.
    gone = Database("postgresql+psycopg://postgres@127.0.0.1:9/gone?connect_timeout=2")
    monkeypatch.setattr(runtime, "database", gone)
    try:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        body = answer.json()
        assert body["error"]["code"] == "not_ready"
        assert body["checks"] == {"database": "unreachable", "rate_limits": "ok"}
        # Still alive: restarting the process would not bring the database back.
        assert client.get("/livez").status_code == 200
    finally:
        gone.dispose()


def test_readyz_answers_503_when_redis_is_gone(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    limiter = RateLimiter.from_url({}, "redis://127.0.0.1:9/0")
    monkeypatch.setattr(runtime, "rate_limiter", limiter)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"database": "ok", "rate_limits": "unreachable"}


def test_readyz_answers_503_when_this_processs_worker_is_stuck(
    client: TestClient, runtime: Runtime, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = runtime.build_worker()
    monkeypatch.setattr(runtime, "wake_workers", [worker])
    # Not looked for work yet (just started): not ready.
    assert client.get("/readyz").json()["checks"]["worker"] == "stalled"
    worker.last_looked_at = clock.now()
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()["checks"]["worker"]) == (200, "ok")
    clock.advance(WORKER_SILENCE_SECONDS + 1)
    stuck = client.get("/readyz")
    assert stuck.status_code == 503
    assert stuck.json()["error"]["message"] == "not ready: worker stalled"
