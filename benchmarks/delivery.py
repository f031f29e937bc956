"""Delivery: how soon a webhook becomes a dial, and how an alert storm drains.

    python benchmarks/delivery.py
    python benchmarks/delivery.py --database-url postgresql://postgres@127.0.0.1:5432/test

1. Webhook-to-dial latency. `tocsin serve` with its in-process worker (and, on PostgreSQL, also
   `tocsin serve --no-worker` with one `tocsin worker` process, woken by LISTEN/NOTIFY) gets
   --latency-alerts webhooks, paced at --rate per second, spread over --endpoints endpoints that
   each call their own number. Throttles are off here, so every alert dials at once. The
   latency is from the moment the client sent the webhook to the moment the simulator was asked
   to dial (its dials.log, same machine, same clock). The baseline in the same run is the time
   the same webhooks took to get their 202: the dial latency over it is what the engine adds.
   Then the same again (on PostgreSQL with the worker process) for ten seconds of
   --duplicate-storm-alert-rate distinct alerts a second on a fifth of the endpoints, while
   --duplicate-rate webhooks a second repeat one open alert on each of the other endpoints:
   calls come before duplicates.

2. An alert storm: --storm webhooks offered in --storm-seconds over the endpoints, each
   endpoint cycling through --distinct alert titles, so most are repeats that deduplicate.
   Default throttles on, every callee presses 1. Reported: how fast they were taken, the time
   until the engine has nothing due (every call placed or held by a throttle), calls placed,
   calls held and until when, and the loss check: every webhook answered 202 is an alert or a
   repeat counted on one, and every alert has its escalation and call. The baseline is the same
   storm against a bare Starlette app.

SQLite always runs; PostgreSQL too when --database-url names a server (a throwaway database is
created on it and dropped). The simulator writes no audio. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
    percentile_ms,
    throwaway_database,
    tocsin_command,
    tocsin_json,
    uncapped_settings,
)
from results import Result, add_results_option, emit
from tocsin.audit.actions import AuditAction
from tocsin.audit.models import AuditEvent
from tocsin.db.engine import Database
from tocsin.paging.models import Alert, AttemptStatus, CallAttempt, CallJob, Escalation, JobStatus
from tocsin.telephony.simulator import code_heard

NOT_PLACED = ("not_placed", "blocked", "cancelled")
SETTLED = [status.value for status in AttemptStatus if status.is_final]
OPEN_JOBS = (JobStatus.PENDING.value, JobStatus.LEASED.value, JobStatus.AWAITING.value)


def number(index: int) -> str:
    return f"+4474007{index:05d}"


@dataclass(frozen=True)
class Installation:
    workdir: Path
    database_url: str
    env: dict[str, str]
    endpoint_ids: list[str]
    ingest_key: str


def install(workdir: Path, database_url: str, endpoints: int, **settings: str) -> Installation:
    data_dir = workdir / f"data-{secrets.token_hex(3)}"
    env = child_env(
        {
            "database_url": database_url,
            "data_dir": str(data_dir),
            "secret_key": secrets.token_urlsafe(48),
            "simulator_record_audio": "false",
            "host": HOST,
            **uncapped_settings(workdir),
            **settings,
        }
    )
    create_database(env, workdir)
    org = tocsin_json(["org", "create", "Benchmark", "--country", "GB"], env, workdir)["id"]
    write = tocsin_json(
        ["key", "create", "--org", org, "--scope", "read", "--scope", "write"], env, workdir
    )["key"]
    ingest = tocsin_json(["key", "create", "--org", org], env, workdir)["key"]
    # Contacts and endpoints go over HTTP: a CLI call is a whole Python start-up each.
    server = Server("setup", [*tocsin_command(), "serve", "--no-worker"], env, workdir)
    endpoint_ids = []
    try:
        server.wait_until_ready()
        with httpx.Client(
            base_url=f"http://{HOST}:{server.port}/v1/orgs/{org}",
            headers={"Authorization": f"Bearer {write}"},
            timeout=10,
        ) as api:
            for index in range(endpoints):
                contact = api.post(
                    "/contacts", json={"name": f"On call {index}", "phone": number(index)}
                )
                contact.raise_for_status()
                verify(api, Path(env["TOCSIN_DATA_DIR"]), contact.json()["id"])
                endpoint = api.post(
                    "/endpoints",
                    json={"name": f"Service {index}", "contact_ids": [contact.json()["id"]]},
                )
                endpoint.raise_for_status()
                endpoint_ids.append(endpoint.json()["id"])
    finally:
        server.stop()
    return Installation(workdir, database_url, env, endpoint_ids, ingest)


def start(installation: Installation, *, separate_worker: bool) -> list[Server]:
    """`tocsin serve`, with its worker in process or one `tocsin worker` beside it."""
    workdir, env = installation.workdir, installation.env
    serve = [*tocsin_command(), "serve", *(["--no-worker"] if separate_worker else [])]
    servers = [Server("tocsin", serve, env, workdir)]
    if separate_worker:
        servers.append(Server("worker", [*tocsin_command(), "worker"], env, workdir, port=False))
    servers[0].wait_until_ready()
    if separate_worker:
        servers[1].wait_for_log("started")
    return servers


def dials(installation: Installation) -> list[dict[str, Any]]:
    """Dial requests for alerts (verification calls left out)."""
    path = Path(installation.env["TOCSIN_DATA_DIR"]) / "simulator" / "dials.log"
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return [line for line in lines if not line["idempotency_key"].startswith("verify/")]


def verify(api: httpx.Client, data_dir: Path, contact_id: str) -> None:
    """Verify a contact's number the way its owner would; the simulated phone hears the code."""
    sent = api.post(f"/contacts/{contact_id}/verification")
    sent.raise_for_status()
    verification_id = sent.json()["verification_id"]
    confirmed = api.post(
        f"/contacts/{contact_id}/verification/confirm",
        json={"code": code_heard(data_dir, verification_id), "verification_id": verification_id},
    )
    confirmed.raise_for_status()


def _wait(condition: Any, timeout: float, interval: float = 0.2) -> float | None:
    """Seconds until condition() held, or None if it did not within timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(interval)
    return None


# 1. Latency ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Latency:
    label: str
    alerts: int
    ack: list[float]  # seconds to the 202, sorted
    dial: list[float]  # seconds to the dial request, sorted
    missing: int
    rate: float  # distinct alerts a second
    # Duplicates a second arriving meanwhile on other endpoints (0: none).
    duplicate_rate: float = 0.0


def measure_latency(
    workdir: Path,
    database_url: str,
    args: argparse.Namespace,
    *,
    separate_worker: bool,
    label: str,
    rate: float,
    alerts: int,
    duplicate_rate: float = 0.0,
) -> Latency:
    """Webhook-to-dial latency of distinct alerts at `rate` a second; with `duplicate_rate`,
    while that many repeats of a few open alerts a second arrive on the other endpoints."""
    installation = install(workdir, database_url, args.endpoints, voice_throttle="")
    servers = start(installation, separate_worker=separate_worker)
    database = Database(database_url)
    paths = [f"/v1/hooks/{e}" for e in installation.endpoint_ids]
    # With a storm, a fifth of the endpoints take the distinct alerts and the rest the repeats.
    measured_paths = paths[: max(1, len(paths) // 5)] if duplicate_rate else paths
    storm_paths = paths[len(measured_paths) :]
    try:

        def webhooks(
            to: list[str],
            name: str,
            requests: int,
            rate: float,
            *,
            concurrency: int = 8,
            distinct_titles: int = 0,
        ) -> LoadPlan:
            return LoadPlan(
                port=servers[0].port,
                paths=to,
                headers={"X-Alert-Key": installation.ingest_key},
                title_prefix=f"{name} {secrets.token_hex(3)}",
                requests=requests,
                warmup=0,
                concurrency=concurrency,
                time_limit=120,
                distinct_titles=distinct_titles,
                rate=rate,
            )

        def load(requests: int, rate: float) -> dict[str, Any]:
            return apply_load(webhooks(measured_paths, "latency", requests, rate))

        # Warm up (connections, caches, prepared statements), and let the worker finish those
        # calls, so the timed alerts do not queue behind them.
        warmup = load(50, 0)
        _wait(lambda: len(dials(installation)) >= len(warmup["alert_ids"]), timeout=120)
        storm: threading.Thread | None = None
        if duplicate_rate:
            # One title per endpoint: past each endpoint's first webhook, every one repeats
            # its open alert. It lasts as long as the measured alerts do.
            duplicates = int(duplicate_rate * alerts / rate)
            plan = webhooks(
                storm_paths,
                "duplicate",
                duplicates,
                duplicate_rate,
                concurrency=64,
                distinct_titles=1,
            )
            storm = threading.Thread(target=apply_load, args=(plan,), daemon=True)
            storm.start()
        raw = load(alerts, rate)
        if storm is not None:
            storm.join()
        measured = Measurement.of(label, raw)
        sent_at = {alert_id: at for alert_id, at, _ in measured.sent}
        expected = len(warmup["alert_ids"]) + len(raw["alert_ids"]) + len(storm_paths)
        _wait(lambda: len(dials(installation)) >= expected, timeout=120)
        job_alert = _job_alerts(database)
        carried_by = _carried_by(database)
        dialled = {}
        for dial in dials(installation):
            key = dial["idempotency_key"]
            at = datetime.fromisoformat(dial["at"]).astimezone(UTC).timestamp()
            # The call's own alert, and the alerts to the same number that rode along with it
            # (paging/bundles.py): each was dialled when this call was.
            for alert_id in [job_alert.get(key.split("/")[0]), *carried_by.get(key, [])]:
                if alert_id in sent_at and alert_id not in dialled:
                    dialled[alert_id] = at - sent_at[alert_id]
    finally:
        for server in reversed(servers):
            server.stop()
        database.dispose()
    return Latency(
        label=label,
        alerts=len(sent_at),
        ack=measured.latencies,
        dial=sorted(dialled.values()),
        missing=len(sent_at) - len(dialled),
        rate=rate,
        duplicate_rate=duplicate_rate,
    )


def _carried(session: Session) -> list[tuple[str, str]]:
    """(alert, attempt) for each alert that rode along on another alert's call to the same
    number (paging/bundles.py says so on the alert's timeline)."""
    events = session.execute(
        select(AuditEvent.target_id, AuditEvent.details).where(
            AuditEvent.action == AuditAction.CALL_CARRIED
        )
    )
    return [(alert_id, details["attempt_id"]) for alert_id, details in events if alert_id]


def _carried_by(database: Database) -> dict[str, list[str]]:
    """For each call (by idempotency key), the other alerts its call carried."""
    carried: dict[str, list[str]] = {}
    with database.read() as session:
        attempts: dict[str, str] = {
            attempt_id: key
            for attempt_id, key in session.execute(
                select(CallAttempt.id, CallAttempt.idempotency_key)
            )
        }
        for alert_id, attempt_id in _carried(session):
            key = attempts.get(attempt_id)
            if key is not None:
                carried.setdefault(key, []).append(alert_id)
    return carried


def _job_alerts(database: Database) -> dict[str, str]:
    with database.read() as session:
        return {job: alert for job, alert in session.execute(select(CallJob.id, CallJob.alert_id))}


# 2. The storm -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Storm:
    label: str
    tocsin: Measurement
    bare: Measurement
    drain_seconds: float | None
    alerts: int
    repeats: int
    calls_placed: int
    # Alerts read out in a placed call: their own, or another alert's to the same number.
    alerts_called: int
    calls_held: int
    # Minutes from the first webhook of the storm to the end of the longest throttle hold.
    held_for_minutes: float | None
    lost: int


def _nothing_due(database: Database) -> bool:
    now = datetime.now(UTC)
    with database.read() as session:
        due_jobs = count(
            session,
            select(func.count())
            .select_from(CallJob)
            .where(CallJob.status.in_(OPEN_JOBS), CallJob.run_at <= now),
        )
        leased = count(
            session,
            select(func.count()).select_from(CallJob).where(CallJob.status == JobStatus.LEASED),
        )
        ringing = count(
            session,
            select(func.count()).select_from(CallAttempt).where(CallAttempt.status.not_in(SETTLED)),
        )
        due_escalations = count(
            session,
            select(func.count())
            .select_from(Escalation)
            .where(Escalation.status == "active", Escalation.next_at <= now),
        )
    return due_jobs + leased + ringing + due_escalations == 0


def _storm_plan(port: int, paths: list[str], key: str, args: argparse.Namespace) -> LoadPlan:
    return LoadPlan(
        port=port,
        paths=paths,
        headers={"X-Alert-Key": key},
        title_prefix=f"storm {secrets.token_hex(3)}",
        requests=args.storm,
        warmup=0,
        concurrency=64,
        time_limit=300,
        distinct_titles=args.distinct,
        rate=args.storm / args.storm_seconds,
    )


def measure_storm(workdir: Path, database_url: str, args: argparse.Namespace, label: str) -> Storm:
    bare_server = Server("bare", bare_server_command(), child_env({}), workdir)
    try:
        bare_server.wait_until_ready()
        paths = [f"/v1/hooks/bare{i}" for i in range(args.endpoints)]
        bare = Measurement.of("bare", apply_load(_storm_plan(bare_server.port, paths, "", args)))
    finally:
        bare_server.stop()

    throttles = {} if args.storm_throttles else {"voice_throttle": ""}
    installation = install(workdir, database_url, args.endpoints, **throttles)
    servers = start(installation, separate_worker=False)
    database = Database(database_url)
    try:
        started, started_at = time.monotonic(), datetime.now(UTC)
        paths = [f"/v1/hooks/{e}" for e in installation.endpoint_ids]
        raw = apply_load(_storm_plan(servers[0].port, paths, installation.ingest_key, args))
        tocsin = Measurement.of("Tocsin", raw)
        drained = _wait(lambda: _nothing_due(database), timeout=args.drain_timeout, interval=0.1)
        drain_seconds = None if drained is None else time.monotonic() - started
        figures = _storm_figures(database, tocsin, started_at)
    finally:
        servers[0].stop()
        database.dispose()
    return Storm(label, tocsin, bare, drain_seconds, **figures)


def _storm_figures(database: Database, tocsin: Measurement, started_at: datetime) -> dict[str, Any]:
    answered = len(tocsin.alert_ids)
    alert_ids = sorted(set(tocsin.alert_ids))
    with database.read() as session:
        alerts = repeats = paged = 0
        for chunk in chunks(alert_ids):
            alerts += count(session, select(func.count()).where(Alert.id.in_(chunk)))
            repeats += count(
                session,
                select(func.coalesce(func.sum(Alert.repeat_count), 0)).where(Alert.id.in_(chunk)),
            )
            paged += count(
                session,
                select(func.count(func.distinct(Escalation.alert_id))).where(
                    Escalation.alert_id.in_(chunk)
                ),
            )
        placed = count(
            session,
            select(func.count())
            .select_from(CallAttempt)
            .where(CallAttempt.status.not_in(NOT_PLACED)),
        )
        # An alert is called by a call of its own or by riding along on another alert's call
        # to the same number (paging/bundles.py).
        called = set(
            session.scalars(
                select(CallAttempt.alert_id).where(CallAttempt.status.not_in(NOT_PLACED))
            )
        )
        placed_attempts = set(
            session.scalars(select(CallAttempt.id).where(CallAttempt.status.not_in(NOT_PLACED)))
        )
        called.update(
            alert_id for alert_id, attempt_id in _carried(session) if attempt_id in placed_attempts
        )
        held = session.execute(
            select(func.count(), func.max(CallJob.held_until)).where(
                CallJob.status == JobStatus.PENDING, CallJob.held_until.is_not(None)
            )
        ).one()
        with_calls = count(session, select(func.count(func.distinct(CallJob.alert_id))))
    # Every 202 is a new alert or a repeat counted on one, and every alert is being paged.
    unaccounted = answered - (alerts + repeats)
    unpaged = alerts - min(paged, with_calls)
    return {
        "alerts": alerts,
        "repeats": repeats,
        "calls_placed": placed,
        "alerts_called": len(called),
        "calls_held": int(held[0]),
        "held_for_minutes": (held[1] - started_at).total_seconds() / 60 if held[1] else None,
        "lost": unaccounted + unpaged,
    }


# Report -------------------------------------------------------------------------------------


def _row(cells: list[str]) -> str:
    name, *figures = cells
    return name.ljust(62) + "".join(figure.rjust(11) for figure in figures)


def report_latency(results: list[Latency]) -> None:
    print("1. Webhook to dial (throttles off; paced load)")
    print(_row(["", "alerts", "202 p50", "202 p99", "dial p50", "dial p99", "p50 x", "p99 x"]))
    for r in results:
        ack50, ack99 = percentile_ms(r.ack, 50), percentile_ms(r.ack, 99)
        dial50, dial99 = percentile_ms(r.dial, 50), percentile_ms(r.dial, 99)
        print(
            _row(
                [
                    f"{r.label}, {r.rate:g}/s"
                    + (f" + {r.duplicate_rate:g} duplicates/s" if r.duplicate_rate else ""),
                    str(r.alerts),
                    f"{ack50:.1f} ms",
                    f"{ack99:.1f} ms",
                    f"{dial50:.1f} ms",
                    f"{dial99:.1f} ms",
                    f"{dial50 / ack50:.1f}",
                    f"{dial99 / ack99:.1f}",
                ]
            )
        )
        if r.missing:
            print(f"   {r.missing} alerts were never dialled")
    print("   (x: dial latency over the 202 latency of the same webhooks)\n")


def report_storm(storm: Storm) -> None:
    t, b = storm.tocsin, storm.bare
    print(f"2. Alert storm on {storm.label}")
    print(
        f"   offered {t.requests} webhooks; Tocsin took them in {t.seconds:.1f} s "
        f"({t.throughput:.0f}/s, 202 p50 {t.percentile_ms(50):.0f} ms, p99 "
        f"{t.percentile_ms(99):.0f} ms); bare Starlette {b.seconds:.1f} s ({b.throughput:.0f}/s, "
        f"p99 {b.percentile_ms(99):.1f} ms); throughput ratio {t.throughput / b.throughput:.2f}"
    )
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(t.outcomes.items()))
    print(f"   outcomes: {outcomes}; errors: {len(t.errors)}")
    drained = "did not drain" if storm.drain_seconds is None else f"{storm.drain_seconds:.1f} s"
    print(f"   time from the first webhook until nothing was due: {drained}")
    held = (
        f" for now, until {storm.held_for_minutes:.1f} min after the first webhook "
        "(each then waits its turn: 1 call a minute per number)"
        if storm.held_for_minutes is not None
        else ""
    )
    print(
        f"   {storm.alerts} alerts ({storm.repeats} repeats deduplicated); "
        f"{storm.calls_placed} calls placed, reading {storm.alerts_called} alerts, "
        f"{storm.calls_held} held by throttles{held}"
    )
    print(f"   loss check: {'none lost' if storm.lost == 0 else f'{storm.lost} LOST'}\n")


def results(
    args: argparse.Namespace, latencies: list[Latency], storms: list[Storm]
) -> list[Result]:
    """The issue-21 goals: webhook-to-dial p99 under 50 ms at 50 distinct alerts a second,
    and a storm's distinct alerts all dialled soon after its last webhook, none lost."""
    rows = []
    for latency in latencies:
        dial99, ack99 = percentile_ms(latency.dial, 99), percentile_ms(latency.ack, 99)
        during = (
            f", during {latency.duplicate_rate:g} duplicates/s" if latency.duplicate_rate else ""
        )
        limit = 100 if latency.duplicate_rate else 50
        rows.append(
            Result(
                "delivery",
                f"webhook-to-dial p99 at {latency.rate:g} alerts/s{during} ({latency.label})",
                f"< {limit} ms",
                dial99,
                "ms",
                ack99,
                "202 p99 of the same webhooks",
                dial99 / ack99,
                dial99 < limit and latency.missing == 0,
                note=f"{latency.missing} never dialled" if latency.missing else "",
            )
        )
    for storm in storms:
        backend = storm.label.split(" ")[0]
        after_last = (
            None if storm.drain_seconds is None else storm.drain_seconds - storm.tocsin.seconds
        )
        limit = 5.0 if backend == "SQLite" else 10.0
        throttled = "throttles on" if args.storm_throttles else "throttles off"
        rows += [
            Result(
                "delivery",
                f"storm: seconds from the last webhook until nothing due ({backend}, "
                f"{storm.tocsin.requests} webhooks in {args.storm_seconds:g} s, {throttled})",
                f"≤ {limit:g} s",
                after_last if after_last is not None else float("inf"),
                "s",
                met=after_last is not None and after_last <= limit,
            ),
            Result(
                "delivery",
                f"storm: distinct alerts called ({backend})",
                f"all {storm.alerts}",
                storm.alerts_called,
                "alerts",
                storm.alerts,
                "distinct alerts",
                storm.alerts_called / storm.alerts if storm.alerts else None,
                storm.alerts_called >= storm.alerts and not args.storm_throttles,
                note=f"in {storm.calls_placed} calls: a call reads every open alert of its number",
            ),
            Result(
                "delivery",
                f"storm: webhooks taken per second ({backend})",
                "report",
                storm.tocsin.throughput,
                "req/s",
                storm.bare.throughput,
                "bare Starlette, same storm",
                storm.tocsin.throughput / storm.bare.throughput,
            ),
            Result(
                "delivery",
                f"storm: alerts lost ({backend})",
                "0",
                storm.lost,
                "alerts",
                met=storm.lost == 0,
            ),
        ]
    return rows


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL server to also run on")
    parser.add_argument("--endpoints", type=int, default=50)
    parser.add_argument("--latency-alerts", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10.0, help="latency webhooks per second")
    parser.add_argument("--storm", type=int, default=10_000)
    parser.add_argument("--storm-seconds", type=float, default=10.0)
    parser.add_argument("--distinct", type=int, default=5, help="alert titles per endpoint")
    parser.add_argument("--drain-timeout", type=float, default=300.0)
    parser.add_argument("--skip-storm", action="store_true")
    parser.add_argument(
        "--duplicate-rate",
        type=float,
        default=1000.0,
        help="duplicates a second during the last latency run (0: no such run)",
    )
    parser.add_argument(
        "--duplicate-storm-alert-rate",
        type=float,
        default=10.0,
        help="distinct alerts a second measured during the duplicate storm",
    )
    parser.add_argument(
        "--storm-throttles",
        action="store_true",
        help="keep the default per-number throttles in the storm (off: every alert dials)",
    )
    add_results_option(parser)
    return parser.parse_args()


@dataclass(frozen=True)
class LatencyRun:
    separate_worker: bool
    rate: float
    alerts: int
    duplicate_rate: float = 0.0


def latency_runs(args: argparse.Namespace, *, postgres: bool) -> list[LatencyRun]:
    """In-process worker; on PostgreSQL also a worker process; then (with the worker process
    on PostgreSQL) ten seconds of distinct alerts during a duplicate storm."""
    runs = [LatencyRun(False, args.rate, args.latency_alerts)]
    if postgres:
        runs.append(LatencyRun(True, args.rate, args.latency_alerts))
    if args.duplicate_rate:
        alerts = int(10 * args.duplicate_storm_alert_rate)
        runs.append(
            LatencyRun(postgres, args.duplicate_storm_alert_rate, alerts, args.duplicate_rate)
        )
    return runs


def main() -> int:
    args = parse_args()
    backends: list[str | None] = [None] + ([args.database_url] if args.database_url else [])
    latencies: list[Latency] = []
    storms: list[Storm] = []
    with tempfile.TemporaryDirectory(prefix="tocsin-delivery-") as tmp:
        workdir = Path(tmp)
        for server_url in backends:
            for run in latency_runs(args, postgres=server_url is not None):
                with throwaway_database(server_url, workdir) as (url, description):
                    backend = description.split(" ")[0]
                    process = "serve + worker process" if run.separate_worker else "serve+worker"
                    latencies.append(
                        measure_latency(
                            workdir,
                            url,
                            args,
                            separate_worker=run.separate_worker,
                            label=f"{backend}, {process}",
                            rate=run.rate,
                            alerts=run.alerts,
                            duplicate_rate=run.duplicate_rate,
                        )
                    )
            if not args.skip_storm:
                with throwaway_database(server_url, workdir) as (url, description):
                    storms.append(measure_storm(workdir, url, args, description))
    report_latency(latencies)
    for storm in storms:
        report_storm(storm)
    emit(results(args, latencies, storms), args.results)
    failed = any(r.missing for r in latencies) or any(s.lost for s in storms)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
