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
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from harness import (
    HOST,
    LoadPlan,
    Measurement,
    Server,
    apply_load,
    bare_server_command,
    child_env,
    chunks,
    count,
    create_database,
    floor_server_command,
    throwaway_database,
    tocsin_command,
    tocsin_json,
    uncapped_settings,
)
from results import Result, add_results_option, emit
from tocsin.db.engine import Database
from tocsin.paging.models import Alert, CallJob, JobStatus
from tocsin.telephony.simulator import code_heard

DEMO_PHONE = "+447400123456"
UNSETTLED = (JobStatus.PENDING.value, JobStatus.LEASED.value)


def _set_up_tenant(env: dict[str, str], cwd: Path) -> tuple[str, str]:
    """An organization, a contact, an endpoint calling it and an ingest key: (endpoint, key)."""
    create_database(env, cwd)
    org = tocsin_json(["org", "create", "Benchmark", "--country", "GB"], env, cwd)["id"]
    contact = tocsin_json(["contact", "add", "On call", DEMO_PHONE, "--org", org], env, cwd)["id"]
    sent = tocsin_json(["contact", "verify", contact, "--org", org], env, cwd)
    code = code_heard(Path(env["TOCSIN_DATA_DIR"]), sent["verification_id"])
    assert code is not None
    tocsin_json(["contact", "confirm", contact, code, "--org", org], env, cwd)
    endpoint = tocsin_json(
        ["endpoint", "create", "Benchmark", "--org", org, "--contact", contact], env, cwd
    )["id"]
    key = tocsin_json(["key", "create", "--org", org, "--endpoint", endpoint], env, cwd)["key"]
    return endpoint, key


def _apply_load(
    server: Server, args: argparse.Namespace, path: str, headers: dict[str, str]
) -> dict[str, Any]:
    return apply_load(
        LoadPlan(
            port=server.port,
            paths=[path],
            headers=headers,
            title_prefix=f"bench {secrets.token_hex(4)}",
            requests=args.requests,
            warmup=args.warmup,
            concurrency=args.concurrency,
            time_limit=args.time_limit,
        )
    )


def measure_bare(args: argparse.Namespace, workdir: Path) -> Measurement:
    server = Server("bare", bare_server_command(), child_env({}), workdir)
    try:
        server.wait_until_ready()
        raw = _apply_load(server, args, "/v1/hooks/bare", {})
    finally:
        server.stop()
    return Measurement.of("bare Starlette", raw)


def measure_floor(args: argparse.Namespace, workdir: Path) -> Measurement:
    command = floor_server_command(workdir / "floor.db")
    server = Server("floor", command, child_env({}), workdir)
    try:
        server.wait_until_ready()
        raw = _apply_load(server, args, "/v1/hooks/floor", {})
    finally:
        server.stop()
    return Measurement.of("commit floor", raw)


@dataclass(frozen=True)
class DeliveryProgress:
    settled_during_load: int
    unsettled_after_load: int
    drain_seconds: float | None


def _unsettled_jobs(database: Database, alert_ids: list[str]) -> int:
    unsettled = 0
    with database.read() as session:
        for chunk in chunks(alert_ids):
            unsettled += count(
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
    env = child_env(
        {
            "database_url": database_url,
            "data_dir": str(workdir / "data"),
            "secret_key": secrets.token_urlsafe(48),
            "simulator_record_audio": "false",
            # Every alert here calls the same number, which throttles would rightly space a
            # minute apart; this measures ingest and the worker, so they are off.
            "voice_throttle": "",
            "host": HOST,
            **uncapped_settings(workdir, rate_limits=args.rate_limits),
        }
    )
    endpoint_id, key = _set_up_tenant(env, workdir)
    serve = [*tocsin_command(), "serve", *(["--no-worker"] if args.no_worker else [])]
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
            for chunk in chunks(alert_ids):
                stored += count(
                    session, select(func.count()).select_from(Alert).where(Alert.id.in_(chunk))
                )
                with_job += count(
                    session,
                    select(func.count(func.distinct(CallJob.alert_id))).where(
                        CallJob.alert_id.in_(chunk)
                    ),
                )
    finally:
        database.dispose()
    return LossCheck(accepted=len(set(alert_ids)), stored=stored, with_call_job=with_job)


def _format_row(cells: list[str]) -> str:
    name, *figures = cells
    return name.ljust(16) + "".join(figure.rjust(10) for figure in figures)


def report(runs: list[Measurement], progress: DeliveryProgress | None, check: LossCheck) -> None:
    bare, tocsin = runs[0], runs[-1]
    print(_format_row(["", "requests", "req/s", "p50 ms", "p99 ms", "max ms"]))
    for run in runs:
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
    for run in runs:
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
        "--rate-limits",
        choices=("off", "memory", "redis"),
        default="off",
        help="measure with rate limits on (never reached), kept in memory or in Redis",
    )
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="serve without the in-process worker, to see what delivery costs ingest",
    )
    add_results_option(parser)
    args = parser.parse_args(argv)
    for name in ("requests", "concurrency"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def results(
    args: argparse.Namespace,
    backend: str,
    bare: Measurement,
    floor: Measurement | None,
    tocsin: Measurement,
    check: LossCheck,
) -> list[Result]:
    """The issue-21 goals: requests/s against bare Starlette (≥ 0.3x on SQLite, ≥ 0.2x on
    PostgreSQL), p99 under 50 ms, nothing lost; the commit floor beside them."""
    share = 0.3 if backend == "SQLite" else 0.2
    ratio = tocsin.throughput / bare.throughput
    where = f"{backend}, {args.concurrency} connections, distinct alerts"
    where += ", no worker" if args.no_worker else ", in-process worker"
    rows = [
        Result(
            "ingest",
            f"ingest requests/s ({where})",
            f"≥ {share}x bare",
            tocsin.throughput,
            "req/s",
            bare.throughput,
            "bare Starlette",
            ratio,
            ratio >= share,
        ),
        Result(
            "ingest",
            f"ingest p99 latency ({backend})",
            "< 50 ms",
            tocsin.percentile_ms(99),
            "ms",
            bare.percentile_ms(99),
            "bare Starlette",
            tocsin.percentile_ms(99) / bare.percentile_ms(99),
            tocsin.percentile_ms(99) < 50,
        ),
        Result(
            "ingest",
            f"ingest alerts lost ({backend})",
            "0",
            check.lost,
            "alerts",
            met=check.lost == 0,
            note=f"{check.accepted} answered 202",
        ),
    ]
    if floor is not None:
        rows.append(
            Result(
                "ingest",
                "per-request-commit floor requests/s (Starlette + one SQLite insert each)",
                "reference",
                floor.throughput,
                "req/s",
                bare.throughput,
                "bare Starlette",
                floor.throughput / bare.throughput,
            )
        )
    return rows


def main() -> int:
    args = parse_args()
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
        print(
            f"Tocsin: `tocsin serve` with {worker} on {description}, "
            f"rate limits {args.rate_limits},"
        )
        print(
            "        simulator provider with audio off; baselines: bare Starlette on uvicorn, "
            "and the same with one SQLite insert+commit per request (the commit floor)\n"
        )
        bare = measure_bare(args, workdir)
        floor = measure_floor(args, workdir) if args.database_url is None else None
        tocsin, progress = measure_tocsin(args, workdir, database_url)
        check = check_none_lost(database_url, tocsin.alert_ids)
    runs = [bare, *([floor] if floor is not None else []), tocsin]
    report(runs, progress, check)
    backend = "SQLite" if args.database_url is None else "PostgreSQL"
    emit(results(args, backend, bare, floor, tocsin, check), args.results)
    return 0 if check.lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
