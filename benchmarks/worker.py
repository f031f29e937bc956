"""The delivery worker: CPU time and wall time per simulated call.

    python benchmarks/worker.py
    python benchmarks/worker.py --database-url postgresql://postgres@127.0.0.1:5432/test
    python benchmarks/worker.py --profile /tmp/worker.prof   # cProfile of the timed run

An organization with --calls verified numbers, each on an endpoint of its own, gets one alert
per endpoint through the commands the webhook route calls (throttles, bundling and caps off, so
every job dials, once). The worker then runs in this process (`run_until_idle`, the loop
`tocsin worker` turns, against the simulator with audio off; every callee presses 1) until
every call is settled. Measured: process CPU time (`time.process_time`, all threads, so the
database driver's share is counted; the PostgreSQL server's is not) and wall time per call.

The reference, on the same database in the same run: a raw-SQL loop doing the work no worker
can skip for a call: claim one due job row, insert one attempt row, commit (the at-most-once
rule: the attempt is durable before the dial), then record the call's end on the attempt and
the job, commit. A warm-up of --warmup calls precedes each timed run.

SQLite always runs; PostgreSQL too when --database-url names a server (a throwaway database is
created on it and dropped). Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import secrets
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from harness import throwaway_database, uncapped_settings
from results import Result, add_results_option, emit
from tocsin.contacts import commands as contacts
from tocsin.contacts.queries import get_number
from tocsin.contacts.verify import confirm_for_number, issue_for_number
from tocsin.core.actors import Actor
from tocsin.core.config import Settings
from tocsin.db.engine import Database
from tocsin.endpoints import commands as endpoints
from tocsin.endpoints.queries import find_route
from tocsin.intake.receive import receive_alert
from tocsin.migrations.upgrade import upgrade
from tocsin.numbers.verification import Channel, Requester
from tocsin.organizations import registration
from tocsin.paging.models import AttemptStatus, CallAttempt
from tocsin.runtime import Runtime

GOAL_CPU_MS = 4.0
GOAL_CALLS_PER_SECOND = 200.0
SETTLED = [status.value for status in AttemptStatus if status.is_final]


def number(index: int) -> str:
    return f"+4474008{index:05d}"


@dataclass(frozen=True)
class Figures:
    calls: int
    cpu_seconds: float
    wall_seconds: float

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds / self.calls * 1000

    @property
    def per_second(self) -> float:
        return self.calls / self.wall_seconds


# Tocsin's worker ----------------------------------------------------------------------------


def open_runtime(workdir: Path, database_url: str) -> Runtime:
    settings: dict[str, Any] = {
        **uncapped_settings(workdir),
        "database_url": database_url,
        "data_dir": workdir / f"data-{secrets.token_hex(3)}",
        "secret_key": secrets.token_urlsafe(48),
        "simulator_record_audio": False,
        "voice_throttle": "",
        "bundle_calls": False,
    }
    runtime = Runtime.from_settings(Settings(**settings))
    upgrade(runtime.database)
    return runtime


def set_up(runtime: Runtime, count: int) -> tuple[str, list[str]]:
    """An organization with `count` endpoints, each calling a verified number of its own;
    returns (organization id, endpoint ids)."""
    now = runtime.clock.now()
    with runtime.database.write() as session:
        registered = registration.register(
            session,
            runtime,
            email=f"bench-{secrets.token_hex(4)}@example.com",
            password=secrets.token_urlsafe(16),
            display_name="",
            organization_name="Benchmark",
            country="GB",
            invite_code=None,
            ip_address=None,
            user_agent=None,
            now=now,
        )
        if registered is None:
            raise SystemExit("could not sign up the benchmark's owner")
        org_id, owner = registered.organization.id, Actor("user", registered.user.id)
    endpoint_ids = []
    for index in range(count):
        with runtime.database.write() as session:
            contact_id = contacts.create_contact(
                session,
                org_id=org_id,
                name=f"On call {index}",
                phone=number(index),
                region=None,
                actor=owner,
                now=now,
                billing=runtime.billing,
                sanctioned_regions=runtime.settings.sanctioned_region_set(),
            ).id
            verify(runtime, session, org_id, contact_id, owner)
            endpoint_ids.append(
                endpoints.create_endpoint(
                    session,
                    org_id=org_id,
                    name=f"Service {index}",
                    actor=owner,
                    now=now,
                    billing=runtime.billing,
                    require_key=False,
                    routing="primary",
                    contact_ids=[contact_id],
                    rules=[],
                    template=None,
                ).id
            )
    return org_id, endpoint_ids


def verify(runtime: Runtime, session: Any, org_id: str, contact_id: str, owner: Actor) -> None:
    """The owner types back the code: consent recorded, no verification call placed."""
    contact = get_number(session, org_id=org_id, contact_id=contact_id)
    pending = issue_for_number(
        session,
        runtime,
        contact=contact,
        channel=Channel.CALL,
        requester=Requester(owner),
        now=runtime.clock.now(),
    )
    confirm_for_number(
        session,
        runtime,
        contact=contact,
        code=pending.issued.code,
        verification_id=pending.issued.verification.id,
        actor=owner,
        user_agent=None,
        now=runtime.clock.now(),
    )


def fire(runtime: Runtime, endpoint_ids: list[str], title: str) -> None:
    """One alert per endpoint, as the webhook route accepts it: its call job is due now."""
    for endpoint_id in endpoint_ids:
        with runtime.database.write() as session:
            route = find_route(session, endpoint_id)
            if route is None:
                raise SystemExit(f"endpoint {endpoint_id} is gone")
            receive_alert(
                session,
                endpoint=route,
                body=f'{{"title": "{title}", "severity": "critical"}}'.encode(),
                content_type="application/json",
                query=[],
                form=None,
                actor=Actor("api_key", "benchmark"),
                key_id=None,
                now=runtime.clock.now(),
                limiter=runtime.rate_limiter,
                paging=runtime.paging,
            )


def settled_calls(runtime: Runtime) -> int:
    with runtime.database.read() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(CallAttempt).where(CallAttempt.status.in_(SETTLED))
            )
            or 0
        )


class ThreadProfiles:
    """cProfile of the event loop's thread and of the database work it hands to other threads
    (a profiler sees only the thread that enabled it), merged into one set of stats."""

    def __init__(self) -> None:
        self.main = cProfile.Profile()
        self._threads: list[cProfile.Profile] = []
        self._local = threading.local()

    def watch(self, database: Database) -> None:
        """Profile every piece of work `database.off_loop` and `off_loop_urgent` run, on its
        thread's profiler."""
        database.off_loop = self._profiled(database.off_loop)  # type: ignore[method-assign]
        database.off_loop_urgent = self._profiled(  # type: ignore[method-assign]
            database.off_loop_urgent
        )

    def _profiled(self, off_loop: Callable[..., Any]) -> Callable[..., Any]:
        async def profiled(work: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
            return await off_loop(self._run, work, *args, **kwargs)

        return profiled

    def _run(self, work: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        profile: cProfile.Profile | None = getattr(self._local, "profile", None)
        if profile is None:
            profile = self._local.profile = cProfile.Profile()
            self._threads.append(profile)
        profile.enable()
        try:
            return work(*args, **kwargs)
        finally:
            profile.disable()

    def dump(self, path: Path) -> None:
        stats = pstats.Stats(self.main)
        for profile in self._threads:
            stats.add(profile)
        stats.dump_stats(path)


def run_worker(runtime: Runtime, profiles: ThreadProfiles | None) -> Figures:
    """Run the worker until nothing is due; every call it placed is counted."""
    worker = runtime.build_worker()
    before = settled_calls(runtime)
    if profiles is not None:
        profiles.watch(runtime.database)
        profiles.main.enable()
    cpu, wall = time.process_time(), time.perf_counter()
    asyncio.run(worker.run_until_idle())
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if profiles is not None:
        profiles.main.disable()
    return Figures(settled_calls(runtime) - before, cpu, wall)


def measure_tocsin(
    workdir: Path, database_url: str, args: argparse.Namespace, profiles: ThreadProfiles | None
) -> Figures:
    runtime = open_runtime(workdir, database_url)
    try:
        _, endpoint_ids = set_up(runtime, args.calls)
        fire(runtime, endpoint_ids[: args.warmup], "warm-up")
        run_worker(runtime, None)
        fire(runtime, endpoint_ids, "timed")
        figures = run_worker(runtime, profiles)
        if figures.calls != args.calls:
            raise SystemExit(f"{args.calls} calls were due, {figures.calls} were settled")
        return figures
    finally:
        runtime.database.dispose()


# The reference: the irreducible work per call in raw SQL ------------------------------------

_REFERENCE_TABLES = [
    "CREATE TABLE bench_jobs (id TEXT PRIMARY KEY, to_number TEXT NOT NULL, "
    "status TEXT NOT NULL, run_at TIMESTAMP NOT NULL, lease_owner TEXT)",
    "CREATE INDEX bench_jobs_due ON bench_jobs (status, run_at)",
    "CREATE TABLE bench_attempts (id TEXT PRIMARY KEY, job_id TEXT NOT NULL, "
    "idempotency_key TEXT NOT NULL UNIQUE, status TEXT NOT NULL, "
    "sending_deadline TIMESTAMP NOT NULL, ended_at TIMESTAMP)",
]


class RawConnection:
    """One DBAPI connection, with the statements written once in qmark style."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self.postgres = url.drivername.startswith("postgresql")
        if self.postgres:
            self.connection: Any = psycopg.connect(
                url.set(drivername="postgresql").render_as_string(hide_password=False)
            )
        else:
            self.connection = sqlite3.connect(url.database or "", isolation_level=None)
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA synchronous=NORMAL")
        self.cursor = self.connection.cursor()

    def begin(self) -> None:
        if not self.postgres:
            self.cursor.execute("BEGIN IMMEDIATE")

    def execute(self, statement: str, parameters: tuple[Any, ...] = ()) -> Any:
        if self.postgres:
            statement = statement.replace("?", "%s")
        return self.cursor.execute(statement, parameters)

    def commit(self) -> None:
        if self.postgres:
            self.connection.commit()
        else:
            self.cursor.execute("COMMIT")

    def close(self) -> None:
        self.connection.close()


def measure_reference(database_url: str, calls: int, warmup: int) -> Figures:
    raw = RawConnection(database_url)
    try:
        raw.begin()
        for statement in _REFERENCE_TABLES:
            raw.execute(statement)
        raw.commit()
        place = _place_call(raw)
        _queue(raw, warmup, "w")
        for _ in range(warmup):
            place()
        _queue(raw, calls, "t")
        cpu, wall = time.process_time(), time.perf_counter()
        placed = sum(place() for _ in range(calls))
        return Figures(placed, time.process_time() - cpu, time.perf_counter() - wall)
    finally:
        raw.close()


def _queue(raw: RawConnection, count: int, prefix: str) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    raw.begin()
    for index in range(count):
        raw.execute(
            "INSERT INTO bench_jobs (id, to_number, status, run_at) VALUES (?, ?, 'pending', ?)",
            (f"{prefix}{index}", number(index), now),
        )
    raw.commit()


_CLAIM = (
    "UPDATE bench_jobs SET status = 'leased', lease_owner = 'bench' WHERE id = "
    "(SELECT id FROM bench_jobs WHERE status = 'pending' AND run_at <= ? "
    "ORDER BY run_at LIMIT 1) RETURNING id, to_number"
)
_CLAIM_SKIPPING_LOCKED = _CLAIM.replace("LIMIT 1)", "LIMIT 1 FOR UPDATE SKIP LOCKED)")


def _place_call(raw: RawConnection) -> Callable[[], int]:
    claim = _CLAIM_SKIPPING_LOCKED if raw.postgres else _CLAIM

    def place() -> int:
        now = datetime.now(UTC).replace(tzinfo=None)
        raw.begin()
        job_id, _to_number = raw.execute(claim, (now,)).fetchone()
        attempt_id = f"att{secrets.token_hex(8)}"
        raw.execute(
            "INSERT INTO bench_attempts (id, job_id, idempotency_key, status, sending_deadline) "
            "VALUES (?, ?, ?, 'sending', ?)",
            (attempt_id, job_id, f"{job_id}/1", now + timedelta(seconds=45)),
        )
        raw.commit()
        # The provider is asked to dial here, outside any transaction.
        raw.begin()
        raw.execute(
            "UPDATE bench_attempts SET status = 'answered', ended_at = ? WHERE id = ?",
            (now, attempt_id),
        )
        raw.execute(
            "UPDATE bench_jobs SET status = 'done', lease_owner = NULL WHERE id = ?", (job_id,)
        )
        raw.commit()
        return 1

    return place


# Report -------------------------------------------------------------------------------------


def results_for(backend: str, tocsin: Figures, reference: Figures) -> list[Result]:
    note = f"{backend}, {tocsin.calls} calls"
    return [
        Result(
            benchmark="worker",
            metric="worker CPU ms per simulated call",
            goal=f"≤ {GOAL_CPU_MS:g} ms",
            tocsin=tocsin.cpu_ms,
            unit="ms",
            reference=reference.cpu_ms,
            reference_name="raw SQL claim, attempt, settle",
            ratio=reference.cpu_ms / tocsin.cpu_ms,
            met=tocsin.cpu_ms <= GOAL_CPU_MS,
            note=note,
        ),
        Result(
            benchmark="worker",
            metric="simulated calls/s per worker process",
            goal=f"≥ {GOAL_CALLS_PER_SECOND:g}/s",
            tocsin=tocsin.per_second,
            unit="/s",
            reference=reference.per_second,
            reference_name="raw SQL claim, attempt, settle",
            ratio=tocsin.per_second / reference.per_second,
            met=tocsin.per_second >= GOAL_CALLS_PER_SECOND,
            note=note,
        ),
    ]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL server to also run on")
    parser.add_argument("--calls", type=int, default=300, help="timed calls per backend")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--profile", type=Path, help="write cProfile stats of each timed run")
    parser.add_argument("--skip-sqlite", action="store_true", help="only the PostgreSQL run")
    add_results_option(parser)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    backends: list[str | None] = [] if args.skip_sqlite else [None]
    if args.database_url:
        backends.append(args.database_url)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="tocsin-worker-") as tmp:
        workdir = Path(tmp)
        for server_url in backends:
            profiles = ThreadProfiles() if args.profile else None
            with throwaway_database(server_url, workdir) as (url, description):
                backend = description.split(" ")[0]
                print(f"{backend}: setting up {args.calls} numbers and endpoints ...", flush=True)
                tocsin = measure_tocsin(workdir, url, args, profiles)
            with throwaway_database(server_url, workdir) as (url, _):
                reference = measure_reference(url, args.calls, args.warmup)
            print(
                f"{backend}: worker {tocsin.cpu_ms:.2f} ms CPU, "
                f"{tocsin.wall_seconds / tocsin.calls * 1000:.2f} ms wall a call; "
                f"reference {reference.cpu_ms:.3f} ms CPU, "
                f"{reference.wall_seconds / reference.calls * 1000:.3f} ms wall a call",
                flush=True,
            )
            if profiles is not None:
                path = args.profile.with_name(f"{args.profile.stem}-{backend.lower()}.prof")
                profiles.dump(path)
                print(f"{backend}: profile written to {path}")
            results += results_for(backend, tocsin, reference)
    emit(results, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
