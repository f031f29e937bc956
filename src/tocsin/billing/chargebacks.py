"""An organization's chargebacks under the rule of the terms: the facts read from Paddle's
adjustments and the refund requests staff recorded, the verdict kept on each chargeback, and
the summary the API and the shell show.

The rule is `billing.chargeback_rule`; filing a trust case for each violation is
`trust.chargebacks`, above billing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.billing import chargeback_rule as rule
from tocsin.billing.models import Adjustment, RefundRequest
from tocsin.core.actors import Actor

REVERSED = "reversed"
APPROVED = "approved"


def _chargebacks(adjustments: list[Adjustment]) -> list[rule.Chargeback]:
    """Each chargeback, reversed when Paddle marked it `reversed` or a `chargeback_reverse`
    on its payment came after it (each reversal answers the oldest chargeback still open)."""
    reversals = sorted(
        (row for row in adjustments if row.action == "chargeback_reverse"),
        key=lambda row: (row.requested_at, row.id),
    )
    chargebacks = sorted(
        (row for row in adjustments if row.action == "chargeback"),
        key=lambda row: (row.requested_at, row.id),
    )
    reversed_at: dict[str, datetime] = {
        row.id: row.source_updated_at for row in chargebacks if row.status == REVERSED
    }
    for reversal in reversals:
        open_one = next(
            (
                row
                for row in chargebacks
                if row.transaction_id == reversal.transaction_id
                and row.id not in reversed_at
                and row.requested_at <= reversal.requested_at
            ),
            None,
        )
        if open_one is not None:
            reversed_at[open_one.id] = reversal.requested_at
    return [
        rule.Chargeback(row.id, row.transaction_id, row.requested_at, reversed_at.get(row.id))
        for row in chargebacks
    ]


def judgement_of(session: Session, org_id: str) -> rule.Judgement:
    """The rule run over every chargeback, refund and refund request of the organization."""
    adjustments = list(session.scalars(select(Adjustment).where(Adjustment.org_id == org_id)))
    refunds = [row for row in adjustments if row.action == "refund"]
    # A refund sent to Paddle for approval is a request until Paddle answers it.
    requests = [
        rule.RefundRequest(row.transaction_id, row.requested_at, row.answered_at) for row in refunds
    ] + [
        rule.RefundRequest(row.transaction_id, row.requested_at, row.answered_at)
        for row in session.scalars(select(RefundRequest).where(RefundRequest.org_id == org_id))
    ]
    issued = [
        rule.RefundIssued(row.transaction_id, row.answered_at or row.requested_at)
        for row in refunds
        if row.status == APPROVED
    ]
    return rule.judge(_chargebacks(adjustments), requests=requests, refunds=issued)


def rejudge(session: Session, org_id: str, *, actor: Actor, now: datetime) -> rule.Judgement:
    """Run the rule again after a new fact, keep each chargeback's verdict and reason, and
    record `billing.chargeback` for every verdict that is new or changed."""
    session.flush()
    judgement = judgement_of(session, org_id)
    for judged in judgement.judged:
        row = session.get(Adjustment, judged.chargeback.id)
        if row is None or row.verdict == judged.verdict.value:
            continue
        previous, row.verdict, row.note = row.verdict, judged.verdict.value, judged.because
        audit.record(
            session,
            actor=actor,
            action=AuditAction.BILLING_CHARGEBACK,
            at=now,
            org_id=org_id,
            target_type="adjustment",
            target_id=row.id,
            details={
                "transaction_id": row.transaction_id,
                "verdict": row.verdict,
                "previous": previous,
                "because": row.note,
            },
        )
    return judgement


@dataclass(frozen=True)
class ChargebackSummary:
    """Chargebacks filed in the window, by verdict, and the violations they completed."""

    filed: int
    standing: int
    unsubstantiated: int
    bad_faith: int
    excused: int
    reversed: int
    warnings: int
    violations: tuple[rule.Violation, ...]
    window_days: int = rule.WINDOW_DAYS


def chargeback_summary(session: Session, org_id: str, *, now: datetime) -> ChargebackSummary:
    since = now - timedelta(days=rule.WINDOW_DAYS)
    judgement = judgement_of(session, org_id)
    recent = [item for item in judgement.judged if item.chargeback.filed_at >= since]
    filed_at = {item.chargeback.id: item.chargeback.filed_at for item in judgement.judged}
    actions = session.scalars(
        select(Adjustment.action).where(
            Adjustment.org_id == org_id, Adjustment.requested_at >= since
        )
    ).all()

    def count(verdict: rule.Verdict) -> int:
        return sum(item.verdict is verdict for item in recent)

    return ChargebackSummary(
        filed=len(recent),
        standing=count(rule.Verdict.STANDING),
        unsubstantiated=count(rule.Verdict.UNSUBSTANTIATED),
        bad_faith=count(rule.Verdict.BAD_FAITH),
        excused=count(rule.Verdict.EXCUSED),
        reversed=actions.count("chargeback_reverse"),
        warnings=actions.count("chargeback_warning"),
        violations=tuple(
            violation
            for violation in judgement.violations
            if filed_at[violation.chargeback_ids[-1]] >= since
        ),
    )
