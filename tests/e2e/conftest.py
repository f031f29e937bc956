"""Fixtures for whole-system tests: a fresh, empty database per test and the processes on it.

Each test gets a database of its own (an SQLite file, or a PostgreSQL database on the server in
TOCSIN_TEST_DATABASE_URL) with the schema made, as `tocsin db upgrade` makes it before a server
starts; tests of a new installation, where `tocsin serve` or `quickstart` makes it, take
`new_sqlite_system` instead. Every process a test starts is stopped when the test ends.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

from tests.e2e.helpers import System
from tocsin.db.engine import Database, normalise_url
from tocsin.migrations.upgrade import upgrade

POSTGRES_URL = os.environ.get("TOCSIN_TEST_DATABASE_URL")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Put the output of every process a failed test started into its report."""
    report = yield
    if report.when == "call" and report.failed:
        for fixture in ("system", "sqlite_system", "new_sqlite_system"):
            system = getattr(item, "funcargs", {}).get(fixture)
            if isinstance(system, System):
                report.sections.append(("tocsin processes", system.logs()))
    return report


@pytest.fixture(scope="session")
def postgres_e2e_template() -> Iterator[str]:
    """A PostgreSQL database migrated once, which each test's database is a copy of."""
    assert POSTGRES_URL is not None
    name = f"tocsin_e2e_template_{uuid.uuid4().hex[:10]}"
    with _postgres_admin() as admin:
        admin.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(_postgres_url(name))
    upgrade(database)
    # CREATE DATABASE ... TEMPLATE refuses while anyone is connected to the template.
    database.dispose()
    yield name
    with _postgres_admin() as admin:
        admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def e2e_database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of the test's own with the schema `tocsin db upgrade` makes, copied from one
    migrated at the start of the run: upgrading from nothing in a `tocsin` process cost every
    test seconds. A new installation's first upgrade is the subject of `new_sqlite_system`'s
    tests."""
    if backend == "sqlite":
        yield _sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
        return
    template_name: str = request.getfixturevalue("postgres_e2e_template")
    name = f"tocsin_e2e_{uuid.uuid4().hex[:10]}"
    with _postgres_admin() as admin:
        admin.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
        # A throwaway database need not survive a crash of the PostgreSQL server itself; not
        # waiting for the disk at each commit keeps these tests' many small transactions fast.
        admin.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    yield _postgres_url(name)
    with _postgres_admin() as admin:
        admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _sqlite_copy(template: Path, folder: Path) -> str:
    path = folder / "tocsin.db"
    shutil.copyfile(template, path)
    path.chmod(0o600)  # as Tocsin makes its databases
    return f"sqlite:///{path}"


def _postgres_url(database: str) -> str:
    assert POSTGRES_URL is not None
    server = make_url(normalise_url(POSTGRES_URL))
    return server.set(database=database).render_as_string(hide_password=False)


@contextmanager
def _postgres_admin() -> Iterator[Connection]:
    assert POSTGRES_URL is not None
    admin = create_engine(make_url(normalise_url(POSTGRES_URL)), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            yield connection
    finally:
        admin.dispose()


def _system(root: Path, database_url: str) -> Iterator[System]:
    system = System(root=root, database_url=database_url)
    try:
        yield system
    finally:
        system.close()


@pytest.fixture
def system(e2e_database_url: str, tmp_path: Path) -> Iterator[System]:
    """A system on every configured backend, its database's schema made."""
    yield from _system(tmp_path, e2e_database_url)


@pytest.fixture
def sqlite_system(tmp_path: Path, sqlite_template: Path) -> Iterator[System]:
    """A system on SQLite, the embedded default, its database's schema made."""
    yield from _system(tmp_path, _sqlite_copy(sqlite_template, tmp_path))


@pytest.fixture
def new_sqlite_system(tmp_path: Path) -> Iterator[System]:
    """A new installation on SQLite: no database yet, as before `tocsin quickstart`, `serve`
    or `db upgrade` makes one."""
    yield from _system(tmp_path, f"sqlite:///{tmp_path / 'tocsin.db'}")
