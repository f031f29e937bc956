"""Adjustments: refunds, credits and chargebacks (https://developer.paddle.com/api-reference/
adjustments).

Paddle creates a `chargeback` adjustment when a customer disputes a payment with their bank,
a `chargeback_warning` ahead of one, and a `chargeback_reverse` when the dispute is decided in
the seller's favour, setting the chargeback's own status to `reversed`. Refunds are created as
`pending_approval` and answered `approved` or `rejected`. Every adjustment event runs the
chargeback rule of the terms again (billing/chargebacks.py): a fact that arrives late (Paddle
does not promise order) changes the verdict it should.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tocsin.billing.chargebacks import rejudge
from tocsin.billing.models import Adjustment
from tocsin.billing.paddle.entities import mapping, required_text, text, timestamp
from tocsin.billing.paddle.subscriptions import PADDLE, PaddleContext

PENDING = "pending_approval"


def apply_adjustment(
    session: Session, data: dict[str, Any], *, org_id: str, context: PaddleContext
) -> str:
    adjustment_id = required_text(data, "id", "data")
    action = required_text(data, "action", "data")
    status = required_text(data, "status", "data")
    updated_at = timestamp(data, "updated_at") or context.now
    adjustment = session.get(Adjustment, adjustment_id, with_for_update=True)
    if adjustment is not None and updated_at < adjustment.source_updated_at:
        return "stale"
    if adjustment is None:
        adjustment = Adjustment(
            id=adjustment_id,
            org_id=org_id,
            transaction_id=required_text(data, "transaction_id", "data"),
            action=action,
            requested_at=timestamp(data, "created_at") or context.now,
        )
        session.add(adjustment)
    # A refund is answered when it leaves pending_approval (or arrives already decided).
    was_waiting = adjustment.status in (None, PENDING)
    if was_waiting and status != PENDING and adjustment.answered_at is None:
        adjustment.answered_at = updated_at
    adjustment.status = status
    adjustment.reason = text(data, "reason") or ""
    totals = mapping(data, "totals")
    adjustment.total = text(totals, "total")
    adjustment.currency = text(totals, "currency_code") or text(data, "currency_code")
    adjustment.source_updated_at = updated_at
    rejudge(session, adjustment.org_id, actor=PADDLE, now=context.now)
    return "applied"
