"""A payment that shows a terminated account again: the card, the Paddle customer or the
payer's e-mail of a standing termination, paying for another organization.

A termination marks who it was about (`billing.marks`), so that the same person cannot simply
open a new organization; a card is only seen when it pays, so that is when it is checked. The
organization it paid for is suspended at once, through a case that records why (staff decide
whether it is the same customer and terminate it, or lift the suspension), in the transaction
of the Paddle notification that showed it. A redelivered notification finds the case filed.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from tocsin.billing.marks import terminations_matching
from tocsin.billing.models import PaymentTransaction
from tocsin.billing.paddle.subscriptions import PaddleContext
from tocsin.billing.paddle.transactions import payer_claims
from tocsin.core.actors import Actor
from tocsin.restrictions.blocks import org_block
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.restrictions.models import EnforcementAction
from tocsin.trust.cases import act_on_case, open_case
from tocsin.trust.models import CaseKind, TrustCase

MARKED_PAYER = Actor("system", "terminated-payer")


def _about_others(
    session: Session, org_id: str, matched: dict[str, list[str]]
) -> dict[str, list[str]]:
    """`matched` without the terminations of this organization itself: a terminated
    organization's own card paying its last invoice shows nobody new."""
    others: dict[str, list[str]] = {}
    for kind, action_ids in matched.items():
        kept = [
            action_id
            for action_id in action_ids
            if (action := session.get(EnforcementAction, action_id)) is not None
            and org_id not in (action.org_id, action.target_id)
        ]
        if kept:
            others[kind] = kept
    return others


def check_payer(
    session: Session, *, org_id: str, transaction_id: str, context: PaddleContext
) -> TrustCase | None:
    """Suspend the organization if its payer was marked by a standing termination; the case
    filed for it, or None when the payer is not marked."""
    transaction = session.get(PaymentTransaction, transaction_id)
    if transaction is None:
        return None
    matched = _about_others(
        session,
        org_id,
        terminations_matching(session, payer_claims(session, transaction, context.digest_key)),
    )
    if not matched:
        return None
    kinds = sorted(matched)
    termination_ids = sorted({action for ids in matched.values() for action in ids})
    case, created = open_case(
        session,
        kind=CaseKind.ANOMALY,
        summary=(
            f"paid with the {', '.join(kinds)} of a terminated account "
            f"({', '.join(termination_ids)})"
        ),
        details={
            "detector": "terminated_payer",
            "matched": kinds,
            "termination_ids": termination_ids,
            "transaction_id": transaction_id,
        },
        actor=MARKED_PAYER,
        now=context.now,
        org_id=org_id,
        fingerprint=f"terminated_payer:{org_id}",
    )
    if created and org_block(session, org_id=org_id, now=context.now) is None:
        act_on_case(
            session,
            case_id=case.id,
            kind=ActionKind.SUSPENSION,
            scope=ActionScope.ORGANIZATION,
            target=org_id,
            reason="paid with the card, Paddle customer or e-mail of a terminated account",
            actor=MARKED_PAYER,
            now=context.now,
        )
    return case
