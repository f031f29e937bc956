"""Waking workers when there is work: PostgreSQL NOTIFY from the writer, LISTEN in each worker.

The notification is sent when the transaction that wrote the jobs commits, never before, so a
woken worker always finds them, and once per transaction. Workers still poll as well: a
notification lost to a dropped connection only delays a call until the next poll.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

CHANNEL = "tocsin_work"
_NOTIFY = text(f"NOTIFY {CHANNEL}")


_ANNOUNCED = "tocsin_announce_work"


def announce_work(session: Session) -> None:
    """Tell every listening worker, once this transaction commits, that jobs are due. One
    NOTIFY goes just before the commit, however many writes of the transaction announced work
    (a group of webhooks shares one, db/group_commit.py); a savepoint rolled back after
    announcing leaves the NOTIFY in place, which only wakes a worker for nothing."""
    if session.get_bind().dialect.name == "postgresql":
        session.info[_ANNOUNCED] = True


@event.listens_for(Session, "before_commit")
def _notify_before_commit(session: Session) -> None:
    # Savepoints commit too: the NOTIFY waits for the transaction's own commit.
    if session.in_nested_transaction() or not session.info.pop(_ANNOUNCED, False):
        return
    session.execute(_NOTIFY)


@event.listens_for(Session, "after_transaction_end")
def _forget_announcement(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_ANNOUNCED, None)


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
