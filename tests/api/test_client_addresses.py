"""Whose address a request comes from (issue 16, finding 3; issue 17, item 3): every
per-address limit was bypassed with a forged X-Forwarded-For, because uvicorn believed it from
any local peer. Forwarding headers are believed only from TOCSIN_TRUSTED_PROXIES."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import serving
from tocsin.cli import app as cli_app
from tocsin.core.client_address import ForwardedHeader, client_address, parse_networks
from tocsin.core.clock import ManualClock

X = ForwardedHeader.X_FORWARDED_FOR
FORWARDED = ForwardedHeader.FORWARDED
PROXIES = parse_networks("10.0.0.0/8, 2001:db8::/32")


@pytest.mark.parametrize(
    ("peer", "values", "header", "expected"),
    [
        # A peer that is not one of ours cannot speak for anyone.
        ("203.0.113.9", ["198.51.100.1"], X, "203.0.113.9"),
        # Through our proxy: the address it added.
        ("10.0.0.2", ["198.51.100.1"], X, "198.51.100.1"),
        # The client's own forgery sits left of what our proxy added.
        ("10.0.0.2", ["1.2.3.4, 198.51.100.1"], X, "198.51.100.1"),
        ("10.0.0.2", ["1.2.3.4", "198.51.100.1"], X, "198.51.100.1"),
        # Two proxies of ours in a row.
        ("10.0.0.2", ["1.2.3.4, 198.51.100.1, 10.0.0.9"], X, "198.51.100.1"),
        # Only proxies of ours: the furthest.
        ("10.0.0.2", ["10.0.0.7"], X, "10.0.0.7"),
        # No header: the proxy itself.
        ("10.0.0.2", [], X, "10.0.0.2"),
        # Garbage where our proxy wrote: the nearest address known.
        ("10.0.0.2", ["198.51.100.1, bogus"], X, "10.0.0.2"),
        # Ports and brackets as proxies write them.
        ("10.0.0.2", ["198.51.100.1:5555"], X, "198.51.100.1"),
        ("2001:db8::1", ["[2001:db8:cafe::17]:4711"], X, "2001:db8:cafe::17"),
        ("::ffff:10.0.0.2", ["198.51.100.1"], X, "198.51.100.1"),
        # RFC 7239.
        ("10.0.0.2", ['for=1.2.3.4, for="198.51.100.1";proto=https'], FORWARDED, "198.51.100.1"),
        ("10.0.0.2", ['for="[2001:db8:cafe::17]:4711"'], FORWARDED, "2001:db8:cafe::17"),
        # The header the proxies do not set is ignored: the other one is not read at all.
        ("10.0.0.2", [], FORWARDED, "10.0.0.2"),
        # The test client's peer is not an address.
        ("testclient", ["198.51.100.1"], X, "testclient"),
    ],
)
def test_the_client_is_the_right_most_address_not_of_a_trusted_proxy(
    peer: str, values: list[str], header: ForwardedHeader, expected: str
) -> None:
    assert client_address(peer, values, trusted=PROXIES, header=header) == expected


def test_with_no_trusted_proxy_the_client_is_the_peer() -> None:
    assert client_address("10.0.0.2", ["198.51.100.1"], trusted=()) == "10.0.0.2"
    assert client_address(None, ["198.51.100.1"], trusted=PROXIES) is None


def test_a_trusted_proxy_that_is_not_a_network_is_refused() -> None:
    with pytest.raises(ValueError, match="not an address or CIDR"):
        parse_networks("10.0.0.0/8, proxy.example")


def report(client: Any, forwarded_for: str) -> Any:
    return client.post(
        "/v1/public/abuse-reports",
        json={"caller_id": "+447400000001", "seen_at": "2026-01-01T00:00:00Z", "description": "x"},
        headers={"X-Forwarded-For": forwarded_for},
    )


def test_a_forged_forwarded_for_is_no_new_address_through_the_app(client: TestClient) -> None:
    for n in range(10):
        assert report(client, f"198.51.100.{n}").status_code == 201
    assert report(client, "198.51.100.99").status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock
) -> None:
    with serving(app, database_url, data_dir, clock, trusted_proxies="10.0.0.0/8") as (
        _runtime,
        _client,
    ):
        proxy = TestClient(app, client=("10.0.0.2", 40000))
        for n in range(10):
            # The client forges its left part; the proxy appends the address it saw.
            assert report(proxy, f"1.1.1.{n}, 198.51.100.1").status_code == 201
        assert report(proxy, "1.1.1.99, 198.51.100.1").status_code == 429
        assert report(proxy, "198.51.100.2").status_code == 201


@contextmanager
def served_as_tocsin_serve(cli: CliRunner) -> Iterator[str]:
    """The application and server options `tocsin serve` runs, on a real uvicorn server."""
    captured: list[uvicorn.Config] = []

    def capture(server: uvicorn.Server, *args: Any, **kwargs: Any) -> None:
        captured.append(server.config)

    # `serve` builds its server and runs it; only the run is stood in for, and only here.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uvicorn.Server, "run", capture)
        result = cli.invoke(cli_app, ["serve", "--no-worker"])
    assert result.exit_code == 0, result.output
    [config] = captured
    config.lifespan = "off"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    # Listening already: requests wait in the backlog until the server takes them.
    listener.listen(64)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]})
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def test_a_forged_forwarded_for_from_a_local_peer_is_no_new_address(cli: CliRunner) -> None:
    """The running server, as issue 16 probed it: uvicorn believed X-Forwarded-For from
    127.0.0.1, so each forged address got a budget of its own."""
    with served_as_tocsin_serve(cli) as base, httpx.Client(base_url=base) as http:
        answers = [report(http, f"198.51.100.{n}").status_code for n in range(11)]
    assert answers == [201] * 10 + [429]
