"""A 14-day free trial, once per billing entity.

The billing entity is whoever would get the trial: an owner of the organization, their email
(normalised, so `a.b+x@gmail.com` is `ab@gmail.com`), a payment instrument seen on it, the
Paddle customer who pays for it and that customer's e-mail, or a number it calls. Each is kept
as a claim (an HMAC digest, unique per kind): an organization whose owner, email, card, Paddle
customer or number already had a trial gets none, whatever it is called.

Starting a trial, and ending one when a claim found during it was already taken, are
`billing.commands`; this module keeps the claims.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.email_addresses import unverified_addresses
from tocsin.accounts.models import Membership, Role, User
from tocsin.billing.models import (
    PaddleCustomer,
    PaymentTransaction,
    Subscription,
    Trial,
    TrialClaim,
)
from tocsin.core.errors import Conflict
from tocsin.core.ids import new_id
from tocsin.db.base import table_of
from tocsin.db.upsert import insert_ignoring_conflicts
from tocsin.numbers.models import ConsentRecord

_CLAIMS = table_of(TrialClaim)
_ALIASED_DOMAINS = {"googlemail.com": "gmail.com"}
# Providers that ignore dots in the local part.
_DOTLESS_DOMAINS = frozenset({"gmail.com"})


class ClaimKind(StrEnum):
    OWNER = "owner"
    EMAIL = "email"
    PAYMENT = "payment"
    PHONE = "phone"
    # Paddle's customer id (ctm_...): the same payer, whatever card or e-mail they use.
    CUSTOMER = "customer"


def normalise_trial_email(email: str) -> str:
    """One spelling per mailbox: case, `+tag` suffixes and (for Gmail) dots do not count."""
    local, _, domain = email.strip().lower().rpartition("@")
    domain = _ALIASED_DOMAINS.get(domain, domain)
    local = local.split("+", 1)[0]
    if domain in _DOTLESS_DOMAINS:
        local = local.replace(".", "")
    return f"{local}@{domain}"


@dataclass(frozen=True)
class Claim:
    kind: ClaimKind
    digest: str


def _digest(key: bytes, kind: ClaimKind, value: str) -> str:
    return hmac.new(key, f"{kind.value}:{value}".encode(), hashlib.sha256).hexdigest()


def claim(kind: ClaimKind, value: str, *, digest_key: bytes) -> Claim:
    """The claim of one value; an e-mail is normalised first."""
    if kind is ClaimKind.EMAIL:
        value = normalise_trial_email(value)
    return Claim(kind, _digest(digest_key, kind, value))


def paddle_customers_of(session: Session, org_id: str) -> list[str]:
    """The Paddle customers that paid or subscribed for the organization."""
    subscribed = select(Subscription.customer_id).where(
        Subscription.org_id == org_id, Subscription.customer_id.is_not(None)
    )
    paid = select(PaymentTransaction.customer_id).where(
        PaymentTransaction.org_id == org_id, PaymentTransaction.customer_id.is_not(None)
    )
    return sorted({value for value in session.scalars(subscribed.union(paid)) if value})


def orgs_paid_for_by(session: Session, customer_id: str) -> list[str]:
    """The organizations a Paddle customer subscribed or paid for."""
    subscribed = select(Subscription.org_id).where(Subscription.customer_id == customer_id)
    paid = select(PaymentTransaction.org_id).where(PaymentTransaction.customer_id == customer_id)
    return sorted(set(session.scalars(subscribed.union(paid))))


def claims_of(session: Session, org_id: str, *, digest_key: bytes) -> list[Claim]:
    """Everything that identifies who would get this organization's trial."""
    owners = session.execute(
        select(User.id, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org_id, Membership.role == Role.OWNER.value)
    ).all()
    # Only numbers whose owners verified them: anyone can type someone else's number.
    phones = session.scalars(
        select(ConsentRecord.phone_e164)
        .where(ConsentRecord.org_id == org_id, ConsentRecord.withdrawn_at.is_(None))
        .distinct()
    ).all()
    cards = session.scalars(
        select(PaymentTransaction.payment_fingerprint).where(
            PaymentTransaction.org_id == org_id,
            PaymentTransaction.payment_fingerprint.is_not(None),
        )
    ).all()
    customers = paddle_customers_of(session, org_id)
    payer_emails = session.scalars(
        select(PaddleCustomer.email).where(
            PaddleCustomer.id.in_(customers), PaddleCustomer.email.is_not(None)
        )
    ).all()
    values = (
        [(ClaimKind.OWNER, owner.id) for owner in owners]
        + [(ClaimKind.EMAIL, normalise_trial_email(owner.email)) for owner in owners]
        + [(ClaimKind.EMAIL, normalise_trial_email(email)) for email in payer_emails if email]
        + [(ClaimKind.PHONE, phone) for phone in phones]
        + [(ClaimKind.PAYMENT, card) for card in cards if card]
        + [(ClaimKind.CUSTOMER, customer) for customer in customers]
    )
    unique = {(kind, _digest(digest_key, kind, value)) for kind, value in values}
    return [Claim(kind, digest) for kind, digest in sorted(unique)]


def check_owners_verified(session: Session, org_id: str) -> None:
    """Every owner's address is a claim, and an address nobody proved identifies nobody: a new
    unverified address would be a new billing entity each time (issue 16, finding 9)."""
    owners = session.scalars(
        select(Membership.user_id).where(
            Membership.org_id == org_id, Membership.role == Role.OWNER.value
        )
    ).all()
    unverified = unverified_addresses(session, owners)
    if unverified:
        raise Conflict(
            "a free trial starts once every owner has verified their e-mail address "
            f"(not yet: {', '.join(unverified)}); follow the link mailed to it",
            code="email_unverified",
            details={"unverified": unverified},
        )


def refusal_for(kinds: set[ClaimKind]) -> Conflict:
    """The refusal of a trial whose claims of these kinds were used before."""
    what = ", ".join(sorted(kind.value for kind in kinds))
    return Conflict(
        f"a free trial was already used by the same {what}; choose a paid plan instead",
        code="trial_not_eligible",
        details={"matched": sorted(kind.value for kind in kinds)},
    )


def used_claims(session: Session, claims: list[Claim]) -> set[ClaimKind]:
    if not claims:
        return set()
    found = session.execute(
        select(TrialClaim.kind, TrialClaim.digest).where(
            TrialClaim.digest.in_([claim.digest for claim in claims])
        )
    ).all()
    wanted = {(claim.kind.value, claim.digest) for claim in claims}
    return {ClaimKind(row.kind) for row in found if (row.kind, row.digest) in wanted}


def insert_claim(session: Session, org_id: str, claim: Claim, now: datetime) -> bool:
    inserted = session.execute(
        insert_ignoring_conflicts(session, _CLAIMS, on=["kind", "digest"])
        .values(
            id=new_id("tcl"),
            trial_org_id=org_id,
            kind=claim.kind.value,
            digest=claim.digest,
            created_at=now,
        )
        .returning(_CLAIMS.c.id)
    ).first()
    return inserted is not None


def trial_of(session: Session, org_id: str) -> Trial | None:
    return session.scalar(select(Trial).where(Trial.org_id == org_id))


def claim_holder(session: Session, claim: Claim) -> str | None:
    """The organization whose trial holds this claim, if any."""
    return session.scalar(
        select(TrialClaim.trial_org_id).where(
            TrialClaim.kind == claim.kind.value, TrialClaim.digest == claim.digest
        )
    )
