"""A 14-day free trial, once per billing entity.

The billing entity is whoever would get the trial: an owner of the organization, their email
(normalised, so `a.b+x@gmail.com` is `ab@gmail.com`), a payment instrument seen on it, or a
number it calls. Each is kept as a claim (an HMAC digest, unique per kind): an organization
whose owner, email, card or number already had a trial gets none, whatever it is called.

Starting a trial is `billing.commands.start_trial`; this module keeps the claims.
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
from tocsin.billing.models import PaymentTransaction, Trial, TrialClaim
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


def claim_of(kind: ClaimKind, value: str, *, digest_key: bytes) -> Claim:
    """The claim one fact makes (an email must be normalised first)."""
    return Claim(kind, _digest(digest_key, kind, value))


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
    values = (
        [(ClaimKind.OWNER, owner.id) for owner in owners]
        + [(ClaimKind.EMAIL, normalise_trial_email(owner.email)) for owner in owners]
        + [(ClaimKind.PHONE, phone) for phone in phones]
        + [(ClaimKind.PAYMENT, card) for card in cards if card]
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


def remember_payment(
    session: Session, *, org_id: str, fingerprint: str, digest_key: bytes, now: datetime
) -> None:
    """A card used by an organization that had a trial cannot start another one elsewhere."""
    if trial_of(session, org_id) is None:
        return
    claim = Claim(ClaimKind.PAYMENT, _digest(digest_key, ClaimKind.PAYMENT, fingerprint))
    insert_claim(session, org_id, claim, now)


def remember_phone(
    session: Session, *, org_id: str, number: str, digest_key: bytes, now: datetime
) -> None:
    """A number verified by an organization that had a trial cannot start another elsewhere."""
    if trial_of(session, org_id) is None:
        return
    insert_claim(
        session, org_id, Claim(ClaimKind.PHONE, _digest(digest_key, ClaimKind.PHONE, number)), now
    )
