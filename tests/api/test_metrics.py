"""/metrics (issue 20): what Prometheus reads after webhooks come in and calls go out.

Counters are the process's, shared by every test of one pytest process, so each test compares
a scrape after with a scrape before.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from tests.conftest import serving
from tests.delivery.pager import MakePager, Pager
from tests.factories import consent_written_directly
from tocsin.contacts.models import Contact
from tocsin.core.clock import ManualClock
from tocsin.http.metrics import serve_metrics
from tocsin.runtime import Runtime

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def read(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client: TestClient, headers: dict[str, str] | None = None) -> Samples:
    answer = client.get("/metrics", headers=headers or {})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return read(answer.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


class Moved:
    """How far each series moved between two scrapes."""

    def __init__(self, before: Samples, after: Samples) -> None:
        self.before, self.after = before, after

    def __call__(self, name: str, **labels: str) -> float:
        return value(self.after, name, **labels) - value(self.before, name, **labels)

    def series(self, name: str) -> dict[frozenset[tuple[str, str]], float]:
        """The series of `name` that moved, by their labels."""
        moved = {
            labels: self(name, **dict(labels))
            for seen, labels in {*self.before, *self.after}
            if seen == name
        }
        return {labels: delta for labels, delta in moved.items() if delta}


def test_a_webhook_and_its_call_move_the_counters_a_scrape_reads(
    pager: Pager, client: TestClient, clock: ManualClock
) -> None:
    endpoint = pager.endpoint(pager.contact("Ada", "press:1"))
    before = scrape(client)
    pager.fire(endpoint)
    # The worker gets to the call three seconds after the webhook.
    clock.advance(3)
    assert pager.run() == 1
    moved = Moved(before, scrape(client))
    assert moved("tocsin_webhooks_received_total", outcome="created", sender="generic") == 1
    assert moved("tocsin_calls_total", provider="simulator", outcome="answered") == 1
    assert moved("tocsin_webhook_to_dial_seconds_count") == 1
    assert moved("tocsin_webhook_to_dial_seconds_sum") == 3
    assert moved("tocsin_webhook_to_dial_seconds_bucket", le="2.0") == 0
    assert moved("tocsin_webhook_to_dial_seconds_bucket", le="5.0") == 1


def test_a_repeat_is_counted_as_deduplicated_and_its_call_is_not_timed_again(
    pager: Pager, client: TestClient
) -> None:
    endpoint = pager.endpoint(pager.contact("Ada", "no_answer"))
    pager.fire(endpoint)
    pager.run()
    before = scrape(client)
    pager.fire(endpoint)
    pager.later(minutes=3)  # the unanswered call's retry: a second attempt, not a first call
    moved = Moved(before, scrape(client))
    assert moved("tocsin_webhooks_received_total", outcome="deduplicated", sender="generic") == 1
    assert moved("tocsin_calls_total", provider="simulator", outcome="no_answer") == 1
    assert moved("tocsin_webhook_to_dial_seconds_count") == 0


def test_refused_webhooks_are_counted_by_error_code(pager: Pager, client: TestClient) -> None:
    endpoint = pager.endpoint(pager.contact("Ada"))
    before = scrape(client)
    wrong = client.post(f"/v1/hooks/{endpoint}", json={}, headers={"X-Alert-Key": "tk_nope"})
    assert wrong.status_code == 401
    missing = client.post("/v1/hooks/ep_nothing_here", json={})
    assert missing.status_code == 404
    moved = Moved(before, scrape(client))
    assert moved("tocsin_webhooks_refused_total", code=wrong.json()["error"]["code"]) == 1
    assert moved("tocsin_webhooks_refused_total", code=missing.json()["error"]["code"]) == 1
    assert moved.series("tocsin_webhooks_received_total") == {}


def test_calls_the_gate_refuses_and_escalations_that_run_out_are_counted(
    make_pager: MakePager, client: TestClient, clock: ManualClock
) -> None:
    pager = make_pager(rounds=1, unanswered_retries=0)
    premium = pager.contact("Bo")
    # A number that became premium rate past the API, as tests/delivery's screening tests do.
    with pager.runtime.database.write() as session:
        session.execute(
            update(Contact).where(Contact.id == premium).values(phone_e164="+19005551234")
        )
    consent_written_directly(pager.runtime.database, pager.org_id, "+19005551234", clock.now())
    silent = pager.endpoint(pager.contact("Cy", "no_answer"))
    before = scrape(client)
    pager.fire(pager.endpoint(premium))
    pager.fire(silent)
    pager.run()
    pager.later(minutes=30)
    moved = Moved(before, scrape(client))
    # Each reason the screen gave is counted: a GB organization calling a US premium number.
    assert moved.series("tocsin_calls_refused_total") == {
        frozenset({("reason", "premium_rate")}): 1,
        frozenset({("reason", "international_disabled")}): 1,
    }
    assert moved("tocsin_escalations_exhausted_total") == 2


def test_provider_errors_are_counted_by_provider_and_code(pager: Pager, client: TestClient) -> None:
    endpoint = pager.endpoint(pager.contact("Ada", "reject"))
    before = scrape(client)
    pager.fire(endpoint)
    pager.run()
    moved = Moved(before, scrape(client))
    assert moved("tocsin_provider_errors_total", provider="simulator", code="rejected") == 1
    assert moved("tocsin_calls_total", provider="simulator", outcome="not_placed") == 1


def test_the_queue_is_read_from_the_database_when_scraped(
    pager: Pager, client: TestClient, clock: ManualClock
) -> None:
    endpoint = pager.endpoint(pager.contact("Ada"), pager.contact("Bo"), routing="all")
    pager.fire(endpoint)
    clock.advance(150)  # no worker ran: both calls wait, due for 150 s
    samples = scrape(client)
    assert value(samples, "tocsin_queue_scrape_ok") == 1
    assert value(samples, "tocsin_queue_jobs", status="pending") == 2
    assert value(samples, "tocsin_queue_jobs", status="leased") == 0
    assert value(samples, "tocsin_queue_due_jobs") == 2
    assert value(samples, "tocsin_queue_oldest_due_age_seconds") == 150
    pager.run()
    samples = scrape(client)
    assert value(samples, "tocsin_queue_due_jobs") == 0
    assert value(samples, "tocsin_queue_oldest_due_age_seconds") == 0


def test_the_heartbeat_age_is_this_processs_worker_s(
    client: TestClient, runtime: Runtime, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "tocsin_worker_heartbeat_age_seconds" not in {name for name, _ in scrape(client)}
    worker = runtime.build_worker()
    monkeypatch.setattr(runtime, "wake_workers", [worker])
    worker.last_looked_at = clock.now()
    clock.advance(42)
    assert value(scrape(client), "tocsin_worker_heartbeat_age_seconds") == 42


def test_no_label_names_an_organization_or_a_number(pager: Pager, client: TestClient) -> None:
    endpoint = pager.endpoint(pager.contact("Ada", phone="+447400987654"))
    pager.fire(endpoint)
    pager.run()
    text = client.get("/metrics").text
    for private in (pager.org_id, endpoint, "447400987654", "+447400987654"):
        assert private not in text


@pytest.fixture
def guarded(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock
) -> Iterator[tuple[Runtime, TestClient]]:
    with serving(app, database_url, data_dir, clock, metrics_token="scrape-me-0123") as served:
        yield served


def test_a_metrics_token_is_asked_for_when_one_is_set(
    guarded: tuple[Runtime, TestClient],
) -> None:
    _, client = guarded
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_token"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    samples = scrape(client, {"Authorization": "Bearer scrape-me-0123"})
    assert value(samples, "tocsin_queue_scrape_ok") == 1


def test_a_worker_process_serves_its_metrics_on_a_port_of_its_own(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = runtime.build_worker()
    monkeypatch.setattr(runtime, "wake_workers", [worker])
    worker.last_looked_at = runtime.clock.now()
    server = serve_metrics(runtime, host="127.0.0.1", port=0)
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        answer = httpx.get(f"{base}/metrics", timeout=10)
        assert answer.status_code == 200
        samples = read(answer.text)
        assert value(samples, "tocsin_worker_heartbeat_age_seconds") == 0
        assert value(samples, "tocsin_queue_scrape_ok") == 1
        assert httpx.get(f"{base}/", timeout=10).status_code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_a_worker_process_asks_for_the_metrics_token_too(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock
) -> None:
    with serving(app, database_url, data_dir, clock, metrics_token="scrape-me-0123") as served:
        runtime, _ = served
        server = serve_metrics(runtime, host="127.0.0.1", port=0)
        try:
            url = f"http://127.0.0.1:{server.server_port}/metrics"
            refused = httpx.get(url, timeout=10)
            assert refused.status_code == 401
            assert refused.json()["error"]["code"] == "invalid_token"
            allowed = httpx.get(url, headers={"Authorization": "Bearer scrape-me-0123"}, timeout=10)
            assert allowed.status_code == 200
        finally:
            server.shutdown()
            server.server_close()
