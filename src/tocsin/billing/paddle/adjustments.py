"""Adjustments: refunds, credits and chargebacks, and which chargebacks count against an org.

The trust team looks at chargebacks per organization over the last 12 months. A chargeback is
not counted as abuse when the customer had asked for a refund on the same transaction and
nobody answered that request for 14 days: going to the bank then is a customer's last resort,
not fraud.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.billing.models import Adjustment
from tocsin.billing.paddle.entities import mapping, required_text, text, timestamp
from tocsin.billing.paddle.subscriptions import PADDLE, PaddleContext

REFUND_ANSWER_DAYS = 14
CHARGEBACK_WINDOW_DAYS = 365
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
    if action == "chargeback" and adjustment.counts_as_abuse is None:
        _judge_chargeback(session, adjustment, context)
    session.flush()
    return "applied"


def _judge_chargeback(session: Session, chargeback: Adjustment, context: PaddleContext) -> None:
    refunds = session.scalars(
        select(Adjustment).where(
            Adjustment.transaction_id == chargeback.transaction_id,
            Adjustment.action == "refund",
            Adjustment.requested_at <= chargeback.requested_at,
        )
    ).all()
    patience = timedelta(days=REFUND_ANSWER_DAYS)
    ignored = next(
        (
            refund
            for refund in refunds
            if chargeback.requested_at - refund.requested_at >= patience
            and (refund.answered_at is None or refund.answered_at - refund.requested_at >= patience)
        ),
        None,
    )
    chargeback.counts_as_abuse = ignored is None
    if ignored is not None:
        chargeback.note = (
            f"refund request {ignored.id} of {ignored.requested_at:%Y-%m-%d} went unanswered "
            f"for {REFUND_ANSWER_DAYS} days"
        )
    audit.record(
        session,
        actor=PADDLE,
        action=AuditAction.BILLING_CHARGEBACK,
        at=context.now,
        org_id=chargeback.org_id,
        target_type="adjustment",
        target_id=chargeback.id,
        details={
            "transaction_id": chargeback.transaction_id,
            "counted": chargeback.counts_as_abuse,
            "note": chargeback.note,
        },
    )


@dataclass(frozen=True)
class ChargebackSummary:
    counted: int
    excused: int
    reversed: int
    warnings: int
    window_days: int = CHARGEBACK_WINDOW_DAYS


def chargeback_summary(session: Session, org_id: str, *, now: datetime) -> ChargebackSummary:
    since = now - timedelta(days=CHARGEBACK_WINDOW_DAYS)
    rows = session.execute(
        select(Adjustment.action, Adjustment.counts_as_abuse, func.count())
        .where(Adjustment.org_id == org_id, Adjustment.requested_at >= since)
        .group_by(Adjustment.action, Adjustment.counts_as_abuse)
    ).all()
    tally: dict[tuple[str, bool | None], int] = {(row[0], row[1]): int(row[2]) for row in rows}
    return ChargebackSummary(
        counted=tally.get(("chargeback", True), 0),
        excused=tally.get(("chargeback", False), 0),
        reversed=tally.get(("chargeback_reverse", None), 0),
        warnings=tally.get(("chargeback_warning", None), 0),
    )
