"""Start-up time and idle memory of the `tocsin` command, against references measured in the
same run.

    python benchmarks/startup.py [--runs 5] [--settle 2] [--results PATH]

- `tocsin --help` and `tocsin screen NUMBER` (one allowed mobile number): wall seconds of the
  whole process, from start to exit. Reference: `python -c pass` on the same interpreter, the
  floor any Python command pays.
- `tocsin serve`: seconds from starting the process to the first 200 from GET /healthz, and its
  resident memory (VmRSS) --settle seconds after that answer. It serves as it does by default
  (the delivery worker in the same process, calls through the simulator) from a SQLite database
  in a temporary home, made by `tocsin db upgrade` first, so the counted starts are restarts
  of an installed server. Reference: a bare Starlette app on the same uvicorn
  (harness.bare_server_command); that process also holds what harness.py imports (httpx,
  SQLAlchemy), so its memory is a little above a truly bare app's.

Tocsin's own modules are compiled to bytecode first (`compileall` on the package, as pip does
when it installs a wheel): a source tree run where PYTHONDONTWRITEBYTECODE is set never keeps
its .pyc files, and every start would compile all of Tocsin again, which no installed server
does. Nothing else of the environment is changed.

Every figure is the median of --runs runs after one unmeasured run (the time rows also note CPU
seconds, steadier than wall time on a shared machine: a CLI command's whole, the server
process's own up to its first 200, its template workers' not counted); the goals are absolute
(seconds, MiB) and the reference stands beside them so a slow machine can be told from a slow
Tocsin. Only 127.0.0.1 is used; every wait is bounded.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

import tocsin
from harness import (
    HOST,
    START_TIMEOUT_SECONDS,
    Server,
    bare_server_command,
    child_env,
    tocsin_command,
)
from results import Result, add_results_option, emit

BENCHMARK = "startup"
# A valid UK mobile number: screening allows it, so the command exits 0.
ALLOWED_NUMBER = "+447400123456"
POLL_SECONDS = 0.01


@dataclass(frozen=True)
class Goal:
    metric: str
    limit: float
    unit: str
    # The time goals are "under"; the memory goal is "at most".
    inclusive: bool = False

    @property
    def text(self) -> str:
        return f"{'<=' if self.inclusive else '<'} {self.limit:g} {self.unit}"

    def met_by(self, value: float) -> bool:
        return value <= self.limit if self.inclusive else value < self.limit


HELP_GOAL = Goal("`tocsin --help`", 0.3, "s")
SCREEN_GOAL = Goal(f"`tocsin screen {ALLOWED_NUMBER}`", 0.6, "s")
SERVE_GOAL = Goal("`tocsin serve` to first 200", 1.5, "s")
RSS_GOAL = Goal("`tocsin serve` idle RSS", 100.0, "MiB", inclusive=True)


@dataclass(frozen=True)
class Run:
    wall: float
    # User plus system CPU seconds: on a machine other work shares, wall time swells with the
    # queue for a core, while this stays close to the command's own cost.
    cpu: float


def median_run(runs: int, measure: Callable[[], Run]) -> Run:
    measure()  # unmeasured: fills the OS page cache and Python's bytecode caches
    counted = [measure() for _ in range(runs)]
    return Run(
        statistics.median(run.wall for run in counted),
        statistics.median(run.cpu for run in counted),
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def command_run(command: list[str], env: dict[str, str], cwd: Path) -> Run:
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, timeout=START_TIMEOUT_SECONDS, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr.decode()}")
    return Run(elapsed, _children_cpu() - cpu_before)


@dataclass(frozen=True)
class Start:
    seconds: float
    rss_mib: float
    # The server process's own CPU seconds up to its first 200 (not its children's).
    cpu: float


def first_200_seconds(server: Server, started: float) -> float:
    """Seconds from `started` to the first 200 from GET /healthz, polled every 10 ms."""
    url = f"http://{HOST}:{server.port}/healthz"
    deadline = started + START_TIMEOUT_SECONDS
    while time.perf_counter() < deadline and server.process.poll() is None:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return time.perf_counter() - started
        time.sleep(POLL_SECONDS)
    server.stop()
    raise SystemExit(f"{server.name} did not answer 200; its log:\n{server.log_text()}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a running process, from /proc."""
    # The fields after the command's name, which is in parentheses and may hold spaces.
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no VmRSS for process {pid}")


def start_server(
    name: str, command: list[str], env: dict[str, str], cwd: Path, settle: float
) -> Start:
    started = time.perf_counter()
    server = Server(name, command, env, cwd)
    try:
        seconds = first_200_seconds(server, started)
        cpu = cpu_seconds(server.process.pid)
        # Idle is after start-up's own work (the worker's first cycles, lazy imports on the
        # first request) has finished.
        time.sleep(settle)
        return Start(seconds, rss_mib(server.process.pid), cpu)
    finally:
        server.stop()


def median_start(
    runs: int, name: str, command: list[str], env: dict[str, str], cwd: Path, settle: float
) -> Start:
    start_server(name, command, env, cwd, settle)  # unmeasured
    starts = [start_server(name, command, env, cwd, settle) for _ in range(runs)]
    return Start(
        statistics.median(start.seconds for start in starts),
        statistics.median(start.rss_mib for start in starts),
        statistics.median(start.cpu for start in starts),
    )


def result(
    goal: Goal, tocsin: float, reference: float, reference_name: str, note: str = ""
) -> Result:
    return Result(
        benchmark=BENCHMARK,
        metric=goal.metric,
        goal=goal.text,
        tocsin=tocsin,
        unit=goal.unit,
        reference=reference,
        reference_name=reference_name,
        ratio=reference / tocsin,
        met=goal.met_by(tocsin),
        note=note,
    )


def cpu_note(run: Run) -> str:
    return f"cpu {run.cpu:.3f} s"


def tocsin_env(workdir: Path) -> dict[str, str]:
    """A home of its own, so no run reads or writes the user's database or config file."""
    env = child_env({"home": str(workdir / "home"), "provider": "simulator"})
    env["XDG_CONFIG_HOME"] = str(workdir / "config")
    return env


def compile_tocsin() -> None:
    """Write the .pyc files of the tocsin package the commands import, as installing it would;
    py_compile writes them whatever PYTHONDONTWRITEBYTECODE says."""
    [package] = tocsin.__path__
    if not compileall.compile_dir(package, quiet=1):
        raise SystemExit(f"could not compile {package}")


def measure(args: argparse.Namespace, workdir: Path) -> list[Result]:
    env = tocsin_env(workdir)
    compile_tocsin()
    tocsin = tocsin_command()

    def cli(*words: str) -> Callable[[], Run]:
        return lambda: command_run([*tocsin, *words], env, workdir)

    bare_python = median_run(
        args.runs, lambda: command_run([sys.executable, "-c", "pass"], env, workdir)
    )
    print(f"python -c pass: {bare_python.wall:.3f} s", flush=True)
    help_run = median_run(args.runs, cli("--help"))
    print(f"tocsin --help: {help_run.wall:.3f} s", flush=True)
    screen_run = median_run(args.runs, cli("screen", ALLOWED_NUMBER))
    print(f"tocsin screen: {screen_run.wall:.3f} s", flush=True)
    bare = median_start(
        args.runs, "bare", bare_server_command(), child_env({}), workdir, args.settle
    )
    print(
        f"bare Starlette: {bare.seconds:.3f} s (cpu {bare.cpu:.3f} s), {bare.rss_mib:.1f} MiB",
        flush=True,
    )
    # Made before any start is timed, with time to spare on a slow machine: the counted starts
    # are restarts of an installed server.
    setup = [*tocsin, "db", "upgrade"]
    subprocess.run(setup, env=env, cwd=workdir, capture_output=True, timeout=600, check=True)
    serve = median_start(args.runs, "tocsin", [*tocsin, "serve"], env, workdir, args.settle)
    print(
        f"tocsin serve: {serve.seconds:.3f} s (cpu {serve.cpu:.3f} s), {serve.rss_mib:.1f} MiB",
        flush=True,
    )
    return [
        result(HELP_GOAL, help_run.wall, bare_python.wall, "python -c pass", cpu_note(help_run)),
        result(
            SCREEN_GOAL, screen_run.wall, bare_python.wall, "python -c pass", cpu_note(screen_run)
        ),
        result(SERVE_GOAL, serve.seconds, bare.seconds, "bare Starlette", f"cpu {serve.cpu:.3f} s"),
        result(RSS_GOAL, serve.rss_mib, bare.rss_mib, "bare Starlette"),
    ]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="counted runs of each (median)")
    parser.add_argument(
        "--settle", type=float, default=2.0, help="seconds after the first 200 to read the RSS"
    )
    add_results_option(parser)
    return parser.parse_args(argv)


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="tocsin-startup-") as temporary:
        results = measure(args, Path(temporary))
    emit(results, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
