"""One id follows a page from the webhook to the dial (issue 20): the webhook's X-Request-ID
(or one made for it) is answered back, kept on the alert and its call jobs, and carried by the
worker's log lines while it places and settles the call."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.delivery.pager import Pager
from tocsin.core.logs import configure_logging
from tocsin.paging.models import Alert, CallJob

Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def json_log() -> Iterator[Lines]:
    """The process's log as TOCSIN_LOG_FORMAT=json writes it, read back line by line."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def send(pager: Pager, client: TestClient, endpoint: str, **headers: str) -> tuple[str, str]:
    """The alert id and the request id the answer gave."""
    answer = client.post(
        f"/v1/hooks/{endpoint}",
        json={"title": "Disk full on db1", "severity": "critical"},
        headers={"X-Alert-Key": pager.ingest_key, **headers},
    )
    assert answer.status_code == 202, answer.text
    return answer.json()["alert_id"], answer.headers["x-request-id"]


def kept(pager: Pager, alert_id: str) -> tuple[str | None, list[str | None]]:
    """The request id on the alert, and on each of its call jobs."""
    with pager.runtime.database.read() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        jobs = session.scalars(select(CallJob.request_id).where(CallJob.alert_id == alert_id))
        return alert.request_id, list(jobs)


def test_the_webhooks_request_id_is_on_the_worker_lines_that_place_and_settle_its_call(
    pager: Pager, client: TestClient, json_log: Lines
) -> None:
    number = "+447400555123"
    endpoint = pager.endpoint(pager.contact("Ada", "press:1", phone=number))
    alert_id, answered = send(pager, client, endpoint, **{"X-Request-ID": "req-7f3a9c"})
    assert answered == "req-7f3a9c"
    assert kept(pager, alert_id) == ("req-7f3a9c", ["req-7f3a9c"])
    pager.run()
    lines = {line["event"]: line for line in json_log() if line.get("alert_id") == alert_id}
    received = lines["alert received"]
    assert received["request_id"] == "req-7f3a9c"
    assert (received["org_id"], received["endpoint_id"]) == (pager.org_id, endpoint)
    assert (received["outcome"], received["sender"]) == ("created", "generic")
    [placed] = [line for line in json_log() if line["event"] == "call placed"]
    assert placed["request_id"] == "req-7f3a9c"
    assert (placed["provider"], placed["to"]) == ("simulator", "+44******5123")
    settled = lines["call settled"]
    assert (settled["request_id"], settled["outcome"]) == ("req-7f3a9c", "answered")
    assert settled["attempt_id"] == placed["attempt_id"]
    # Numbers are masked on every line, the simulator's own included.
    assert not any("555123" in json.dumps(line) for line in json_log())


def test_a_webhook_without_an_id_gets_one_and_a_repeat_keeps_the_first(
    pager: Pager, client: TestClient
) -> None:
    endpoint = pager.endpoint(pager.contact("Ada"))
    alert_id, made = send(pager, client, endpoint)
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    repeat_id, other = send(pager, client, endpoint)
    assert (repeat_id, other != made) == (alert_id, True)
    # The alert and its calls keep the id of the webhook that opened it.
    assert kept(pager, alert_id) == (made, [made])


def test_an_id_that_could_forge_a_log_line_is_replaced(pager: Pager, client: TestClient) -> None:
    endpoint = pager.endpoint(pager.contact("Ada"))
    alert_id, answered = send(pager, client, endpoint, **{"X-Request-ID": "x INFO forged"})
    assert re.fullmatch(r"[0-9a-f]{32}", answered)
    assert kept(pager, alert_id)[0] == answered


def test_later_steps_of_the_escalation_carry_the_alerts_request_id(
    pager: Pager, client: TestClient
) -> None:
    first, second = pager.contact("Ada", "no_answer"), pager.contact("Bo", "press:1")
    endpoint = pager.escalating_endpoint(
        {"type": "call", "contact_ids": [first]},
        {"type": "call", "contact_ids": [second]},
    )
    alert_id, _ = send(pager, client, endpoint, **{"X-Request-ID": "req-steps"})
    pager.run()
    pager.later(minutes=10)
    assert kept(pager, alert_id) == ("req-steps", ["req-steps", "req-steps"])
