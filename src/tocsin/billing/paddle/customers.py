"""Customer events: who pays, and the e-mail Paddle has for them.

`customer.created` and `customer.updated` carry Paddle's customer entity: `id` (ctm_...),
`email`, `name`, `status`, `custom_data`, `created_at`, `updated_at`
(https://developer.paddle.com/api-reference/customers). Checkout makes the customer before
the payment that names it, and the entity names no organization, so the customer is kept by
its id alone; the subscriptions and transactions that name it link it to organizations. Its id
and its e-mail are trial claims of each of them (billing/trials.py), and a new e-mail is
checked against other trials at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tocsin.billing.commands import check_claims_during_trial
from tocsin.billing.models import PaddleCustomer
from tocsin.billing.paddle.entities import required_text, text, timestamp
from tocsin.billing.paddle.subscriptions import PADDLE, PaddleContext
from tocsin.billing.trials import ClaimKind, claim, orgs_paid_for_by


def apply_customer(session: Session, data: dict[str, Any], *, context: PaddleContext) -> str:
    customer_id = required_text(data, "id", "data")
    updated_at = timestamp(data, "updated_at") or context.now
    customer = session.get(PaddleCustomer, customer_id, with_for_update=True)
    if customer is not None and updated_at < customer.source_updated_at:
        return "stale"
    if customer is None:
        customer = PaddleCustomer(id=customer_id, created_at=context.now)
        session.add(customer)
    customer.email = text(data, "email")
    customer.source_updated_at = updated_at
    customer.updated_at = context.now
    session.flush()
    claims = [claim(ClaimKind.CUSTOMER, customer_id, digest_key=context.digest_key)]
    if customer.email is not None:
        claims.append(claim(ClaimKind.EMAIL, customer.email, digest_key=context.digest_key))
    for org_id in orgs_paid_for_by(session, customer_id):
        check_claims_during_trial(
            session,
            org_id=org_id,
            claims=claims,
            billing=context.billing,
            actor=PADDLE,
            now=context.now,
        )
    return "applied"
