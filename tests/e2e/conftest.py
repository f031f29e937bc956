"""Fixtures for whole-system tests: a fresh, empty database per test and the processes on it.

Each test gets a database with no schema at all (a new SQLite file, or a new PostgreSQL database
on the server in TOCSIN_TEST_DATABASE_URL), so `tocsin serve` or the CLI creates it, as it would
on a new installation. Every process a test starts is stopped when the test ends.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.e2e.helpers import System
from tocsin.db.engine import normalise_url

POSTGRES_URL = os.environ.get("TOCSIN_TEST_DATABASE_URL")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Put the output of every process a failed test started into its report."""
    report = yield
    if report.when == "call" and report.failed:
        for fixture in ("system", "sqlite_system"):
            system = getattr(item, "funcargs", {}).get(fixture)
            if isinstance(system, System):
                report.sections.append(("tocsin processes", system.logs()))
    return report


@pytest.fixture
def e2e_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'tocsin.db'}"
        return
    assert POSTGRES_URL is not None
    server = make_url(normalise_url(POSTGRES_URL))
    name = f"tocsin_e2e_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        # A throwaway database need not survive a crash of the PostgreSQL server itself; not
        # waiting for the disk at each commit keeps these tests' many small transactions fast.
        connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _system(root: Path, database_url: str) -> Iterator[System]:
    system = System(root=root, database_url=database_url)
    try:
        yield system
    finally:
        system.close()


@pytest.fixture
def system(e2e_database_url: str, tmp_path: Path) -> Iterator[System]:
    """A system on every configured backend."""
    yield from _system(tmp_path, e2e_database_url)


@pytest.fixture
def sqlite_system(tmp_path: Path) -> Iterator[System]:
    """A system on a new SQLite file, the embedded default."""
    yield from _system(tmp_path, f"sqlite:///{tmp_path / 'tocsin.db'}")
