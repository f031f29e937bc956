"""The worker's step that ends the Paddle subscriptions of terminated organizations.

Each due cancellation (billing/cancellations.py) is asked of Paddle's API outside any
transaction, then Paddle's answer is recorded in a transaction of its own
(trust/subscription_endings.py): done, or audited, noted for staff and due again later. With
no Paddle API key configured every try fails the same visible way, until one is.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from tocsin.billing.cancellations import due_cancellations
from tocsin.billing.paddle.api import PaddleApi, PaddleApiError
from tocsin.db.engine import Database
from tocsin.trust.subscription_endings import record_cancellation

NOT_CONFIGURED = "Paddle's API is not configured: set TOCSIN_PADDLE_API_KEY"


async def end_subscriptions(database: Database, api: PaddleApi | None, *, now: datetime) -> int:
    """Ask Paddle to end every cancellation due now; returns how many were asked."""
    due = await asyncio.to_thread(_due, database, now)
    for cancellation_id, subscription_id in due:
        error = await _cancel(api, subscription_id)
        await asyncio.to_thread(_record, database, cancellation_id, error, now)
    return len(due)


async def _cancel(api: PaddleApi | None, subscription_id: str) -> str | None:
    if api is None:
        return NOT_CONFIGURED
    try:
        await api.cancel_subscription(subscription_id)
    except PaddleApiError as exc:
        return str(exc)
    return None


def _due(database: Database, now: datetime) -> list[tuple[str, str]]:
    with database.read() as session:
        return due_cancellations(session, now=now)


def _record(database: Database, cancellation_id: str, error: str | None, now: datetime) -> None:
    with database.write() as session:
        record_cancellation(session, cancellation_id=cancellation_id, error=error, now=now)
