"""Running Tocsin for real: `tocsin` processes on free ports, the CLI, and what the simulator wrote.

Whole-system tests never sleep for a fixed time: they poll for the condition they need with
`wait_for`, which fails with a message saying what never happened.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.factories import alert_dials, code_in_simulator, verify_contact
from tests.shell import run
from tocsin.db.engine import Database

T = TypeVar("T")

TOCSIN = Path(sys.executable).with_name("tocsin")
SECRET = "e2e-secret-key-that-is-long-enough-for-hmac-0123456789"
# How long a process may take to start: imports, schema upgrade and binding the port.
START_TIMEOUT = 30.0


class NeverHappened(AssertionError):
    """What a test waited for did not happen in time."""


def wait_for(
    predicate: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.02
) -> T:
    """Call `predicate` until it returns something truthy, and return that; fail after `timeout`
    seconds. The short waits between calls are polling, not synchronisation by sleeping."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise NeverHappened(f"within {timeout:g} s: {what}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class TocsinProcess:
    """One `tocsin serve` or `tocsin worker`, its output kept in a log file."""

    def __init__(self, name: str, args: Sequence[str], env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.base_url = ""
        self.log_path = cwd / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.popen = subprocess.Popen(
                [str(TOCSIN), *args], env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def running(self) -> bool:
        """True while it runs; a process that died fails the test with its output."""
        if not self.alive():
            raise AssertionError(f"{self.name} exited with {self.popen.returncode}:\n{self.log()}")
        return True

    def wait_serving(self) -> str:
        """Return the base URL once the server answers /healthz."""
        # One client for all the polls: building one per request costs more CPU than the poll.
        with httpx.Client(base_url=self.base_url, timeout=1.0) as client:
            wait_for(
                lambda: self.running() and _answers(client, "/healthz"),
                timeout=START_TIMEOUT,
                what=f"{self.name} answers /healthz",
                interval=0.05,
            )
        return self.base_url

    def wait_started(self) -> None:
        """Return once the worker has said it is polling for jobs."""
        wait_for(
            lambda: self.running() and re.search(r"worker \S+ started", self.log()),
            timeout=START_TIMEOUT,
            what=f"{self.name} starts",
            interval=0.05,
        )

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to tidy up, as in a crash or an OOM kill."""
        if self.alive():
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def terminate(self) -> None:
        """Ask it to stop (SIGTERM), without waiting."""
        if self.alive():
            self.popen.terminate()

    def stop(self) -> None:
        """SIGTERM, and SIGKILL if it has not stopped within 10 s."""
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class System:
    """A Tocsin installation: one database, one data directory, and the processes run on them."""

    root: Path
    database_url: str
    processes: list[TocsinProcess] = field(default_factory=list)
    _database: Database | None = None

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def env(self, **settings: object) -> dict[str, str]:
        """The environment of a child process: ours without any TOCSIN_*, plus this system's."""
        env = {name: value for name, value in os.environ.items() if not name.startswith("TOCSIN_")}
        env.update(
            TOCSIN_DATABASE_URL=self.database_url,
            TOCSIN_DATA_DIR=str(self.data_dir),
            TOCSIN_SECRET_KEY=SECRET,
            TOCSIN_WORKER_POLL_SECONDS="0.1",
            # Chosen explicitly, as an operator must: nobody is called.
            TOCSIN_PROVIDER="simulator",
            # Provisioning verifies many numbers with one key.
            TOCSIN_RATE_LIMIT_VERIFICATION="10000/minute",
            TOCSIN_RATE_LIMIT_VERIFICATION_ORG="10000/minute",
        )
        env.update({f"TOCSIN_{name.upper()}": str(value) for name, value in settings.items()})
        return env

    # Processes -------------------------------------------------------------------------------

    def cli(self, *args: str, stdin: str | None = None, **settings: object) -> Any:
        """Run one admin command (`--json` is added) and return what it printed.

        In this process, not as a `tocsin` process: each of those is a whole Python start-up,
        and the commands only set up what a test is about. The CLI as an operator's shell runs
        it is test_integration_guides.py's and test_readme.py's subject."""
        environment = {name: None for name in os.environ if name.startswith("TOCSIN_")}
        environment.update(
            (name, value)
            for name, value in self.env(**settings).items()
            if name.startswith("TOCSIN_")
        )
        # In a thread of its own: a command that runs an event loop (asyncio.run) cannot start
        # it in a thread where one runs already, as Playwright's does in a browser test.
        with ThreadPoolExecutor(max_workers=1) as thread:
            return thread.submit(run, CliRunner(env=environment), *args, stdin=stdin).result()

    def start_serve(self, *, worker: bool = True, **settings: object) -> TocsinProcess:
        """Start `tocsin serve` on a free port; call `wait_serving` on it before using it."""
        port = free_port()
        args = ["serve", "--port", str(port), "--worker" if worker else "--no-worker"]
        process = self._start(f"serve-{port}", args, settings)
        process.base_url = f"http://127.0.0.1:{port}"
        return process

    def worker(self, name: str, **settings: object) -> TocsinProcess:
        """Start `tocsin worker`; call `wait_started` on it before relying on it."""
        return self._start(name, ["worker"], settings)

    def _start(self, name: str, args: list[str], settings: dict[str, object]) -> TocsinProcess:
        process = TocsinProcess(name, args, self.env(**settings), self.root)
        self.processes.append(process)
        return process

    def close(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.stop()
        if self._database is not None:
            self._database.dispose()

    def logs(self) -> str:
        """Each process's output: its start and its end, where the first error and the last
        state are."""

        def excerpt(text: str) -> str:
            # A web traceback runs to some 8,000 characters before its last line, the one that
            # names the error, so the head keeps a whole one.
            if len(text) <= 20_000:
                return text
            return f"{text[:12_000]}\n[... {len(text) - 20_000} characters ...]\n{text[-8000:]}"

        return "\n".join(f"--- {p.name} ---\n{excerpt(p.log())}" for p in self.processes)

    # What happened ---------------------------------------------------------------------------

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database(self.database_url, pool_size=2)
        return self._database

    def read(self, query: Callable[[Session], T]) -> T:
        with self.database.read() as session:
            return query(session)

    def count(self, model: type, *where: Any) -> int:
        return self.read(
            lambda s: s.scalar(select(func.count()).select_from(model).where(*where)) or 0
        )

    @property
    def simulator(self) -> Path:
        return self.data_dir / "simulator"

    def dials(self) -> list[dict[str, Any]]:
        """Every dial request the simulator received, duplicates included."""
        return alert_dials(self.simulator)

    def dials_by_key(self) -> Counter[str]:
        return Counter(dial["idempotency_key"] for dial in self.dials())

    def simulated_calls(self) -> int:
        """Alert calls the simulator accepted: one record per idempotency key."""
        return len(alert_call_records(self.simulator))

    def transcripts(self) -> list[Path]:
        return alert_transcripts(self.simulator)

    def verify_contact(self, org: str, contact_id: str) -> None:
        """Verify a contact's number from the shell; the simulated phone hears the code."""
        sent = self.cli("contact", "verify", contact_id, "--org", org)
        code = code_in_simulator(self.data_dir, sent["verification_id"])
        self.cli("contact", "confirm", contact_id, code, "--org", org)

    @contextmanager
    def provider_unreachable(self) -> Iterator[None]:
        """While inside, a dial request never reaches the simulator: the dialling worker hangs
        after committing its attempt row but before the provider has heard of the call.

        The simulator's dial() first appends to dials.log; while that path is a FIFO nobody
        reads, opening it blocks (and with it the worker's event loop). The lines logged so far
        are put back afterwards. Stop every process that dialled meanwhile before leaving.
        """
        log = self.simulator / "dials.log"
        aside = log.with_name("dials.log.aside")
        log.touch()
        log.rename(aside)
        os.mkfifo(log)
        try:
            yield
        finally:
            log.unlink()
            aside.rename(log)


def _answers(client: httpx.Client, path: str) -> bool:
    try:
        return client.get(path).status_code == 200
    except httpx.TransportError:
        return False


@dataclass(frozen=True)
class Tenant:
    """An organization with endpoints (each calling its own contact) and one API key."""

    org_id: str
    key: str
    endpoint_ids: list[str]
    phones: dict[str, str]  # endpoint id -> the number it calls

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Alert-Key": self.key}


def uk_mobile(index: int) -> str:
    """+447400123456, +447400123457, ...: ordinary UK mobile numbers, not fictional ones."""
    return f"+4474001234{56 + index:02d}"


def alert_call_records(simulator: Path) -> list[dict[str, Any]]:
    """The simulator's call records for alerts; verification calls (`verify/...`) left out."""
    folder = simulator / "by-key"
    if not folder.exists():
        return []
    records = []
    for path in folder.glob("*.json"):
        try:
            record = json.loads(path.read_text("utf-8"))
        except ValueError:
            continue  # a draft being written; it is published by a hard link when complete
        if not record["idempotency_key"].startswith("verify/"):
            records.append(record)
    return records


def alert_transcripts(simulator: Path) -> list[Path]:
    """Transcripts of alert calls written so far (a record comes a moment before its text)."""
    paths = (
        simulator / "calls" / f"{record['provider_call_id']}.txt"
        for record in alert_call_records(simulator)
    )
    return sorted(path for path in paths if path.exists())


def verify_over_http(client: httpx.Client, system: System, org_id: str, contact_id: str) -> None:
    """Verify a contact's number as its owner would: the simulated phone hears the code."""
    verify_contact(client, org_id, contact_id, {}, data_dir=system.data_dir)


def provision(system: System, server: TocsinProcess, *, endpoints: int) -> Tenant:
    """A UK organization and a key from the CLI, then contacts and endpoints through the API
    with a `write` key, as an operator's provisioning script would. The CLI runs while `server`
    is still starting.
    """
    org = system.cli("org", "create", "Acme Ops", "--country", "GB")
    key = system.cli(
        "key", "create", "--org", org["slug"], "--scope", "ingest", "--scope", "read",
        "--scope", "write",
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {key['key']}"}
    endpoint_ids: list[str] = []
    phones: dict[str, str] = {}
    base_url = server.wait_serving()
    with httpx.Client(base_url=base_url, headers=headers, timeout=10.0) as client:
        for index in range(endpoints):
            contact = client.post(
                f"/v1/orgs/{org['id']}/contacts",
                json={"name": f"On call {index}", "phone": uk_mobile(index)},
            )
            assert contact.status_code == 201, contact.text
            verify_over_http(client, system, org["id"], contact.json()["id"])
            endpoint = client.post(
                f"/v1/orgs/{org['id']}/endpoints",
                json={"name": f"Service {index}", "contact_ids": [contact.json()["id"]]},
            )
            assert endpoint.status_code == 201, endpoint.text
            endpoint_ids.append(endpoint.json()["id"])
            phones[endpoint.json()["id"]] = contact.json()["phone_e164"]
    return Tenant(org_id=org["id"], key=key["key"], endpoint_ids=endpoint_ids, phones=phones)
