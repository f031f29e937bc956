"""What the benchmarks share: a load generator in its own process, a bare Starlette baseline,
server processes on free local ports, throwaway databases, and the `tocsin` CLI.

The load generator is a minimal asyncio HTTP/1.1 client, because httpx's own overhead (a few
hundred requests/s per core) would hide the baseline. It runs as `python harness.py --role load`
so it does not share the server's GIL. Only 127.0.0.1 is used, and every phase is bounded in
count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import uvloop
from sqlalchemy import Select, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tocsin.db.engine import normalise_url

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0
REQUEST_TIMEOUT_SECONDS = 30.0

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


# Load generator (runs in its own process) -------------------------------------------------------


@dataclass(frozen=True)
class LoadPlan:
    port: int
    # Requests go to these paths in turn.
    paths: list[str]
    headers: dict[str, str]
    title_prefix: str
    requests: int
    warmup: int
    concurrency: int
    time_limit: float
    # 0: every request has its own title; N: titles repeat every N requests per path, so the
    # same alerts come in again (deduplication).
    distinct_titles: int = 0
    # Requests per second at most over the timed phase; 0: as fast as the server answers.
    rate: float = 0.0


def _request_bytes(plan: LoadPlan, path: str, title: str) -> bytes:
    body = json.dumps({"title": title, "severity": "critical"}).encode()
    head = [f"POST {path} HTTP/1.1", f"Host: {HOST}:{plan.port}"]
    head += [f"{name}: {value}" for name, value in plan.headers.items()]
    head += ["Content-Type: application/json", f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(head).encode() + body


def _title(plan: LoadPlan, prefix: str, number: int) -> str:
    if plan.distinct_titles:
        return f"{prefix} {(number // len(plan.paths)) % plan.distinct_titles}"
    return f"{prefix} {number}"


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, keep-alive) of one HTTP/1.1 response framed by Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    if "content-length" not in headers:
        raise RuntimeError(f"response without Content-Length: {status_line}")
    body = await reader.readexactly(int(headers["content-length"]))
    return int(status_line.split()[1]), body, headers.get("connection") != "close"


async def _generate_load(plan: LoadPlan) -> dict[str, Any]:
    """Send plan.warmup untimed requests, then plan.requests timed ones, `concurrency` at once."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    alert_ids: list[str] = []
    # (alert id, wall-clock time the request was sent, outcome) of every timed request.
    sent: list[tuple[str, float, str]] = []
    outcomes: Counter[str] = Counter()
    errors: list[str] = []

    async def connect() -> Connection:
        return await asyncio.open_connection(HOST, plan.port)

    async def drive(
        connection: Connection,
        numbers: Iterator[int],
        count: int,
        prefix: str,
        timed: bool,
        deadline: float,
        begun: float,
    ) -> None:
        reader, writer = connection
        try:
            for number in numbers:
                if number >= count or time.monotonic() > deadline:
                    return
                if timed and plan.rate:
                    await asyncio.sleep(max(0.0, begun + number / plan.rate - time.monotonic()))
                path = plan.paths[number % len(plan.paths)]
                request = _request_bytes(plan, path, _title(plan, prefix, number))
                sent_at = time.time()
                started = time.perf_counter()
                try:
                    async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
                        writer.write(request)
                        await writer.drain()
                        status, body, keep_alive = await _read_response(reader)
                except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
                    errors.append(f"{type(error).__name__}: {error}")
                    writer.close()
                    reader, writer = await connect()
                    continue
                elapsed = time.perf_counter() - started
                answer = json.loads(body) if status == 202 else {}
                if "alert_id" in answer:
                    alert_ids.append(answer["alert_id"])
                if timed:
                    latencies.append(elapsed)
                    statuses[status] += 1
                    if "outcome" in answer:
                        outcomes[answer["outcome"]] += 1
                        sent.append((answer["alert_id"], sent_at, answer["outcome"]))
                if not keep_alive:
                    writer.close()
                    reader, writer = await connect()
        finally:
            writer.close()

    async def phase(count: int, prefix: str, timed: bool) -> float:
        """Seconds from the first request to the last answer; connections are opened first."""
        connections = await asyncio.gather(*(connect() for _ in range(plan.concurrency)))
        numbers = itertools.count()
        deadline = time.monotonic() + plan.time_limit
        began = time.monotonic()
        started = time.perf_counter()
        await asyncio.gather(
            *(
                drive(connection, numbers, count, prefix, timed, deadline, began)
                for connection in connections
            )
        )
        return time.perf_counter() - started

    await phase(plan.warmup, f"{plan.title_prefix} warm-up", timed=False)
    seconds = await phase(plan.requests, plan.title_prefix, timed=True)
    return {
        "seconds": seconds,
        "latencies": latencies,
        "statuses": dict(statuses),
        "alert_ids": alert_ids,
        "sent": sent,
        "outcomes": dict(outcomes),
        "errors": errors,
    }


def run_load_generator(plan_json: str) -> None:
    plan = LoadPlan(**json.loads(plan_json))
    json.dump(uvloop.run(_generate_load(plan)), sys.stdout)


def apply_load(plan: LoadPlan) -> dict[str, Any]:
    """Run the load generator in its own process and return what it measured."""
    done = subprocess.run(
        [sys.executable, __file__, "--role", "load", "--plan", json.dumps(asdict(plan))],
        capture_output=True,
        text=True,
        timeout=2 * plan.time_limit + START_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the load generator failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# The baseline (runs in its own process) ---------------------------------------------------------


def _serve_hooks(receive: Callable[[Request], Awaitable[JSONResponse]], port: int) -> None:
    """A Starlette app taking webhooks with `receive`, on the same uvicorn options as
    `tocsin serve`."""

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/v1/hooks/{endpoint_id}", receive, methods=["POST"]),
            Route("/healthz", healthz),
        ]
    )
    uvicorn.run(app, host=HOST, port=port, log_level="info", access_log=False)


def run_bare_server(port: int) -> None:
    async def receive(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"accepted": True}, status_code=202)

    _serve_hooks(receive, port)


def run_floor_server(port: int, database: str) -> None:
    """The per-request-commit floor: the bare app, plus one SQLite insert and commit per
    webhook on one writer thread, with Tocsin's pragmas (WAL, synchronous=NORMAL). What any
    server that stores each webhook durably before answering pays, whatever its code."""
    connection = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE IF NOT EXISTS alerts (id TEXT PRIMARY KEY, body BLOB)")
    writer = ThreadPoolExecutor(max_workers=1)

    def store(body: bytes) -> str:
        alert_id = secrets.token_hex(8)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO alerts (id, body) VALUES (?, ?)", (alert_id, body))
        connection.execute("COMMIT")
        return alert_id

    async def receive(request: Request) -> JSONResponse:
        body = await request.body()
        loop = asyncio.get_running_loop()
        alert_id = await loop.run_in_executor(writer, store, body)
        return JSONResponse({"alert_id": alert_id}, status_code=202)

    _serve_hooks(receive, port)


def bare_server_command() -> list[str]:
    return [sys.executable, __file__, "--role", "bare-server"]


def floor_server_command(database: Path) -> list[str]:
    return [sys.executable, __file__, "--role", "floor-server", "--database", str(database)]


# Measurements and processes ---------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    alert_ids: list[str]
    outcomes: dict[str, int]
    errors: list[str]
    sent: list[tuple[str, float, str]] = field(default_factory=list)

    @classmethod
    def of(cls, name: str, raw: dict[str, Any]) -> Measurement:
        return cls(
            name=name,
            requests=len(raw["latencies"]),
            seconds=raw["seconds"],
            latencies=sorted(raw["latencies"]),
            statuses={int(status): count for status, count in raw["statuses"].items()},
            alert_ids=raw["alert_ids"],
            outcomes=raw["outcomes"],
            errors=raw["errors"],
            sent=[tuple(item) for item in raw["sent"]],  # type: ignore[misc]
        )

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, percent: float) -> float:
        return percentile_ms(self.latencies, percent)


def percentile_ms(sorted_seconds: list[float], percent: float) -> float:
    if not sorted_seconds:
        return math.nan
    rank = max(1, math.ceil(percent / 100 * len(sorted_seconds)))
    return sorted_seconds[rank - 1] * 1000


class Server:
    """A server process on 127.0.0.1:port, its output kept in a log file."""

    def __init__(
        self, name: str, command: list[str], env: dict[str, str], cwd: Path, *, port: bool = True
    ) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = cwd / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [*command, *(["--port", str(self.port)] if port else [])],
            env=env,
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://{HOST}:{self.port}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise SystemExit(f"{self.name} did not start; its log:\n{self.log_text()}")

    def wait_for_log(self, needle: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            if needle in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.1)
        self.stop()
        raise SystemExit(f"{self.name} did not log {needle!r}; its log:\n{self.log_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


_UNCAPPED_PLAN = """
[plans.benchmark]
name = "Benchmark"
monthly_calls = 1000000000
daily_calls = 1000000000
monthly_spend_cents = 1000000000
endpoints = 100000
contacts = 100000
members = 1000
audit_retention_days = 30
verification_codes_per_day = 1000000000
international_calling = false
"""


def uncapped_settings(workdir: Path, *, rate_limits: str = "off") -> dict[str, str]:
    """Settings that measure the engine rather than a plan: caps far above any load here, and
    rate limits off (`off`) or on but never reached (`memory`, or `redis` on 127.0.0.1), so
    that their cost shows and their refusals do not."""
    plans = workdir / "benchmark-plans.toml"
    plans.write_text(_UNCAPPED_PLAN, encoding="utf-8")
    # The simulator, named as an operator must name it: nobody is called.
    settings = {"plans_file": str(plans), "default_plan": "benchmark", "provider": "simulator"}
    if rate_limits == "off":
        return {**settings, "rate_limits_enabled": "false"}
    unreachable = "100000000/minute"
    settings.update(
        rate_limit_ingest_per_key=unreachable,
        rate_limit_ingest_per_endpoint=unreachable,
        # Setting up verifies every benchmark contact with one key.
        rate_limit_verification=unreachable,
    )
    if rate_limits == "redis":
        settings["redis_url"] = "redis://127.0.0.1:6379/14"
    return settings


def child_env(settings: dict[str, str]) -> dict[str, str]:
    """This environment without the caller's TOCSIN_* settings, plus the benchmark's."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("TOCSIN_")}
    env.update({f"TOCSIN_{name.upper()}": value for name, value in settings.items()})
    return env


def tocsin_command() -> list[str]:
    return [sys.executable, "-c", "from tocsin.cli import main; main()"]


def _tocsin(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """What `tocsin ARGS` printed; the benchmark stops, with its error, if it failed."""
    done = subprocess.run(
        [*tocsin_command(), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"tocsin {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def create_database(env: dict[str, str], cwd: Path) -> None:
    """Make the settings' database and its schema: other commands refuse a missing one."""
    _tocsin(["db", "upgrade"], env, cwd)


def tocsin_json(args: list[str], env: dict[str, str], cwd: Path) -> Any:
    return json.loads(_tocsin([*args, "--json"], env, cwd))


# Databases --------------------------------------------------------------------------------------


def count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(query) or 0)


def chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@contextlib.contextmanager
def throwaway_database(server_url: str | None, workdir: Path) -> Iterator[tuple[str, str]]:
    """(database URL, description): a SQLite file in workdir, or a new PostgreSQL database."""
    if server_url is None:
        path = workdir / f"tocsin-{secrets.token_hex(3)}.db"
        yield f"sqlite:///{path}", "SQLite (temporary file, WAL)"
        return
    server = make_url(normalise_url(server_url))
    if not server.drivername.startswith("postgresql"):
        raise SystemExit("--database-url takes a PostgreSQL URL; SQLite is the default")
    if server.host not in (HOST, "localhost", None):
        raise SystemExit(f"--database-url must point at {HOST}, not {server.host}")
    name = f"tocsin_bench_{secrets.token_hex(5)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        yield url, f"PostgreSQL (throwaway database {name})"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _roles() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--role", choices=("load", "bare-server", "floor-server"), required=True)
    parser.add_argument("--database")
    parser.add_argument("--plan")
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.role == "load":
        run_load_generator(args.plan)
    elif args.role == "floor-server":
        run_floor_server(args.port, args.database)
    else:
        run_bare_server(args.port)


if __name__ == "__main__":
    _roles()
