"""Pings from people who should not be able to ping, and from odd senders: a wrong key,
another organization's monitor, another monitor's key, a deleted monitor, a huge body, HEAD,
a storm. None tells whether an id exists, and none moves a monitor it has no key for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import serving
from tests.delivery.pager import MakePager, Pager
from tests.factories import ok
from tests.heartbeats.helpers import heartbeat_of, make_heartbeat, ping
from tocsin.core.clock import ManualClock

UNKNOWN = "hb_01nowhere000000000000000000"
A_KEY = "hbk_" + "A" * 40


def answer(response: httpx.Response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]


def get(client: TestClient, heartbeat_id: str, key: str | None, suffix: str = "") -> httpx.Response:
    params = {"key": key} if key is not None else {}
    response: httpx.Response = client.get(f"/v1/heartbeats/{heartbeat_id}{suffix}", params=params)
    return response


@pytest.fixture
def monitor(pager: Pager) -> dict[str, Any]:
    return make_heartbeat(pager, pager.endpoint(pager.contact("Ops")))


def test_a_wrong_or_missing_key_gets_the_answer_an_unknown_id_gets(
    pager: Pager, monitor: dict[str, Any]
) -> None:
    client = pager.client
    unknown = answer(get(client, UNKNOWN, A_KEY))
    assert unknown[:2] == (404, "heartbeat_not_found")
    for suffix in ("", "/start", "/fail"):
        assert answer(get(client, monitor["id"], A_KEY, suffix)) == unknown
        assert answer(get(client, monitor["id"], "not-a-key", suffix)) == unknown
        # The key in a header is judged the same.
        wrong_header = client.post(
            f"/v1/heartbeats/{monitor['id']}{suffix}", headers={"X-Alert-Key": A_KEY}
        )
        assert answer(wrong_header) == unknown
    # No key at all is refused before anything is looked up: alike for both ids too.
    missing = answer(get(client, monitor["id"], None))
    assert missing[:2] == (401, "missing_key")
    assert answer(get(client, UNKNOWN, None)) == missing
    assert heartbeat_of(pager, monitor["id"])["state"] == "new"


def test_another_organizations_monitor_and_another_monitors_key_are_unknown(
    pager: Pager, make_pager: MakePager, monitor: dict[str, Any]
) -> None:
    other = make_pager()
    theirs = make_heartbeat(other, other.endpoint(other.contact("Their ops")))
    mine_too = make_heartbeat(pager, monitor["endpoint_id"], name="reports")
    unknown = answer(get(pager.client, UNKNOWN, monitor["key"]))
    # My key on their id, their key on my id, and my other monitor's key on this one.
    assert answer(get(pager.client, theirs["id"], monitor["key"])) == unknown
    assert answer(get(pager.client, monitor["id"], theirs["key"])) == unknown
    assert answer(get(pager.client, monitor["id"], mine_too["key"])) == unknown
    assert heartbeat_of(other, theirs["id"])["state"] == "new"
    assert heartbeat_of(pager, monitor["id"])["state"] == "new"


def test_a_deleted_monitor_and_a_rotated_key_are_answered_as_unknown(
    pager: Pager, monitor: dict[str, Any]
) -> None:
    unknown = answer(get(pager.client, UNKNOWN, monitor["key"]))
    path = f"{pager.org}/heartbeats/{monitor['id']}"
    rotated = ok(pager.client.post(f"{path}/rotate-key", headers=pager.auth))
    assert rotated["key"] != monitor["key"]
    assert rotated["key_prefix"] == rotated["key"][:8]
    assert answer(get(pager.client, monitor["id"], monitor["key"])) == unknown
    assert ping(pager.client, rotated)["state"] == "up"
    ok(pager.client.delete(path, headers=pager.auth), 204)
    assert answer(get(pager.client, monitor["id"], rotated["key"])) == unknown


def test_a_body_over_the_webhooks_limit_is_refused_and_does_not_count(
    pager: Pager, monitor: dict[str, Any]
) -> None:
    limit = pager.runtime.settings.max_payload_bytes
    huge = pager.client.post(
        f"/v1/heartbeats/{monitor['id']}",
        params={"key": monitor["key"]},
        content=b"x" * (limit + 1),
    )
    assert huge.status_code == 413
    assert huge.json()["error"]["code"] == "payload_too_large"
    assert heartbeat_of(pager, monitor["id"])["state"] == "new"
    # A long log at the limit is taken, and its first KiB kept.
    log = ("backup done\n" + "y" * limit)[:limit].encode()
    taken = pager.client.post(
        f"/v1/heartbeats/{monitor['id']}", headers={"X-Alert-Key": monitor["key"]}, content=log
    )
    assert taken.status_code == 200
    [kept] = ok(
        pager.client.get(f"{pager.org}/heartbeats/{monitor['id']}/pings", headers=pager.auth)
    )["items"]
    assert kept["body"] == log[:1024].decode()
    assert (kept["method"], kept["kind"]) == ("POST", "success")


def test_head_pings_as_get_does_without_a_body(pager: Pager, monitor: dict[str, Any]) -> None:
    response = pager.client.head(
        f"/v1/heartbeats/{monitor['id']}/start",
        params={"key": monitor["key"]},
        headers={"User-Agent": "Wget/1.21"},
    )
    assert (response.status_code, response.content) == (200, b"")
    assert heartbeat_of(pager, monitor["id"])["state"] == "running"
    [logged] = ok(
        pager.client.get(f"{pager.org}/heartbeats/{monitor['id']}/pings", headers=pager.auth)
    )["items"]
    assert (logged["method"], logged["kind"], logged["user_agent"]) == (
        "HEAD",
        "start",
        "Wget/1.21",
    )
    wrong = pager.client.head(f"/v1/heartbeats/{monitor['id']}", params={"key": A_KEY})
    assert wrong.status_code == 404


def test_the_ping_log_keeps_the_last_fifty_newest_first(
    pager: Pager, monitor: dict[str, Any]
) -> None:
    for number in range(55):
        pager.client.post(
            f"/v1/heartbeats/{monitor['id']}",
            params={"key": monitor["key"]},
            content=f"run {number}".encode(),
        )
    pings = ok(
        pager.client.get(f"{pager.org}/heartbeats/{monitor['id']}/pings", headers=pager.auth)
    )
    assert [item["body"] for item in pings["items"]] == [f"run {n}" for n in range(54, 4, -1)]


def test_a_ping_storm_is_limited_per_monitor_and_only_with_the_right_key(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock
) -> None:
    with serving(app, database_url, data_dir, clock, rate_limit_heartbeat_ping="5/minute") as (
        runtime,
        client,
    ):
        pager = Pager(client, runtime, clock, data_dir)
        endpoint = pager.endpoint(pager.contact("Ops"))
        stormy, quiet = make_heartbeat(pager, endpoint), make_heartbeat(pager, endpoint)
        # Wrong keys from elsewhere use up nothing of the monitor's budget...
        for _ in range(10):
            assert get(client, stormy["id"], A_KEY).status_code == 404
        statuses = [get(client, stormy["id"], stormy["key"]).status_code for _ in range(8)]
        assert statuses == [200] * 5 + [429] * 3
        refused = get(client, stormy["id"], stormy["key"])
        assert refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) >= 1
        # ...and the storm uses up nothing of another monitor's.
        assert get(client, quiet["id"], quiet["key"]).status_code == 200
        pings = ok(client.get(f"{pager.org}/heartbeats/{stormy['id']}/pings", headers=pager.auth))
        assert len(pings["items"]) == 5


def test_guessing_keys_from_one_address_soon_meets_a_429(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock
) -> None:
    with serving(app, database_url, data_dir, clock, rate_limit_ingest_failures="3/minute") as (
        _runtime,
        client,
    ):
        statuses = [get(client, UNKNOWN, A_KEY).status_code for _ in range(5)]
    assert statuses == [404, 404, 404, 429, 429]
