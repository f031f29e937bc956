"""A 14-day free trial, once per billing entity.

The billing entity is whoever would get the trial: an owner of the organization, their email
(normalised, so `a.b+x@gmail.com` is `ab@gmail.com`), a payment instrument seen on it, or a
number it calls. Each is kept as a claim (an HMAC digest, unique per kind): an organization
whose owner, email, card or number already had a trial gets none, whatever it is called.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Membership, Organization, Role, User
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.billing.models import PaymentTransaction, Trial, TrialClaim
from tocsin.billing.standing import BillingConfig
from tocsin.core.actors import Actor
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


def _refusal(kinds: set[ClaimKind]) -> Conflict:
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


def _insert_claim(session: Session, org_id: str, claim: Claim, now: datetime) -> bool:
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


def start_trial(
    session: Session,
    *,
    org: Organization,
    billing: BillingConfig,
    digest_key: bytes,
    now: datetime,
    actor: Actor,
    source: str = "api",
    ends_at: datetime | None = None,
) -> Trial:
    """Put the organization on the trial plan, or refuse with what matched an earlier trial.

    Refusals raise, so the caller's transaction rolls back and no claim is left half-written.
    """
    plan = billing.catalog.trial_plan()
    if plan is None:
        raise Conflict("this server offers no trial plan", code="no_trial_plan")
    if session.scalar(select(Trial.id).where(Trial.org_id == org.id)) is not None:
        raise Conflict("this organization has already had its free trial", code="trial_used")
    if billing.plan_in_force(org, now).paid:
        raise Conflict("this organization is on a paid plan", code="already_subscribed")
    claims = claims_of(session, org.id, digest_key=digest_key)
    used = used_claims(session, claims)
    if used:
        raise _refusal(used)
    # Two organizations of one person asking at once: the unique claim makes one of them lose.
    lost = {claim.kind for claim in claims if not _insert_claim(session, org.id, claim, now)}
    if lost:
        raise _refusal(lost)
    trial = Trial(
        id=new_id("trl"),
        org_id=org.id,
        started_by=actor.id if actor.type == "user" else None,
        source=source,
        started_at=now,
        ends_at=ends_at or now + timedelta(days=plan.trial_days),
    )
    session.add(trial)
    org.plan = plan.code
    org.plan_ends_at = trial.ends_at
    audit.record(
        session,
        actor=actor,
        action=AuditAction.BILLING_TRIAL_STARTED,
        at=now,
        org_id=org.id,
        target_type="organization",
        target_id=org.id,
        details={"plan": plan.code, "ends_at": trial.ends_at.isoformat(), "source": source},
    )
    return trial


def trial_of(session: Session, org_id: str) -> Trial | None:
    return session.scalar(select(Trial).where(Trial.org_id == org_id))


def remember_payment(
    session: Session, *, org_id: str, fingerprint: str, digest_key: bytes, now: datetime
) -> None:
    """A card used by an organization that had a trial cannot start another one elsewhere."""
    if trial_of(session, org_id) is None:
        return
    claim = Claim(ClaimKind.PAYMENT, _digest(digest_key, ClaimKind.PAYMENT, fingerprint))
    _insert_claim(session, org_id, claim, now)


def remember_phone(
    session: Session, *, org_id: str, number: str, digest_key: bytes, now: datetime
) -> None:
    """A number verified by an organization that had a trial cannot start another elsewhere."""
    if trial_of(session, org_id) is None:
        return
    _insert_claim(
        session, org_id, Claim(ClaimKind.PHONE, _digest(digest_key, ClaimKind.PHONE, number)), now
    )
