"""The worker's step that takes down heartbeat monitors whose ping did not come in time: the
due ones read in one transaction, then each taken down (its alert opened) in a transaction of
its own, so one that fails is logged and the others are still told."""

from __future__ import annotations

import logging
from datetime import datetime

from tocsin.db.engine import Database
from tocsin.heartbeats import misses
from tocsin.routing.steps import PagingDefaults

log = logging.getLogger(__name__)


async def check_heartbeats(database: Database, *, now: datetime, paging: PagingDefaults) -> int:
    """One round; returns how many monitors went down."""
    due = await database.off_loop(_due, database, now)
    opened = 0
    for heartbeat_id in due:
        try:
            went_down = await database.off_loop(_take_down, database, heartbeat_id, now, paging)
        except Exception:
            log.exception("could not take down heartbeat %s", heartbeat_id)
            continue
        opened += went_down
    return opened


def _due(database: Database, now: datetime) -> list[str]:
    with database.read() as session:
        return misses.due_monitors(session, now=now)


def _take_down(
    database: Database, heartbeat_id: str, now: datetime, paging: PagingDefaults
) -> bool:
    with database.write() as session:
        return misses.take_down_if_overdue(
            session,
            heartbeat_id=heartbeat_id,
            now=now,
            skip_locked=database.is_postgres,
            paging=paging,
        )
