"""Issue 17, finding 8: slow uploads were never timed out. 2,000 half-sent bodies were held
(RSS 157 -> 263 MiB), and each one that went away logged a full traceback.

These run `tocsin serve`'s own uvicorn configuration (tocsin/http/server.py) on a free port and
talk to it over raw sockets, with deadlines of half a second so a test takes about that long.
A test waits for the server only with a socket timeout as its bound: a connection the server
holds shows as that bound running out. "Released" is asserted as the server closing its end
(the client reads end-of-file), which is what frees the connection's buffers, not as RSS.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest
import uvicorn
from fastapi import FastAPI
from starlette.datastructures import State

from tests.conftest import settings_for
from tocsin.http.server import server_config
from tocsin.runtime import Runtime

HEADER_SECONDS = 0.5
BODY_SECONDS = 0.5
# How long a test waits for the server before it counts the connection as held for good.
BOUND_SECONDS = 10.0
# A slow client's pace: one more byte whenever the server has said nothing for this long.
TRICKLE_SECONDS = 0.05


class Records(logging.Handler):
    """Every log record the server makes, from Tocsin's loggers and uvicorn's."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Server:
    port: int
    uvicorn: uvicorn.Server
    thread: threading.Thread
    logs: Records = field(default_factory=Records)

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=BOUND_SECONDS)
        sock.settimeout(BOUND_SECONDS)
        return sock

    def stop(self) -> None:
        """Stop, waiting until every request in flight has finished (and logged)."""
        self.uvicorn.should_exit = True
        self.thread.join(BOUND_SECONDS)
        assert not self.thread.is_alive(), "the server did not stop"


@contextmanager
def running(app: FastAPI, runtime: Runtime) -> Iterator[Server]:
    """`tocsin serve`'s server for `app` (the process's one application, pointed at
    `runtime`, as the `client` fixture points it)."""
    app.state = State({"runtime": runtime})
    config = server_config(app, runtime.settings, host="127.0.0.1", port=runtime.settings.port)
    server = uvicorn.Server(config)
    # Bound and listening before the server starts, so connections wait in the backlog until
    # it accepts them and the test needs no signal that it has started.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    records = Records()
    watched = [logging.getLogger(), logging.getLogger("uvicorn")]
    for logger in watched:
        logger.addHandler(records)
    # As `tocsin serve` logs (logging.basicConfig(level=INFO)).
    tocsin_logger = logging.getLogger("tocsin")
    level = tocsin_logger.level
    tocsin_logger.setLevel(logging.INFO)
    thread.start()
    served = Server(port, server, thread, records)
    try:
        yield served
    finally:
        if thread.is_alive():
            served.stop()
        listener.close()
        for logger in watched:
            logger.removeHandler(records)
        tocsin_logger.setLevel(level)


class MakeRuntime(Protocol):
    def __call__(self, **overrides: Any) -> Runtime: ...


@pytest.fixture
def runtime_for(sqlite_template: Path, tmp_path: Path) -> Iterator[MakeRuntime]:
    """Runtimes on SQLite alone: nothing tested here depends on the database."""
    made: list[Runtime] = []

    def make(**overrides: Any) -> Runtime:
        database = tmp_path / f"tocsin-{len(made)}.db"
        shutil.copyfile(sqlite_template, database)
        database.chmod(0o600)
        data_dir = tmp_path / "data"
        data_dir.mkdir(mode=0o700, exist_ok=True)
        settings = settings_for(f"sqlite:///{database}", data_dir, **overrides)
        made.append(Runtime.from_settings(settings))
        return made[-1]

    yield make
    for runtime in made:
        runtime.database.dispose()


@pytest.fixture
def server(app: FastAPI, runtime_for: MakeRuntime) -> Iterator[Server]:
    runtime = runtime_for(header_read_seconds=HEADER_SECONDS, body_read_seconds=BODY_SECONDS)
    with running(app, runtime) as served:
        yield served


def trickle(sock: socket.socket, rest: bytes) -> bytes:
    """Send `rest` a byte at a time, one whenever the server has been quiet for a moment, and
    return all the server sends until it closes the connection (fails if it never does)."""
    received = b""
    pending = rest
    sock.settimeout(TRICKLE_SECONDS)
    waited = 0.0
    while waited < BOUND_SECONDS:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            waited += TRICKLE_SECONDS
            if pending:
                try:
                    sock.sendall(pending[:1])
                except (BrokenPipeError, ConnectionResetError):
                    pending = b""
                pending = pending[1:]
            continue
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk
    raise AssertionError(f"the server held the connection; it sent {received!r}")


def until_closed(sock: socket.socket) -> bytes:
    """All the server sends until it closes the connection (fails if it holds it)."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        raise AssertionError(f"the server held the connection; it sent {received!r}") from None
    except ConnectionResetError:
        pass
    return received


def response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def error_code(body: bytes) -> str:
    code: str = json.loads(body)["error"]["code"]
    return code


HOOK_HEADERS = (
    b"POST /v1/hooks/ep_slow HTTP/1.1\r\n"
    b"Host: tocsin.test\r\n"
    b"X-Alert-Key: tk_abcdefghijkl_0123456789012345678901234567890123456789\r\n"
    b"Content-Type: application/json\r\n"
)
BODY = json.dumps({"title": "Disk full on db1", "severity": "critical"}).encode()


SLOW_BODIES = {
    # Read by Tocsin's own code (request.stream()), by FastAPI for a JSON model, and by
    # Starlette's form parser: each turns the disconnect it is told of into something else.
    "webhook": HOOK_HEADERS,
    "API JSON": b"POST /v1/auth/login HTTP/1.1\r\nHost: tocsin.test\r\n"
    b"Content-Type: application/json\r\n",
    "dashboard form": b"POST /login HTTP/1.1\r\nHost: tocsin.test\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n",
}


@pytest.mark.parametrize("headers", SLOW_BODIES.values(), ids=SLOW_BODIES.keys())
def test_a_body_sent_byte_by_byte_is_answered_408_and_the_connection_closed(
    server: Server, headers: bytes
) -> None:
    with server.connect() as sock:
        sock.sendall(headers + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY[:5])
        raw = trickle(sock, BODY[5:])
    status, response_headers, body = response(raw)
    assert status == 408
    assert response_headers["connection"] == "close"
    assert error_code(body) == "request_timeout"


def test_headers_sent_byte_by_byte_are_cut_off(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(HOOK_HEADERS[:30])
        raw = trickle(sock, HOOK_HEADERS[30:] + b"X-Padding: " + b"x" * 1000)
    # The request never was: a 408 if anything, then the connection ends.
    assert raw == b"" or response(raw)[0] == 408


def test_a_connection_that_never_sends_a_byte_is_closed(server: Server) -> None:
    with server.connect() as sock:
        assert until_closed(sock) == b""


def test_headers_bigger_than_the_cap_are_refused_431(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(HOOK_HEADERS + b"X-Padding: " + b"x" * 100_000)
        raw = until_closed(sock)
    status, _, body = response(raw)
    assert status == 431
    assert error_code(body) == "headers_too_large"


def test_an_answer_given_before_the_body_is_read_closes_the_connection(server: Server) -> None:
    """A 413 from the declared length answers before the body: what the client sends after
    it must not keep the connection open."""
    with server.connect() as sock:
        sock.sendall(HOOK_HEADERS + b"Content-Length: 100000000\r\n\r\n" + b"x" * 10)
        raw = trickle(sock, b"x" * 1000)
    status, headers, _ = response(raw)
    assert status == 413
    assert headers["connection"] == "close"


def test_a_client_gone_mid_body_logs_one_line_without_a_traceback(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(
            HOOK_HEADERS + b"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n" % len(BODY)
        )
        # The server asks for the body only once the application reads it.
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(BODY[:5])
    server.stop()
    about_it = [r for r in server.logs.records if r.name.startswith("tocsin")]
    assert [r.getMessage() for r in about_it] == [
        "client 127.0.0.1 went away before sending the whole body of POST /v1/hooks/ep_slow"
    ]
    assert not [r for r in server.logs.records if r.exc_info or r.levelno >= logging.ERROR]


def test_past_max_connections_a_request_is_answered_503(
    app: FastAPI, runtime_for: MakeRuntime
) -> None:
    with running(app, runtime_for(max_connections=2)) as server, server.connect() as first:
        first.sendall(b"GET /healthz HTTP/1.1\r\nHost: tocsin.test\r\n\r\n")
        assert response(first.recv(65536))[0] == 200
        # The first connection stays open (keep-alive), so a second one is one too many
        # (uvicorn counts the connection asking among the open ones).
        with server.connect() as second:
            second.sendall(b"GET /healthz HTTP/1.1\r\nHost: tocsin.test\r\n\r\n")
            assert response(until_closed(second))[0] == 503


def test_a_prompt_client_is_served_as_before(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: tocsin.test\r\n\r\n")
        status, headers, _ = response(sock.recv(65536))
        assert status == 200
        assert headers.get("connection") != "close"
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: tocsin.test\r\nConnection: close\r\n\r\n")
        assert response(until_closed(sock))[0] == 200
