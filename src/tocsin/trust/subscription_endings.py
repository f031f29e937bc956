"""Ending the Paddle subscriptions of terminated organizations: Paddle's answer to each try,
recorded. A failure is never silent: it is audited, filed as a case for staff (one per
subscription, added to on each failure, resolved by the success), and tried again later
(billing/cancellations.py says when). The worker asks Paddle (engine/subscription_endings.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.billing import cancellations
from tocsin.core.actors import Actor
from tocsin.trust.cases import open_case, update_case
from tocsin.trust.models import CaseKind, CaseStatus, TrustCase

PADDLE_CANCELLER = Actor("system", "paddle-cancellation")


def record_cancellation(
    session: Session, *, cancellation_id: str, error: str | None, now: datetime
) -> None:
    """Paddle's answer to one cancellation: audited either way; a failure also files (or adds
    to) a case for staff, which a later success resolves."""
    row = cancellations.settle(session, cancellation_id=cancellation_id, error=error, now=now)
    if row is None:
        return
    details = {
        "subscription_id": row.subscription_id,
        "action_id": row.action_id,
        "attempts": row.attempts,
    }
    if error is None:
        audit.record(
            session,
            actor=PADDLE_CANCELLER,
            action=AuditAction.BILLING_SUBSCRIPTION_ENDED,
            at=now,
            org_id=row.org_id,
            target_type="subscription",
            target_id=row.subscription_id,
            details=details,
        )
        _resolve_case(session, row.subscription_id, now)
        return
    audit.record(
        session,
        actor=PADDLE_CANCELLER,
        action=AuditAction.BILLING_SUBSCRIPTION_CANCEL_FAILED,
        at=now,
        org_id=row.org_id,
        target_type="subscription",
        target_id=row.subscription_id,
        details={
            **details,
            "error": row.last_error,
            "next_attempt_at": row.next_attempt_at.isoformat(),
        },
    )
    open_case(
        session,
        kind=CaseKind.BILLING,
        summary=(
            f"Paddle has not cancelled subscription {row.subscription_id} of a terminated "
            "organization; Tocsin keeps asking"
        ),
        details={
            "subscription_id": row.subscription_id,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "next_attempt_at": row.next_attempt_at.isoformat(),
        },
        actor=PADDLE_CANCELLER,
        now=now,
        org_id=row.org_id,
        fingerprint=_fingerprint(row.subscription_id),
        action_id=row.action_id,
    )


def _fingerprint(subscription_id: str) -> str:
    return f"paddle-cancel:{subscription_id}"


def _resolve_case(session: Session, subscription_id: str, now: datetime) -> None:
    case = session.scalar(
        select(TrustCase).where(TrustCase.fingerprint == _fingerprint(subscription_id))
    )
    if case is not None and case.status == CaseStatus.OPEN.value:
        update_case(
            session,
            case_id=case.id,
            actor=PADDLE_CANCELLER,
            now=now,
            status=CaseStatus.RESOLVED,
            resolution="Paddle confirmed the cancellation on a later try",
        )
