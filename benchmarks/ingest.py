"""Webhook ingest on the embedded default, measured against a bare Starlette app in the same run.

    python benchmarks/ingest.py [--requests 3000] [--concurrency 32]
    python benchmarks/ingest.py --database-url postgresql://postgres@127.0.0.1:5432/test

Tocsin runs as `tocsin serve` does by default: one uvicorn process with the in-process delivery
worker placing every call through the simulator (audio synthesis off, so it measures ingest and
the database rather than text-to-speech). It gets a temporary SQLite file and data directory, or,
with --database-url, a throwaway database created on that PostgreSQL server and dropped after.
One organization, contact, endpoint and ingest key are made with the `tocsin` CLI.

The baseline is a bare Starlette app on the same uvicorn: one POST route that reads the body and
answers 202 with JSON. Both get the same load: --requests POSTs with distinct titles, so each one
creates an alert and a call job, over --concurrency keep-alive connections. The load comes from a
separate process, so it does not share the server's GIL; it is a minimal asyncio HTTP/1.1 client
because httpx's own overhead (a few hundred requests/s per core) would hide the baseline. Only
127.0.0.1 is used, and every phase is bounded in count and time.

Afterwards every alert that was answered 202 is looked up in the database with its call job, and
the script exits 1 if any is missing.
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
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import uvloop
from sqlalchemy import Select, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tocsin.db.engine import Database, normalise_url
from tocsin.delivery.models import CallJob, JobStatus
from tocsin.ingest.models import Alert

HOST = "127.0.0.1"
DEMO_PHONE = "+447400123456"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0
REQUEST_TIMEOUT_SECONDS = 30.0
UNSETTLED = (JobStatus.PENDING.value, JobStatus.LEASED.value)

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


# Load generator (runs in its own process) -------------------------------------------------------


@dataclass(frozen=True)
class LoadPlan:
    port: int
    path: str
    headers: dict[str, str]
    title_prefix: str
    requests: int
    warmup: int
    concurrency: int
    time_limit: float


def _request_bytes(plan: LoadPlan, title: str) -> bytes:
    body = json.dumps({"title": title, "severity": "critical"}).encode()
    head = [f"POST {plan.path} HTTP/1.1", f"Host: {HOST}:{plan.port}"]
    head += [f"{name}: {value}" for name, value in plan.headers.items()]
    head += ["Content-Type: application/json", f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(head).encode() + body


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
    ) -> None:
        reader, writer = connection
        try:
            for number in numbers:
                if number >= count or time.monotonic() > deadline:
                    return
                request = _request_bytes(plan, f"{prefix} {number}")
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
        started = time.perf_counter()
        await asyncio.gather(
            *(
                drive(connection, numbers, count, prefix, timed, deadline)
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
        "outcomes": dict(outcomes),
        "errors": errors,
    }


def run_load_generator(plan_json: str) -> None:
    plan = LoadPlan(**json.loads(plan_json))
    json.dump(uvloop.run(_generate_load(plan)), sys.stdout)


# The baseline (runs in its own process) ---------------------------------------------------------


def run_bare_server(port: int) -> None:
    async def receive(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"accepted": True}, status_code=202)

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/v1/hooks/{endpoint_id}", receive, methods=["POST"]),
            Route("/healthz", healthz),
        ]
    )
    # The same uvicorn options as `tocsin serve`.
    uvicorn.run(app, host=HOST, port=port, log_level="info", access_log=False)


# The driver -------------------------------------------------------------------------------------


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
        )

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, percent: float) -> float:
        if not self.latencies:
            return math.nan
        rank = max(1, math.ceil(percent / 100 * len(self.latencies)))
        return self.latencies[rank - 1] * 1000


class Server:
    """A server process on 127.0.0.1:port, its output kept in a log file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.port = _free_port()
        self.log_path = cwd / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port)],
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _child_env(settings: dict[str, str]) -> dict[str, str]:
    """This environment without the caller's TOCSIN_* settings, plus the benchmark's."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("TOCSIN_")}
    env.update({f"TOCSIN_{name.upper()}": value for name, value in settings.items()})
    return env


def _tocsin_command() -> list[str]:
    return [sys.executable, "-c", "from tocsin.cli import main; main()"]


def _tocsin_json(args: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    done = subprocess.run(
        [*_tocsin_command(), *args, "--json"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"tocsin {' '.join(args)} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _set_up_tenant(env: dict[str, str], cwd: Path) -> tuple[str, str]:
    """An organization, a contact, an endpoint calling it and an ingest key: (endpoint, key)."""
    org = _tocsin_json(["org", "create", "Benchmark", "--country", "GB"], env, cwd)["id"]
    contact = _tocsin_json(["contact", "add", "On call", DEMO_PHONE, "--org", org], env, cwd)["id"]
    endpoint = _tocsin_json(
        ["endpoint", "create", "Benchmark", "--org", org, "--contact", contact], env, cwd
    )["id"]
    key = _tocsin_json(["key", "create", "--org", org, "--endpoint", endpoint], env, cwd)["key"]
    return endpoint, key


def _apply_load(
    server: Server, args: argparse.Namespace, path: str, headers: dict[str, str]
) -> dict[str, Any]:
    plan = LoadPlan(
        port=server.port,
        path=path,
        headers=headers,
        title_prefix=f"bench {secrets.token_hex(4)}",
        requests=args.requests,
        warmup=args.warmup,
        concurrency=args.concurrency,
        time_limit=args.time_limit,
    )
    done = subprocess.run(
        [sys.executable, __file__, "--role", "load", "--plan", json.dumps(plan.__dict__)],
        capture_output=True,
        text=True,
        timeout=2 * args.time_limit + START_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the load generator failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def measure_bare(args: argparse.Namespace, workdir: Path) -> Measurement:
    server = Server(
        "bare", [sys.executable, __file__, "--role", "bare-server"], _child_env({}), workdir
    )
    try:
        server.wait_until_ready()
        raw = _apply_load(server, args, "/v1/hooks/bare", {})
    finally:
        server.stop()
    return Measurement.of("bare Starlette", raw)


@dataclass(frozen=True)
class DeliveryProgress:
    settled_during_load: int
    unsettled_after_load: int
    drain_seconds: float | None


def _unsettled_jobs(database: Database, alert_ids: list[str]) -> int:
    unsettled = 0
    with database.read() as session:
        for chunk in _chunks(alert_ids):
            unsettled += _count(
                session,
                select(func.count())
                .select_from(CallJob)
                .where(CallJob.alert_id.in_(chunk), CallJob.status.in_(UNSETTLED)),
            )
    return unsettled


def _wait_for_worker(database: Database, alert_ids: list[str], timeout: float) -> DeliveryProgress:
    """How far the in-process worker got with the calls, and how long it takes to finish."""
    started = time.monotonic()
    unsettled_after_load = _unsettled_jobs(database, alert_ids)
    unsettled = unsettled_after_load
    while unsettled and time.monotonic() - started < timeout:
        time.sleep(0.5)
        unsettled = _unsettled_jobs(database, alert_ids)
    return DeliveryProgress(
        settled_during_load=len(alert_ids) - unsettled_after_load,
        unsettled_after_load=unsettled_after_load,
        drain_seconds=None if unsettled else time.monotonic() - started,
    )


def measure_tocsin(
    args: argparse.Namespace, workdir: Path, database_url: str
) -> tuple[Measurement, DeliveryProgress | None]:
    env = _child_env(
        {
            "database_url": database_url,
            "data_dir": str(workdir / "data"),
            "secret_key": secrets.token_urlsafe(48),
            "simulator_record_audio": "false",
            "host": HOST,
        }
    )
    endpoint_id, key = _set_up_tenant(env, workdir)
    serve = [*_tocsin_command(), "serve", *(["--no-worker"] if args.no_worker else [])]
    server = Server("tocsin", serve, env, workdir)
    database = Database(database_url)
    try:
        server.wait_until_ready()
        raw = _apply_load(server, args, f"/v1/hooks/{endpoint_id}", {"X-Alert-Key": key})
        progress = (
            None
            if args.no_worker
            else _wait_for_worker(database, raw["alert_ids"], args.drain_timeout)
        )
    finally:
        server.stop()
        database.dispose()
    return Measurement.of("Tocsin", raw), progress


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(query) or 0)


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class LossCheck:
    accepted: int
    stored: int
    with_call_job: int

    @property
    def lost(self) -> int:
        return self.accepted - min(self.stored, self.with_call_job)


def check_none_lost(database_url: str, alert_ids: list[str]) -> LossCheck:
    """Every alert answered 202 must be in the database with at least one call job."""
    database = Database(database_url)
    stored = with_job = 0
    try:
        with database.read() as session:
            for chunk in _chunks(alert_ids):
                stored += _count(
                    session, select(func.count()).select_from(Alert).where(Alert.id.in_(chunk))
                )
                with_job += _count(
                    session,
                    select(func.count(func.distinct(CallJob.alert_id))).where(
                        CallJob.alert_id.in_(chunk)
                    ),
                )
    finally:
        database.dispose()
    return LossCheck(accepted=len(set(alert_ids)), stored=stored, with_call_job=with_job)


@contextlib.contextmanager
def throwaway_database(server_url: str | None, workdir: Path) -> Iterator[tuple[str, str]]:
    """(database URL, description): a SQLite file in workdir, or a new PostgreSQL database."""
    if server_url is None:
        yield f"sqlite:///{workdir / 'tocsin.db'}", "SQLite (temporary file, WAL)"
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


def _format_row(cells: list[str]) -> str:
    name, *figures = cells
    return name.ljust(16) + "".join(figure.rjust(10) for figure in figures)


def report(
    bare: Measurement, tocsin: Measurement, progress: DeliveryProgress | None, check: LossCheck
) -> None:
    print(_format_row(["", "requests", "req/s", "p50 ms", "p99 ms", "max ms"]))
    for run in (bare, tocsin):
        print(
            _format_row(
                [
                    run.name,
                    str(run.requests),
                    f"{run.throughput:.0f}",
                    f"{run.percentile_ms(50):.2f}",
                    f"{run.percentile_ms(99):.2f}",
                    f"{run.percentile_ms(100):.2f}",
                ]
            )
        )
    print()
    print(
        f"Tocsin/bare: throughput {tocsin.throughput / bare.throughput:.3f}x, "
        f"p50 latency {tocsin.percentile_ms(50) / bare.percentile_ms(50):.1f}x, "
        f"p99 latency {tocsin.percentile_ms(99) / bare.percentile_ms(99):.1f}x"
    )
    for run in (bare, tocsin):
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(run.statuses.items()))
        outcomes = ", ".join(f"{name}: {n}" for name, n in sorted(run.outcomes.items()))
        print(f"{run.name} responses: {statuses}" + (f" ({outcomes})" if outcomes else ""))
        if run.errors:
            print(f"{run.name} connection errors: {len(run.errors)}, first: {run.errors[0]}")
    if progress is None:
        print("delivery: no worker ran (--no-worker); every call job is still pending")
    elif progress.drain_seconds is None:
        print(
            f"delivery: the in-process worker settled {progress.settled_during_load} of "
            f"{check.accepted} call jobs while the load ran; {progress.unsettled_after_load} "
            "were still unsettled at the drain timeout"
        )
    else:
        print(
            f"delivery: the in-process worker settled {progress.settled_during_load} of "
            f"{check.accepted} call jobs while the load ran, the other "
            f"{progress.unsettled_after_load} in {progress.drain_seconds:.1f} s after it"
        )
    verdict = "none lost" if check.lost == 0 else f"{check.lost} LOST"
    print(
        f"durability: {check.accepted} alerts answered 202 (warm-up included), "
        f"{check.stored} in the database, {check.with_call_job} with a call job: {verdict}"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Measure webhook ingest: Tocsin against a bare Starlette app, same load."
    )
    parser.add_argument("--requests", type=int, default=3000, help="timed requests per server")
    parser.add_argument("--concurrency", type=int, default=32, help="connections at once")
    parser.add_argument(
        "--warmup", type=int, default=200, help="untimed requests sent first to each server"
    )
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server to run Tocsin on, in a throwaway database "
        "(e.g. postgresql://postgres@127.0.0.1:5432/test); default: a temporary SQLite file",
    )
    parser.add_argument(
        "--time-limit", type=float, default=120.0, help="seconds at most per load phase"
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=120.0,
        help="seconds to wait after the load for the worker to settle every call",
    )
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="serve without the in-process worker, to see what delivery costs ingest",
    )
    parser.add_argument(
        "--role", choices=("main", "load", "bare-server"), default="main", help=argparse.SUPPRESS
    )
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ("requests", "concurrency"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    if args.role == "load":
        run_load_generator(args.plan)
        return 0
    if args.role == "bare-server":
        run_bare_server(args.port)
        return 0
    with (
        tempfile.TemporaryDirectory(prefix="tocsin-bench-") as tmp,
        throwaway_database(args.database_url, Path(tmp)) as (database_url, description),
    ):
        workdir = Path(tmp)
        print(
            f"Webhook ingest: {args.requests} POSTs with distinct titles (after {args.warmup} "
            f"warm-up), {args.concurrency} keep-alive connections, from a separate process"
        )
        worker = "no worker" if args.no_worker else "its in-process worker"
        print(f"Tocsin: `tocsin serve` with {worker} on {description},")
        print("        simulator provider with audio off; baseline: bare Starlette on uvicorn\n")
        bare = measure_bare(args, workdir)
        tocsin, progress = measure_tocsin(args, workdir, database_url)
        check = check_none_lost(database_url, tocsin.alert_ids)
    report(bare, tocsin, progress, check)
    return 0 if check.lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
