"""Shared fixtures: a migrated database on every configured backend, a runtime, an API client.

Every test that takes `database_url` (directly or through `runtime`/`client`) runs once on
SQLite and, when TOCSIN_TEST_DATABASE_URL is set, once more on PostgreSQL.

`make test` spreads the tests over one pytest-xdist worker per core. Each worker has its own
temporary directory, its own PostgreSQL database and its own application; tests that start
processes or keep real time run one at a time in a lane of their own (see SERIAL_LANES below).
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import typer.main
import typer.testing
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from starlette.datastructures import State
from typer.testing import CliRunner
from xdist.scheduler import LoadScopeScheduling

from tests.delivery.pager import MakePager, Pager
from tocsin.accounts import passwords
from tocsin.app import create_app
from tocsin.cli import app as tocsin_cli
from tocsin.core.clock import ManualClock
from tocsin.core.config import Settings
from tocsin.db.engine import Database, normalise_url
from tocsin.migrations.upgrade import upgrade
from tocsin.runtime import Runtime
from tocsin.tables import Base

POSTGRES_URL = os.environ.get("TOCSIN_TEST_DATABASE_URL")
TEST_SECRET = "test-secret-key-that-is-long-enough-for-hmac-0123456789"


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def pytest_configure(config: pytest.Config) -> None:
    """Full garbage collections less often: at Python's default thresholds one ran every few
    hundred thousand allocations, and with the application, SQLAlchemy and the test modules
    loaded each scanned millions of objects, 0.3-0.4 s a time: a fifth of tests/delivery's
    run. The same garbage is collected, later (a worker holds some 15% more memory)."""
    gc.set_threshold(10_000, 20, 20)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", backends(), scope="session")


# Whole-system tests start Tocsin's processes (and Alertmanager, Chromium); SIP tests exchange
# real-time media with SIPp. Two of either side by side would compete for the CPU their
# deadlines assume, so under xdist each of these lanes runs its tests one at a time on one
# worker. (One lane for both took 7 minutes, the rest of the suite 5; two lanes let the other
# worker share the whole-system tests' wait.) Add the folder or module of any new test that
# starts processes or keeps real time to a lane.
SERIAL_LANES = ("tests/e2e/", "tests/telephony/sip/")


class SerialGroupScheduling(LoadScopeScheduling):
    """Each test is a unit of work of its own, sent to whichever worker is free, except the
    tests of a serial lane: one unit a lane, which go out first because they take longest.

    (xdist's own `--dist loadgroup` does this with marks, but it rewrites node ids, which
    pytest 9.2 no longer lets it do: pytest-dev/pytest-xdist#1386.)
    """

    def _split_scope(self, nodeid: str) -> str:
        return next((lane for lane in SERIAL_LANES if nodeid.startswith(lane)), nodeid)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling | None:
    if config.getvalue("dist") != "load":
        return None  # a distribution asked for by name (--dist ...) is left as it is
    return SerialGroupScheduling(config, log)


@pytest.fixture(autouse=True, scope="session")
def _tocsin_command_built_once() -> Iterator[None]:
    """`tocsin` as one click command for the whole test process, in every CliRunner.

    typer.testing builds the click tree from the Typer apps on each invoke, and `tocsin`'s lazy
    group builds it again to look the command up; with every command module imported, as in a
    test process, that cost half a second an invocation, a minute and a half of the suite's
    CLI tests. A `tocsin` process builds it once too. The lazy lookup itself, which a built
    tree still does once per command, is tests/test_cli_registry.py's subject, in processes of
    its own."""
    build = typer.main.get_command
    built = build(tocsin_cli)

    def command(app: typer.Typer) -> Any:
        return built if app is tocsin_cli else build(app)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", command)
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_test_url() -> Iterator[str]:
    """A throwaway PostgreSQL database, migrated once, dropped at the end of the run."""
    assert POSTGRES_URL is not None
    server = make_url(normalise_url(POSTGRES_URL))
    name = f"tocsin_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        # A throwaway database need not survive a crash of the server itself; not waiting for
        # the disk at each commit saves a little on every one of the tests' many transactions.
        connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = server.set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    upgrade(database)
    database.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def empty_postgres(postgres_test_url: str) -> Iterator[Callable[[], None]]:
    """Empties every table of the run's PostgreSQL database, once before each test on it.

    DELETE, children first: on tables this small it takes a few milliseconds where TRUNCATE
    takes a tenth of a second. All of them go as one script on one connection kept for the
    run, a single round trip: a new engine and a statement per table cost 25-40 ms a test.
    """
    engine = create_engine(postgres_test_url)
    script = "; ".join(
        str(table.delete().compile(dialect=engine.dialect))
        for table in reversed(Base.metadata.sorted_tables)
    )

    def empty() -> None:
        with engine.begin() as connection:
            connection.exec_driver_sql(script)

    yield empty
    engine.dispose()


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "tocsin.db"
        shutil.copyfile(template, path)
        path.chmod(0o600)  # as Tocsin makes its databases, so none is tightened with a warning
        return f"sqlite:///{path}"
    request.getfixturevalue("empty_postgres")()
    url: str = request.getfixturevalue("postgres_test_url")
    return url


@pytest.fixture(autouse=True)
def _own_user_folders(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tocsin's home is found through TOCSIN_HOME or the user's config file (core/home.py):
    no test reads the developer's, or writes one there."""
    folders = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folders / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(folders / "share"))
    monkeypatch.delenv("TOCSIN_HOME", raising=False)


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """`tocsin serve` run in-process (CliRunner) configures the process's logging to the
    runner's stderr: put it back, or later tests' INFO lines land in other runners' output."""
    loggers = [
        logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access")
    ]
    saved = [(list(log.handlers), log.level, log.propagate) for log in loggers]
    yield
    for log, (handlers, level, propagate) in zip(loggers, saved, strict=True):
        log.handlers[:] = handlers
        log.setLevel(level)
        log.propagate = propagate


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir(mode=0o700)
    return path


def settings_for(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    """The settings every in-process test runs with, plus `overrides`."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "secret_key": TEST_SECRET,
        "allow_signup": True,
        "public_base_url": "http://tocsin.test",
        "default_region": "GB",
        # Chosen explicitly, as an operator must: nobody is called.
        "provider": "simulator",
        # Verification calls would otherwise synthesize speech for every contact of every test.
        "simulator_record_audio": False,
        "rate_limit_verification": "1000/minute",
        # The local provider fakes and SIPp listen on 127.0.0.1, which organizations' accounts
        # may reach only through the operator's allowlist; tests/delivery/test_provider_hosts.py
        # runs without it.
        "provider_host_allowlist": "127.0.0.1",
        "rate_limit_verification_org": "1000/minute",
        **overrides,
    }
    return Settings(**values, _env_file=None)


@contextmanager
def serving(
    app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock, **overrides: Any
) -> Iterator[tuple[Runtime, TestClient]]:
    """A runtime and an API client on settings of the test's own (a platform provider, say),
    for tests that cannot use the `runtime` and `client` fixtures' defaults; `app` is the
    process's one application, pointed at this runtime as `client` points it."""
    runtime = Runtime.from_settings(settings_for(database_url, data_dir, **overrides), clock=clock)
    app.state = State({"runtime": runtime})
    try:
        with TestClient(app, raise_server_exceptions=False) as test_client:
            yield runtime, test_client
    finally:
        runtime.database.dispose()


@pytest.fixture
def settings(database_url: str, data_dir: Path) -> Settings:
    return settings_for(database_url, data_dir)


@pytest.fixture
def cli(database_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The `tocsin` command on the test database, as an operator's shell would run it."""
    monkeypatch.setenv("TOCSIN_DATABASE_URL", database_url)
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TOCSIN_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("TOCSIN_PROVIDER", "simulator")
    return CliRunner()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def runtime(settings: Settings, clock: ManualClock) -> Iterator[Runtime]:
    runtime = Runtime.from_settings(settings, clock=clock)
    yield runtime
    runtime.database.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The API and the dashboard, built once per test process; `client` points it at each
    test's runtime.

    FastAPI works out every route's dependencies on an application's first request, which for
    Tocsin's routes costs about half a second: a new application per test paid it in every
    test. One application serves every test because create_app keeps all that depends on the
    runtime in `app.state`, which `client` replaces whole. A test of a runtime the app was
    built for (a worker in the lifespan, say) builds its own with create_app.
    """
    # Built on a runtime no request ever reaches: `client` swaps in the test's own.
    unused = tmp_path_factory.mktemp("unused-runtime")
    return create_app(Runtime.from_settings(settings_for(f"sqlite:///{unused}/none.db", unused)))


@pytest.fixture
def client(runtime: Runtime, app: FastAPI) -> Iterator[TestClient]:
    app.state = State({"runtime": runtime})
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def fast_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its cheapest, in every test but those marked `real_password_hashing`.

    The production parameters cost ~100 ms a hash, and tests sign up, sign in and create
    people by the thousand; tests/accounts/test_passwords.py checks the real parameters.
    Processes that tests start (tests/e2e) hash as production does.
    """
    if request.node.get_closest_marker("real_password_hashing") is None:
        monkeypatch.setattr(
            passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        )


@pytest.fixture
def make_pager(
    client: TestClient,
    runtime: Runtime,
    clock: ManualClock,
    data_dir: Path,
    request: pytest.FixtureRequest,
) -> MakePager:
    """Organizations set up for paging (tests/delivery/pager.py) on the test's server, each a
    tenant of its own. Options not given in the call are the test's `pager` marks: a module's
    `pytestmark = pytest.mark.pager(rounds=1)`, then its test's own mark over it."""
    marked: dict[str, Any] = {}
    for mark in reversed(list(request.node.iter_markers("pager"))):
        marked.update(mark.kwargs)

    def make(**options: Any) -> Pager:
        return Pager(client, runtime, clock, data_dir, **{**marked, **options})

    return make


@pytest.fixture
def pager(make_pager: MakePager) -> Pager:
    """An organization set up for paging, with the options of the test's `pager` marks."""
    return make_pager()
