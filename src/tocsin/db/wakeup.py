"""Waking workers when there is work: PostgreSQL NOTIFY from the writer, LISTEN in each worker.

The notification is sent when the transaction that wrote the jobs commits, never before, so a
woken worker always finds them. Workers still poll as well: a notification lost to a dropped
connection only delays a call until the next poll.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHANNEL = "tocsin_work"
_NOTIFY = text(f"NOTIFY {CHANNEL}")


def announce_work(session: Session) -> None:
    """Tell every listening worker, once this transaction commits, that jobs are due."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_NOTIFY)


def _libpq_url(sqlalchemy_url: str) -> str:
    return (
        make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


async def listen_for_work(
    database_url: str, wake: Callable[[], None], *, retry_seconds: float = 5.0
) -> None:
    """Call `wake` for every notification on the work channel, until cancelled. A lost
    connection is opened again after `retry_seconds`; meanwhile the worker's polling covers."""
    # Imported here, by the one backend that listens: a process on SQLite never loads the
    # PostgreSQL driver (about 9 MiB it would hold for nothing).
    import psycopg

    url = _libpq_url(database_url)
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
                await connection.execute(f"LISTEN {CHANNEL}")
                # Anything written while we were away is found by the next claim.
                wake()
                async for _ in connection.notifies():
                    wake()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # any connection failure: keep polling, try again later
            log.warning("listening for work failed (%s); retrying in %g s", error, retry_seconds)
        await asyncio.sleep(retry_seconds)
