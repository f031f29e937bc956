"""`make bench`: every benchmark, one table (metric | goal | Tocsin | reference | ratio | met),
kept as JSON under artifacts/.

    python benchmarks/run_all.py [--database-url postgresql://postgres@127.0.0.1:5432/test]
                                 [--only ingest,delivery,...] [--quick]

Each benchmark is a script of its own that measures Tocsin beside a reference in the same run
and appends its rows to one results file (benchmarks/results.py); this runs them one after
another, so none competes with another for the CPU, and notes the machine's load before and
after, since every figure is only as quiet as the machine was. PostgreSQL rows are measured
when --database-url (or TOCSIN_BENCH_DATABASE_URL) names a server that answers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from results import load, table

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent / "artifacts"


def _postgres_answers(url: str | None) -> bool:
    if not url:
        return False
    try:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except SQLAlchemyError:
        return False
    return True


def plan(args: argparse.Namespace, postgres: str | None) -> list[tuple[str, list[str]]]:
    """(name, script and its arguments) for every benchmark, in the order they run."""
    quick = args.quick
    ingest = ["ingest.py", "--no-worker", "--requests", "1000" if quick else "3000"]
    runs = [("ingest", ingest)]
    if postgres:
        runs.append(("ingest", [*ingest, "--database-url", postgres]))
    delivery = ["delivery.py", "--rate", "50", "--latency-alerts", "150" if quick else "500"]
    delivery += ["--storm", "2000" if quick else "10000", "--storm-seconds", "2" if quick else "10"]
    runs.append(("delivery", [*delivery, *(["--database-url", postgres] if postgres else [])]))
    runs.append(("worker", ["worker.py", *(["--database-url", postgres] if postgres else [])]))
    runs.append(("screening", ["screening.py", "--passes", "5" if quick else "20"]))
    runs.append(("startup", ["startup.py"]))
    runs.append(("sip", ["sip_calls.py", "--calls", "400,800", "--keep-going"]))
    wanted = set(args.only.split(",")) if args.only else None
    return [(name, command) for name, command in runs if wanted is None or name in wanted]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "TOCSIN_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
        help="PostgreSQL server for the PostgreSQL rows ('' for none)",
    )
    parser.add_argument("--only", help="comma-separated benchmark names (ingest, delivery, ...)")
    parser.add_argument("--quick", action="store_true", help="smaller loads, for a first look")
    args = parser.parse_args()
    postgres = args.database_url if _postgres_answers(args.database_url) else None
    if args.database_url and postgres is None:
        print(f"PostgreSQL at {args.database_url} does not answer: SQLite rows only")

    ARTIFACTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    rows_file = ARTIFACTS / f"bench-{stamp}.rows.json"
    load_before = os.getloadavg()
    started = time.monotonic()
    failed: list[str] = []
    for name, command in plan(args, postgres):
        script = HERE / command[0]
        if not script.exists():
            failed.append(f"{name}: {command[0]} is missing")
            continue
        print(f"\n=== {name}: {' '.join(command)}", flush=True)
        done = subprocess.run(
            [sys.executable, str(script), *command[1:], "--results", str(rows_file)],
            cwd=HERE,
            check=False,
        )
        if done.returncode != 0:
            failed.append(f"{name}: {' '.join(command)} exited {done.returncode}")
    load_after = os.getloadavg()
    results = load(rows_file) if rows_file.exists() else []
    rows_file.unlink(missing_ok=True)

    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    print(f"\n## make bench, {stamp} ({machine}; {time.monotonic() - started:.0f} s)\n")
    print(table(results))
    for failure in failed:
        print(f"FAILED {failure}")
    report = ARTIFACTS / f"bench-{stamp}.json"
    report.write_text(
        json.dumps(
            {
                "at": stamp,
                "machine": machine,
                "postgresql": postgres is not None,
                "results": [asdict(result) for result in results],
                "failed": failed,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nkept as {report.relative_to(HERE.parent)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
