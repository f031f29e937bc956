"""Issue 17, finding 15 (files): the SQLite database and the generated secret key were
world-readable (0644), and so were the data directory and the simulator's records of calls.
Everything the server writes is its own user's alone: files 0600, folders 0700, whatever the
umask; what an older version left looser is tightened at start, with a warning.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from tests.conftest import settings_for
from tocsin.core.clock import ManualClock
from tocsin.core.config import Settings
from tocsin.db.engine import Database
from tocsin.runtime import Runtime
from tocsin.telephony.audio import Pcm
from tocsin.telephony.base import CallRequest, TextMessage
from tocsin.telephony.simulator import SimulatorProvider


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most servers run with, which leaves new files readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def modes_under(root: Path) -> dict[str, str]:
    found = {".": mode(root)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = mode(path)
    return found


def loose(found: dict[str, str]) -> dict[str, str]:
    """Everything another user could read, with its mode."""
    return {name: bits for name, bits in found.items() if int(bits, 8) & 0o077}


def test_a_new_sqlite_database_and_its_wal_are_private(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.db"
    database = Database(f"sqlite:///{path}")
    try:
        with database.write() as session:
            session.execute(text("CREATE TABLE notes (body TEXT)"))
            session.execute(text("INSERT INTO notes VALUES ('written')"))
        files = {name: mode(tmp_path / name) for name in ("tocsin.db", "tocsin.db-wal")}
        files["tocsin.db-shm"] = mode(tmp_path / "tocsin.db-shm")
    finally:
        database.dispose()
    assert files == {"tocsin.db": "0o600", "tocsin.db-wal": "0o600", "tocsin.db-shm": "0o600"}


def test_a_database_left_readable_is_tightened_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tocsin.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="tocsin"):
        Database(f"sqlite:///{path}").dispose()
    assert mode(path) == "0o600"
    [warning] = [r.getMessage() for r in caplog.records if r.name.startswith("tocsin")]
    assert str(path) in warning
    assert "0o644" in warning


def test_a_generated_secret_key_and_its_data_directory_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "var" / "tocsin-data"
    Settings(data_dir=data_dir, _env_file=None).resolved_secret_key()  # type: ignore[call-arg]
    assert modes_under(tmp_path / "var") == {
        ".": "0o700",
        "tocsin-data": "0o700",
        "tocsin-data/secret.key": "0o600",
    }


def test_a_secret_key_left_readable_is_tightened_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    secret = data_dir / "secret.key"
    secret.write_text("an-old-key-from-before-this-was-checked-0123456789")
    secret.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="tocsin"):
        key = Settings(data_dir=data_dir, _env_file=None).resolved_secret_key()  # type: ignore[call-arg]
    assert key == b"an-old-key-from-before-this-was-checked-0123456789"
    assert (mode(data_dir), mode(secret)) == ("0o700", "0o600")
    warned = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("tocsin"))
    assert str(secret) in warned
    assert str(data_dir) in warned


def test_a_data_directory_left_open_is_tightened_at_start_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Also when the secret key is set, and nothing in the folder is written at start."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    settings = settings_for(f"sqlite:///{tmp_path / 'tocsin.db'}", data_dir)
    with caplog.at_level(logging.WARNING, logger="tocsin"):
        Runtime.from_settings(settings).database.dispose()
    assert mode(data_dir) == "0o700"
    [warning] = [r.getMessage() for r in caplog.records if r.name.startswith("tocsin")]
    assert str(data_dir) in warning


def test_what_the_simulator_writes_is_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    provider = SimulatorProvider(
        data_dir,
        clock=ManualClock(),
        default_behaviour="press:1",
        synthesize=lambda _text, _voice: Pcm(np.zeros(800, dtype=np.int16), 8000),
    )
    call = CallRequest(
        idempotency_key="job_1/1",
        to_number="+447400123456",
        caller_id="+447400000001",
        spoken_text="Disk full on db one.",
        offers_menu=True,
    )
    message = TextMessage(
        idempotency_key="t/1", to_number="+447400123456", sender="Tocsin", body="Code 123456"
    )

    async def use() -> None:
        await provider.dial(call)
        await provider.send_text(message)

    asyncio.run(use())
    found = modes_under(data_dir)
    assert any(name.endswith(".wav") for name in found)
    assert any(name.endswith(".txt") for name in found)
    assert any(name.endswith(".log") for name in found)
    assert loose(found) == {}
