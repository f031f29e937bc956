"""The worker's round of outgoing webhooks: claim the deliveries due (one write transaction),
POST each outside any transaction, all of the batch at once, and record each outcome in a
transaction of its own as it comes (outgoing/deliveries.py, outgoing/sender.py)."""

from __future__ import annotations

import asyncio
import logging

from tocsin.core.clock import Clock
from tocsin.db.engine import Database
from tocsin.outgoing import deliveries, sender, signing
from tocsin.outgoing.body import wire
from tocsin.outgoing.deliveries import Claimed
from tocsin.outgoing.retries import Answer
from tocsin.outgoing.sender import SenderSettings

log = logging.getLogger(__name__)


async def deliver_webhooks(database: Database, *, settings: SenderSettings, clock: Clock) -> int:
    """One round; returns how many deliveries it attempted."""
    claimed = await database.off_loop(_claim, database, settings, clock)
    await asyncio.gather(*(_attempt(database, one, settings, clock) for one in claimed))
    return len(claimed)


def _claim(database: Database, settings: SenderSettings, clock: Clock) -> list[Claimed]:
    with database.write() as session:
        return deliveries.claim_due(
            session,
            now=clock.now(),
            limit=settings.batch,
            lease=settings.lease,
            skip_locked=database.is_postgres,
        )


async def _attempt(
    database: Database, claimed: Claimed, settings: SenderSettings, clock: Clock
) -> None:
    try:
        answer = await _send(claimed, settings, clock)
    except Exception as error:
        # A secret that no longer opens (the server's key changed), a body that will not
        # encode: recorded like any failed attempt, so the log says why.
        log.exception("webhook delivery %s could not be sent", claimed.id)
        answer = Answer(None, error=f"not sent: {type(error).__name__}: {error}")
    await database.off_loop(_record, database, claimed, answer, clock)


async def _send(claimed: Claimed, settings: SenderSettings, clock: Clock) -> Answer:
    body = wire(claimed.body, org_id=claimed.org_id, base_url=settings.base_url)
    secrets = [settings.box.open(sealed)["secret"] for sealed in claimed.sealed_secrets]
    signed = signing.headers(
        secrets,
        message_id=claimed.event_id,
        timestamp=int(clock.now().timestamp()),
        body=body,
    )
    return await sender.post(claimed.url, body, signed, settings=settings)


def _record(database: Database, claimed: Claimed, answer: Answer, clock: Clock) -> None:
    with database.write() as session:
        deliveries.record_attempt(session, claimed=claimed, answer=answer, now=clock.now())
