"""Refund requests made outside Paddle (to support, by e-mail), recorded and answered by staff.

Paddle sees only the refunds we send it; a customer who wrote to us for their money back and
heard nothing for 14 days may go to their bank, and that chargeback is excused by the terms.
These records are how the chargeback rule learns of such requests. Staff record them from the
API (`/v1/admin/refund-requests`) or the shell (`tocsin billing refund-request`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.billing.chargebacks import rejudge
from tocsin.billing.models import PaymentTransaction, RefundRequest
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput, NotFound
from tocsin.core.ids import new_id


class RefundAnswer(StrEnum):
    REFUNDED = "refunded"
    REFUSED = "refused"


def record_refund_request(
    session: Session,
    *,
    org_id: str,
    transaction_id: str,
    requested_at: datetime | None,
    note: str,
    actor: Actor,
    now: datetime,
) -> RefundRequest:
    """Record that the customer asked for a refund of one of the organization's payments, at
    `requested_at` (when they asked, which may be before today; never later than now)."""
    payment = session.get(PaymentTransaction, transaction_id)
    if payment is None or payment.org_id != org_id:
        raise NotFound(
            "this organization has no payment with this transaction id",
            code="transaction_not_found",
        )
    asked_at = requested_at or now
    if asked_at > now:
        raise InvalidInput("requested_at is in the future", code="requested_in_future")
    request = RefundRequest(
        id=new_id("rfr"),
        org_id=org_id,
        transaction_id=transaction_id,
        requested_at=asked_at,
        note=note,
        recorded_by=actor.id,
        created_at=now,
    )
    session.add(request)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.BILLING_REFUND_REQUEST_RECORDED,
        at=now,
        org_id=org_id,
        target_type="refund_request",
        target_id=request.id,
        details={
            "transaction_id": transaction_id,
            "requested_at": asked_at.isoformat(),
            "note": note,
        },
    )
    rejudge(session, org_id, actor=actor, now=now)
    return request


def answer_refund_request(
    session: Session,
    *,
    request_id: str,
    answer: RefundAnswer,
    note: str,
    actor: Actor,
    now: datetime,
) -> RefundRequest:
    """Answer a request now. Answers are not backdated: how long the customer waited is what
    the chargeback rule weighs."""
    request = session.get(RefundRequest, request_id, with_for_update=True)
    if request is None:
        raise NotFound("no refund request with this id", code="refund_request_not_found")
    if request.answer is not None:
        raise Conflict("this refund request was already answered", code="already_answered")
    request.answer, request.answered_at = answer.value, now
    request.answered_by, request.answer_note = actor.id, note
    audit.record(
        session,
        actor=actor,
        action=AuditAction.BILLING_REFUND_REQUEST_ANSWERED,
        at=now,
        org_id=request.org_id,
        target_type="refund_request",
        target_id=request.id,
        details={"answer": answer.value, "note": note, "transaction_id": request.transaction_id},
    )
    rejudge(session, request.org_id, actor=actor, now=now)
    return request


def refund_requests_of(session: Session, org_id: str) -> list[RefundRequest]:
    return list(
        session.scalars(
            select(RefundRequest)
            .where(RefundRequest.org_id == org_id)
            .order_by(RefundRequest.requested_at, RefundRequest.id)
        )
    )
