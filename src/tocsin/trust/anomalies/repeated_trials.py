"""One person or card asking for free trials through organization after organization.

Trial claims are unique per kind and digest (billing/trials.py), so the claims table can never
show one digest on two trials: the second trial is refused instead. The refusals are the
evidence, then: each `billing.trial_refused` audit event names the refused organization and
which kinds of claim matched (owner, email, payment, customer, phone); a trial ended early
because a claim found during it was taken is recorded the same way (`trial_ended`). Two
refused organizations whose matched claims share a value (the same owner, mailbox, card,
Paddle customer or number) were the same entity trying again, on top of the trial it already
had.

Values are read from the refused organizations as they are at scan time, not as they were at
refusal time; an organization deleted since is out of the picture.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Membership, Role, User
from tocsin.audit import trail
from tocsin.audit.actions import AuditAction
from tocsin.billing.models import PaddleCustomer, PaymentTransaction
from tocsin.billing.trials import ClaimKind, normalise_trial_email, paddle_customers_of
from tocsin.contacts.models import Contact
from tocsin.trust.anomalies.findings import Finding, fingerprint, month_of
from tocsin.trust.anomalies.thresholds import Thresholds

NAME = "repeated_trials"

# An identifying value: (claim kind, value), such as ("email", "ana@example.com").
Identity = tuple[str, str]


@dataclass
class _Refusal:
    event_id: str
    org_id: str
    at: datetime
    matched: list[str]


@dataclass
class _Cluster:
    org_ids: set[str] = field(default_factory=set)
    shared: dict[Identity, set[str]] = field(default_factory=dict)


def _identities(session: Session, org_ids: list[str]) -> dict[str, set[Identity]]:
    """What identifies who runs each organization, by the claim kinds of billing/trials.py."""
    found: dict[str, set[Identity]] = defaultdict(set)
    owners = session.execute(
        select(Membership.org_id, User.id, User.email)
        .join(User, User.id == Membership.user_id)
        .where(Membership.org_id.in_(org_ids), Membership.role == Role.OWNER.value)
    )
    for org_id, user_id, email in owners:
        found[org_id].add((ClaimKind.OWNER.value, user_id))
        found[org_id].add((ClaimKind.EMAIL.value, normalise_trial_email(email)))
    phones = session.execute(
        select(Contact.org_id, Contact.phone_e164).where(Contact.org_id.in_(org_ids))
    )
    for org_id, phone in phones:
        found[org_id].add((ClaimKind.PHONE.value, phone))
    cards = session.execute(
        select(PaymentTransaction.org_id, PaymentTransaction.payment_fingerprint).where(
            PaymentTransaction.org_id.in_(org_ids),
            PaymentTransaction.payment_fingerprint.is_not(None),
        )
    )
    for org_id, card in cards:
        if card:
            found[org_id].add((ClaimKind.PAYMENT.value, card))
    for org_id in org_ids:
        for customer in paddle_customers_of(session, org_id):
            found[org_id].add((ClaimKind.CUSTOMER.value, customer))
    payers = session.execute(
        select(PaymentTransaction.org_id, PaddleCustomer.email)
        .join(PaddleCustomer, PaddleCustomer.id == PaymentTransaction.customer_id)
        .where(PaymentTransaction.org_id.in_(org_ids), PaddleCustomer.email.is_not(None))
    )
    for payer_org_id, payer_email in payers:
        if payer_email:
            found[payer_org_id].add((ClaimKind.EMAIL.value, normalise_trial_email(payer_email)))
    return found


def _refusals(session: Session, start: datetime, end: datetime) -> list[_Refusal]:
    refusals = []
    for event in trail.of_action(
        session, action=AuditAction.BILLING_TRIAL_REFUSED, after=start, until=end
    ):
        matched = (event.details or {}).get("matched") or []
        # Refusals for another reason (already had one, on a paid plan) point at nobody else.
        if event.org_id is not None and matched:
            refusals.append(_Refusal(event.id, event.org_id, event.created_at, list(matched)))
    return refusals


def _clusters(refusals: list[_Refusal], identities: dict[str, set[Identity]]) -> list[_Cluster]:
    """Refused organizations joined by any value their matched claims share."""
    orgs_of: dict[Identity, set[str]] = defaultdict(set)
    for refusal in refusals:
        for identity in identities.get(refusal.org_id, set()):
            if identity[0] in refusal.matched:
                orgs_of[identity].add(refusal.org_id)
    parent: dict[str, str] = {}

    def root(org_id: str) -> str:
        while parent.setdefault(org_id, org_id) != org_id:
            org_id = parent[org_id]
        return org_id

    shared = {identity: orgs for identity, orgs in orgs_of.items() if len(orgs) >= 2}
    for orgs in shared.values():
        first, *rest = sorted(orgs)
        for other in rest:
            parent[root(other)] = root(first)
    clusters: dict[str, _Cluster] = defaultdict(_Cluster)
    for refusal in refusals:
        clusters[root(refusal.org_id)].org_ids.add(refusal.org_id)
    for identity, orgs in shared.items():
        clusters[root(next(iter(orgs)))].shared[identity] = orgs
    return list(clusters.values())


def detect(session: Session, now: datetime, thresholds: Thresholds) -> list[Finding]:
    days = thresholds.trial_refusal_days
    refusals = _refusals(session, now - timedelta(days=days), now)
    if not refusals:
        return []
    identities = _identities(session, sorted({refusal.org_id for refusal in refusals}))
    findings = []
    for cluster in _clusters(refusals, identities):
        if len(cluster.org_ids) < thresholds.trial_refusal_orgs:
            continue
        events = [refusal for refusal in refusals if refusal.org_id in cluster.org_ids]
        # Named after its first refusal, which later refusals joining it do not change.
        first = events[0]
        kinds = sorted({identity[0] for identity in cluster.shared})
        findings.append(
            Finding(
                detector=NAME,
                org_id=None,
                summary=(
                    f"trials refused to {len(cluster.org_ids)} organizations of the same "
                    f"{', '.join(kinds)} in {days} days"
                ),
                fingerprint=fingerprint(NAME, first.org_id, month_of(first.at)),
                details={
                    "org_ids": sorted(cluster.org_ids),
                    "shared": [
                        {"kind": kind, "value": value, "org_ids": sorted(orgs)}
                        for (kind, value), orgs in sorted(cluster.shared.items())
                    ][: thresholds.samples],
                    "refusals": [
                        {
                            "event_id": refusal.event_id,
                            "org_id": refusal.org_id,
                            "at": refusal.at.isoformat(),
                            "matched": refusal.matched,
                        }
                        for refusal in events[-thresholds.samples :]
                    ],
                },
            )
        )
    return sorted(findings, key=lambda finding: finding.fingerprint)
