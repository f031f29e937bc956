"""Engines and sessions for SQLite (embedded default) and PostgreSQL (scale-out).

SQLite gets WAL (readers never wait for the writer), a busy timeout, and `BEGIN IMMEDIATE` for
write transactions: taking the write lock up front turns lock upgrades, which SQLite can only
fail with SQLITE_BUSY, into an orderly wait. Read transactions stay deferred.

No database error carries a value into a log (issue 17, finding 15): engines hide statements'
parameters (alert bodies, e-mail addresses, token digests), and PostgreSQL's DETAIL, which
quotes the offending row ("Key (email)=(...) already exists"), is dropped from the message.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, ExceptionContext, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from tocsin.core.errors import TocsinError
from tocsin.core.private_files import PRIVATE_FILE, tighten, write_private
from tocsin.db.group_commit import GroupCommit
from tocsin.db.urgent_first import NORMAL, URGENT, UrgentFirstThreads
from tocsin.db.writer_turns import WriterTurns

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Group-commit writer threads on PostgreSQL (each holds a connection while its group runs).
GROUP_WRITERS = 4

T = TypeVar("T")
P = ParamSpec("P")
_WRITE_OPTION = "tocsin_write"


def normalise_url(url: str) -> str:
    """Let people write `postgresql://`; we always drive PostgreSQL with psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def database_file(url: str) -> Path | None:
    """The file an SQLite URL names; None for PostgreSQL and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:" or parsed.query.get("uri"):
        return None
    return Path(parsed.database)


def shown_url(url: str) -> str:
    """The URL as said to a person: its password hidden."""
    return make_url(url).render_as_string(hide_password=True)


class Database:
    """One engine, with a read session and a write session factory over it."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self.is_postgres = self.url.startswith("postgresql")
        # SQLAlchemy prints a failed statement's parameters in the exception's message, which
        # every traceback logs; the statement alone says what failed ("Hiding Parameters",
        # create_engine(hide_parameters=True), in SQLAlchemy's engine documentation).
        kwargs: dict[str, Any] = {"pool_pre_ping": self.is_postgres, "hide_parameters": True}
        if self.is_postgres:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size)
        if self.is_sqlite:
            _make_sqlite_file_private(self.url)
        self.engine: Engine = create_engine(self.url, **kwargs)
        event.listen(self.engine, "handle_error", _drop_quoted_values)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        # The same pool; on SQLite its transactions begin with BEGIN IMMEDIATE.
        self.write_engine = self.engine.execution_options(**{_WRITE_OPTION: True})
        self._read_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(self.write_engine, expire_on_commit=False)
        event.listen(self._write_sessions, "do_orm_execute", _locked_rows_read_afresh)
        # SQLite has one writer at a time anyway: this process's writers take turns on a lock
        # (db/writer_turns.py), webhooks behind everything else.
        self._sqlite_writer = WriterTurns() if self.is_sqlite else None
        # Async callers go further: every write of this process runs on one thread, so writers
        # queue without waking each other (p99 ingest latency fell by half against the lock).
        # PostgreSQL's writes run concurrently, on as many threads as the pool has connections
        # (asyncio's default pool, a few threads a core, would cap them below it).
        # Work on the way to a dial goes ahead of the rest (db/urgent_first.py).
        self._off_loop_threads = UrgentFirstThreads(
            1 if self.is_sqlite else pool_size,
            "sqlite-writer" if self.is_sqlite else "database",
        )
        # Webhooks that arrive together share a transaction (db/group_commit.py): one writer
        # on SQLite, a few on PostgreSQL so a group can form while another commits.
        self._grouped = GroupCommit(
            functools.partial(self.write, bulk=True),
            writers=1 if self.is_sqlite else min(GROUP_WRITERS, pool_size),
        )

    async def off_loop(self, work: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run blocking database work away from the event loop: on SQLite, on the writer
        thread; on PostgreSQL, on a thread pool the size of the connection pool."""
        return await self._off_loop(NORMAL, functools.partial(work, *args, **kwargs))

    async def off_loop_urgent(
        self, work: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`off_loop` for work a dial waits on: it runs before any queued work that is not
        urgent (db/urgent_first.py)."""
        return await self._off_loop(URGENT, functools.partial(work, *args, **kwargs))

    async def _off_loop(self, priority: int, call: Callable[[], T]) -> T:
        # As to_thread does: the work sees the caller's context (the request id its log lines
        # carry, core/logs.py).
        context = contextvars.copy_context()
        future = self._off_loop_threads.submit_as(priority, context.run, call)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            # Work still queued is dropped. Work already running on its thread cannot be
            # stopped there, so the cancellation ends when its transaction has: a worker that
            # stops leaves none of its transactions running (and holding row locks) behind it.
            if not future.cancelled():
                await asyncio.wait([asyncio.wrap_future(future)])
            raise

    async def write_together(self, work: Callable[[Session], T]) -> T:
        """`work(session)` in a write transaction it may share with other work arriving at the
        same time (group commit); returns once that transaction has committed. For the
        webhook's many small writes: on SQLite they wait behind every other writer."""
        return await self._grouped.run(work)

    @contextmanager
    def write(self, *, bulk: bool = False) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on any exception, except a
        refusal that keeps its own record (`TocsinError.on_record`): that commits, then is
        raised. A `bulk` write on SQLite lets every other waiting writer go first."""
        kept: TocsinError | None = None
        with self._turn(bulk), self._write_sessions.begin() as session:
            try:
                yield session
            except TocsinError as refusal:
                if not refusal.keeps_record:
                    raise
                kept = refusal
        if kept is not None:
            raise kept

    def _turn(self, bulk: bool) -> contextlib.AbstractContextManager[None]:
        if self._sqlite_writer is None:
            return contextlib.nullcontext()
        return self._sqlite_writer.turn(bulk=bulk)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read_sessions() as session, session.begin():
            yield session

    def reachable(self) -> bool:
        """Whether a statement runs now: a readiness probe's question, never a page's."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError):
            return False
        return True

    def dispose(self) -> None:
        self._grouped.close()
        self._off_loop_threads.shutdown(wait=True)
        self.engine.dispose()


def _make_sqlite_file_private(url: str) -> None:
    """Create the database file 0600 before SQLite would create it 0644 (its default, less
    the umask); SQLite gives its -wal, -shm and -journal files the database file's mode when
    it creates them. Files an older version left open are tightened, with a warning."""
    parsed = make_url(url)
    name = parsed.database
    if not name or name == ":memory:" or parsed.query.get("uri"):
        return
    path = Path(name)
    try:
        write_private(path, b"", exclusive=True)  # an empty file is an empty database
    except FileExistsError:
        pass
    except OSError:
        return  # no such folder, or not ours to write: SQLite's own error says it better
    for suffix in ("", "-wal", "-shm", "-journal"):
        tighten(path.with_name(path.name + suffix), PRIVATE_FILE)


def _drop_quoted_values(context: ExceptionContext) -> None:
    """Keep only the primary message of a PostgreSQL error, in the driver's exception and in
    SQLAlchemy's wrapper (whose message was made from it already): DETAIL, HINT and CONTEXT
    may quote the values of a row. The fields stay readable (`orig.diag`, `orig.sqlstate`).
    SQLite's messages name the constraint and never a value."""
    original = context.original_exception
    diag = getattr(original, "diag", None)
    primary = getattr(diag, "message_primary", None)
    if not primary:
        return
    original.args = (primary,)
    wrapper = context.sqlalchemy_exception
    if wrapper is not None:
        kind = type(original)
        wrapper.args = (f"({kind.__module__}.{kind.__name__}) {primary}", *wrapper.args[1:])


def _locked_rows_read_afresh(state: ORMExecuteState) -> None:
    """A row locked FOR UPDATE or FOR SHARE is read as it is now, also when the session had
    loaded it before the lock: the ORM keeps the attributes of an object it already holds,
    so a status read unlocked, then locked after another transaction changed it, would be
    decided on as it was before (a call moved backwards, an acknowledgement over a resolve).
    Pending changes are flushed before the statement runs, so nothing unwritten is lost."""
    if state.is_select and getattr(state.statement, "_for_update_arg", None) is not None:
        state.update_execution_options(populate_existing=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's `begin` hook below instead of pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(_WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")
