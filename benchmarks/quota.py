"""What counting a call against its caps costs, and what a rate-limit check costs.

Quota: each call is counted by `count_call` (an INSERT ... ON CONFLICT DO NOTHING of the two
counter rows and two conditional UPDATEs) in the transaction that writes its attempt. Measured
against the same write transaction doing nothing else (the baseline), on SQLite and, with
--database-url, on a throwaway PostgreSQL database; then with 8 threads counting at once for one
organization (they queue on its counter rows) and for 8 organizations (they do not).

Rate limits: one `RateLimiter.hit` (a moving window) in memory and in Redis, against a Python
dict increment (the baseline).

    .venv/bin/python benchmarks/quota.py [--database-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from harness import throwaway_database
from tocsin.accounts.models import Organization
from tocsin.billing.usage import Counted, count_call
from tocsin.core.ratelimit import Limits, RateLimiter, parse_rate_limits
from tocsin.db.engine import Database
from tocsin.migrations.upgrade import upgrade
from tocsin.policy.quota import CallCaps, periods_at

CAPS = CallCaps(monthly_calls=10**9, daily_calls=10**9, monthly_spend_cents=10**9, cost_cents=2)
PERIODS = periods_at(datetime(2026, 12, 1, 12, tzinfo=UTC), "UTC")


def per_op_us(work: Callable[[], None], count: int) -> float:
    """Median of five runs of `count` operations, in microseconds per operation."""
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(count):
            work()
        runs.append((time.perf_counter() - started) / count * 1e6)
    return statistics.median(runs)


def make_orgs(database: Database, count: int, prefix: str) -> list[str]:
    now = datetime.now(UTC)
    ids = [f"org_{prefix}{n:04d}" for n in range(count)]
    with database.write() as session:
        for org_id in ids:
            session.add(Organization(id=org_id, name=org_id, slug=org_id, created_at=now))
    return ids


def quota_figures(url: str, description: str, count: int) -> None:
    database = Database(url)
    upgrade(database)
    [org] = make_orgs(database, 1, "single")

    def empty_transaction() -> None:
        with database.write() as session:
            session.execute(text("SELECT 1"))

    def counted() -> None:
        with database.write() as session:
            result = count_call(session, org_id=org, caps=CAPS, periods=PERIODS)
            assert isinstance(result, Counted)

    baseline = per_op_us(empty_transaction, count)
    quota = per_op_us(counted, count)
    print(
        f"{description:<12} write transaction {baseline:8.0f} us   with count_call "
        f"{quota:8.0f} us   ratio {quota / baseline:4.2f}   (+{quota - baseline:.0f} us a call)"
    )
    if database.is_postgres:
        threads_figures(database, count)
    database.dispose()


def threads_figures(database: Database, count: int) -> None:
    orgs = make_orgs(database, 8, "threads")

    def rate(targets: list[str]) -> float:
        barrier = threading.Barrier(len(targets) + 1)

        def work(org_id: str) -> None:
            barrier.wait()
            for _ in range(count):
                with database.write() as session:
                    count_call(session, org_id=org_id, caps=CAPS, periods=PERIODS)

        threads = [threading.Thread(target=work, args=(org_id,)) for org_id in targets]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        return len(targets) * count / (time.perf_counter() - started)

    spread = rate(orgs)
    one = rate([orgs[0]] * len(orgs))
    print(
        f"{'':<12} 8 threads: 8 organizations {spread:6.0f} calls/s, one organization "
        f"{one:6.0f} calls/s (ratio {one / spread:4.2f})"
    )


def limiter_figures(count: int, redis_url: str) -> None:
    limits = {Limits.INGEST_KEY: parse_rate_limits("1000000000/minute")}
    counts: dict[str, int] = {}

    def dict_increment() -> None:
        counts["key"] = counts.get("key", 0) + 1

    baseline = per_op_us(dict_increment, count)
    memory = RateLimiter(limits)
    in_memory = per_op_us(lambda: memory.hit(Limits.INGEST_KEY, "key"), count)
    print(f"{'limits':<12} dict increment {baseline:6.2f} us   memory hit {in_memory:7.1f} us")
    redis = RateLimiter.from_url(limits, redis_url, namespace=f"bench-{time.time_ns()}")
    try:
        in_redis = per_op_us(lambda: redis.hit(Limits.INGEST_KEY, "key"), count // 10)
    except Exception as exc:  # no Redis here: say so and carry on
        print(f"{'':<12} Redis at {redis_url}: {exc}")
        return
    print(
        f"{'':<12} Redis hit {in_redis:7.1f} us "
        f"({in_redis / in_memory:4.1f}x memory; a webhook takes a few ms)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL server for a throwaway database")
    parser.add_argument("--count", type=int, default=300, help="operations per timed run")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    print(f"Counting a call: median of 5 runs of {args.count}, caps never reached")
    backends: list[str | None] = [None] + ([args.database_url] if args.database_url else [])
    with tempfile.TemporaryDirectory(prefix="tocsin-quota-") as tmp:
        for server_url in backends:
            with throwaway_database(server_url, Path(tmp)) as (url, description):
                quota_figures(url, description.split(" ")[0], args.count)
    print()
    limiter_figures(args.count * 10, args.redis_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
