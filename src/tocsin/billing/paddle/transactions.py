"""Transaction events: payments (the instrument they used, the Paddle customer who paid) and
failed ones.

`transaction.paid` (payment captured) and `transaction.completed` (fully processed) both carry
`payments[].method_details.card` and `customer_id`
(https://developer.paddle.com/webhooks/transactions/transaction-paid); either is enough to
check the card and the customer against other trials at once.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from sqlalchemy.orm import Session

from tocsin.audit.notices import tell_owners
from tocsin.billing.commands import check_claims_during_trial
from tocsin.billing.models import PaddleCustomer, PaymentTransaction
from tocsin.billing.paddle.entities import mapping, required_text, text, timestamp
from tocsin.billing.paddle.subscriptions import PADDLE, PaddleContext
from tocsin.billing.trials import Claim, ClaimKind, claim

PAID_EVENTS = frozenset({"transaction.paid", "transaction.completed"})


def card_fingerprint(payments: Any, key: bytes) -> str | None:
    """A digest of the first card's brand, last four, expiry and holder name.

    Paddle gives no card fingerprint of its own: its card object holds `type`, `last4`,
    `expiry_month`, `expiry_year` and `cardholder_name`
    (https://developer.paddle.com/changelog/2023/cardholder-name-transaction-payments). These
    together tell one card from another well enough to notice the same one starting a second
    trial; the holder's name is folded to lower case and single spaces.
    """
    if not isinstance(payments, list):
        return None
    for payment in payments:
        if not isinstance(payment, dict):
            continue
        card = mapping(mapping(payment, "method_details"), "card")
        last4 = text(card, "last4")
        if last4 is None:
            continue
        parts = (
            str(card.get("type", "")).lower(),
            last4,
            f"{card.get('expiry_month', '')}/{card.get('expiry_year', '')}",
            " ".join(str(card.get("cardholder_name", "")).lower().split()),
        )
        return hmac.new(key, ":".join(parts).encode(), hashlib.sha256).hexdigest()
    return None


def apply_transaction(
    session: Session,
    data: dict[str, Any],
    *,
    org_id: str,
    event_type: str,
    context: PaddleContext,
) -> str:
    transaction_id = required_text(data, "id", "data")
    updated_at = timestamp(data, "updated_at") or context.now
    transaction = session.get(PaymentTransaction, transaction_id, with_for_update=True)
    if transaction is not None and updated_at < transaction.source_updated_at:
        return "stale"
    if transaction is None:
        transaction = PaymentTransaction(id=transaction_id, org_id=org_id, created_at=context.now)
        session.add(transaction)
    transaction.subscription_id = text(data, "subscription_id")
    transaction.customer_id = text(data, "customer_id") or transaction.customer_id
    transaction.status = text(data, "status") or "unknown"
    transaction.source_updated_at = updated_at
    fingerprint = card_fingerprint(data.get("payments"), context.digest_key)
    if fingerprint is not None:
        transaction.payment_fingerprint = fingerprint
    session.flush()
    if event_type in PAID_EVENTS:
        check_claims_during_trial(
            session,
            org_id=transaction.org_id,
            claims=payer_claims(session, transaction, context.digest_key),
            billing=context.billing,
            actor=PADDLE,
            now=context.now,
        )
    elif event_type == "transaction.payment_failed":
        tell_owners(
            session,
            org_id=transaction.org_id,
            kind="payment_failed",
            period=transaction.id,
            message="A payment failed. Update the payment method to keep the plan.",
            now=context.now,
            actor=PADDLE,
            details={"transaction_id": transaction.id},
        )
    return "applied"


def payer_claims(session: Session, transaction: PaymentTransaction, key: bytes) -> list[Claim]:
    """The card, the Paddle customer and the e-mail Paddle has for that customer."""
    claims = []
    if transaction.payment_fingerprint is not None:
        claims.append(claim(ClaimKind.PAYMENT, transaction.payment_fingerprint, digest_key=key))
    if transaction.customer_id is not None:
        claims.append(claim(ClaimKind.CUSTOMER, transaction.customer_id, digest_key=key))
        payer = session.get(PaddleCustomer, transaction.customer_id)
        if payer is not None and payer.email is not None:
            claims.append(claim(ClaimKind.EMAIL, payer.email, digest_key=key))
    return claims
