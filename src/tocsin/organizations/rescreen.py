"""Screening every contact again when the organization's calling policy changes.

Numbers are screened when they are added, under the policy of that moment; a new home country
(or international calling turned off) can put numbers already there out of bounds. Each such
contact is marked blocked with the screen's reasons, its pending calls are cancelled (each on
its alert's timeline), the escalations waiting on them move on, and the owners are told. A
later change that allows a number again clears the mark. The dial-time screen refuses these
calls anyway; the mark says why in advance and keeps them out of new configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.accounts.service import calling_policy
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.billing.standing import BillingConfig
from tocsin.contacts.models import Contact
from tocsin.core.actors import Actor
from tocsin.paging.models import CallJob, JobOutcome
from tocsin.paging.stopped_calls import stop_pending_calls
from tocsin.policy.numbers import screening_context
from tocsin.safety import screen


@dataclass(frozen=True)
class Rescreened:
    blocked: list[str]
    unblocked: list[str]
    calls_cancelled: int


def rescreen_contacts(
    session: Session,
    *,
    org: Organization,
    billing: BillingConfig,
    sanctioned_regions: frozenset[str],
    actor: Actor,
    now: datetime,
) -> Rescreened:
    """Screen each contact's number under the organization's policy as it now stands (with
    what its plan allows), and block or unblock the contacts whose verdict changed."""
    plan = billing.plan_in_force(org, now)
    context = screening_context(
        calling_policy(org, plan_allows_international=plan.international_calling),
        sanctioned_regions,
    )
    blocked: list[str] = []
    unblocked: list[str] = []
    cancelled = 0
    contacts = session.scalars(
        select(Contact).where(Contact.org_id == org.id).order_by(Contact.id)
    ).all()
    for contact in contacts:
        verdict = screen(contact.phone_e164, None, context)
        if not verdict.allowed:
            reason = "; ".join(reason.message for reason in verdict.reasons)
            if contact.blocked_reason != reason:
                cancelled += _block(session, contact, reason, actor=actor, now=now)
                blocked.append(contact.id)
        elif contact.blocked_reason is not None:
            contact.blocked_at, contact.blocked_reason = None, None
            _record(session, AuditAction.CONTACT_UNBLOCKED, contact, actor, now, {})
            unblocked.append(contact.id)
    if blocked:
        tell_owners(
            session,
            org_id=org.id,
            kind="contacts_blocked",
            period=f"policy:{now.isoformat()}",
            message=(
                f"The new calling policy puts {len(blocked)} contact(s) out of bounds; they "
                f"will not be called ({cancelled} pending call(s) stopped). Change their "
                "numbers or the policy."
            ),
            now=now,
            actor=actor,
            details={"contact_ids": blocked, "calls_cancelled": cancelled},
        )
    return Rescreened(blocked, unblocked, cancelled)


def _block(session: Session, contact: Contact, reason: str, *, actor: Actor, now: datetime) -> int:
    contact.blocked_at, contact.blocked_reason = now, reason
    details: dict[str, object] = {"number": contact.phone_e164, "reason": reason}
    # On the timeline of each alert that loses a call too: why the call will not come.
    stopped = stop_pending_calls(
        session,
        (CallJob.org_id == contact.org_id) & (CallJob.contact_id == contact.id),
        outcome=JobOutcome.BLOCKED,
        reason=f"calling policy changed: {reason}",
        action=AuditAction.CONTACT_BLOCKED,
        details={"contact_id": contact.id, **details},
        actor=actor,
        now=now,
    )
    cancelled = stopped.cancelled
    details = {**details, "calls_cancelled": cancelled}
    _record(session, AuditAction.CONTACT_BLOCKED, contact, actor, now, details)
    return cancelled


def _record(
    session: Session,
    action: AuditAction,
    contact: Contact,
    actor: Actor,
    now: datetime,
    details: dict[str, object],
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        at=now,
        org_id=contact.org_id,
        target_type="contact",
        target_id=contact.id,
        details=details,
    )
