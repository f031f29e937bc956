"""A violation of the chargeback rule files a trust case, once per violation; a payment by a
terminated account's card or customer suspends the organization it paid for (`marked_payers`).

Paddle's notifications are received here, above billing, so that the case is filed in the
same transaction as the adjustment that completed the violation: billing records the
adjustment and the verdicts (`billing.paddle.events`, `billing.chargebacks`), and this files
what the rule found. Each case's fingerprint is the organization and the violation's key, so
a redelivery, a later event or a second run finds the case already filed, whatever its state.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tocsin.billing.chargeback_rule import Violation
from tocsin.billing.chargebacks import judgement_of
from tocsin.billing.paddle.events import ADJUSTMENT_EVENTS, Received, receive_event
from tocsin.billing.paddle.subscriptions import PaddleContext
from tocsin.billing.paddle.transactions import PAID_EVENTS
from tocsin.core.actors import Actor
from tocsin.trust.cases import open_case
from tocsin.trust.marked_payers import check_payer
from tocsin.trust.models import CaseKind, TrustCase

CHARGEBACK_RULE = Actor("system", "chargeback-rule")


def receive_paddle_event(
    session: Session, event: dict[str, Any], *, context: PaddleContext
) -> Received:
    """Apply one verified Paddle notification; file a case for each chargeback violation it
    completed, and suspend an organization a terminated account's card or customer paid for
    (`marked_payers`)."""
    received = receive_event(session, event, context=context)
    if received.org_id is None or received.result != "applied":
        return received
    if received.event_type in ADJUSTMENT_EVENTS:
        file_violations(session, org_id=received.org_id, context=context)
    elif received.event_type in PAID_EVENTS:
        check_payer(
            session,
            org_id=received.org_id,
            transaction_id=str(event["data"]["id"]),
            context=context,
        )
    return received


def file_violations(session: Session, *, org_id: str, context: PaddleContext) -> list[TrustCase]:
    """The cases newly filed for the organization's violations."""
    filed = []
    for violation in judgement_of(session, org_id).violations:
        case, created = open_case(
            session,
            kind=CaseKind.CHARGEBACK,
            summary=f"chargeback rule: {violation.summary}",
            details=_details(violation),
            actor=CHARGEBACK_RULE,
            now=context.now,
            org_id=org_id,
            fingerprint=f"chargeback:{org_id}:{violation.key}",
        )
        if created:
            filed.append(case)
    return filed


def _details(violation: Violation) -> dict[str, Any]:
    return {
        "rule": violation.rule.value,
        "key": violation.key,
        "chargeback_ids": list(violation.chargeback_ids),
    }
