"""What a contact's number must pass: one this organization may call under its calling policy
when it is added, and one whose owner consented before any configuration may call it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.accounts.service import calling_policy
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.billing.marks import MarkedByTermination, terminations_matching
from tocsin.billing.trials import ClaimKind, claim
from tocsin.contacts.models import Contact
from tocsin.contacts.queries import PLAIN
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, NotFound
from tocsin.numbers.consent import REASONS, NumberState, Refusal, state_of
from tocsin.policy.numbers import NumberBlocked, checked_number

# Enough of what was typed to recognise the attempt, not a place to store an essay.
_TYPED_KEPT = 64


def screened_number(
    session: Session,
    *,
    org_id: str,
    phone: str,
    region: str | None,
    sanctioned_regions: frozenset[str],
) -> str:
    """The E.164 form of `phone` if this organization may call it; NumberBlocked if not."""
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound("organization not found", code="org_not_found")
    return checked_number(
        phone, region=region, policy=calling_policy(org), sanctioned_regions=sanctioned_regions
    )


def screened_or_refused(
    session: Session,
    *,
    org_id: str,
    phone: str,
    region: str | None,
    sanctioned_regions: frozenset[str],
    operation: str,
    actor: Actor,
    now: datetime,
) -> str:
    """`screened_number` for a number someone is adding: a refusal is audited with its reasons
    and kept when the transaction ends (the policy counts an attempt to get a blocked number
    past the screen as a violation; `trust.anomalies.blocked_numbers` counts them)."""
    try:
        return screened_number(
            session,
            org_id=org_id,
            phone=phone,
            region=region,
            sanctioned_regions=sanctioned_regions,
        )
    except NumberBlocked as refused:
        _record_refusal(
            session,
            org_id=org_id,
            typed=phone,
            e164=refused.verdict.e164,
            reasons=[reason.code.value for reason in refused.verdict.reasons],
            operation=operation,
            actor=actor,
            now=now,
        )
        raise refused.on_record() from None


def refuse_marked_number(
    session: Session,
    *,
    org_id: str,
    number: str,
    digest_key: bytes,
    operation: str,
    actor: Actor,
    now: datetime,
) -> None:
    """MarkedByTermination, kept on record, if a standing termination marked this number: the
    terminated person's own verified number does not come back through a new organization."""
    matched = terminations_matching(
        session, [claim(ClaimKind.PHONE, number, digest_key=digest_key)]
    )
    if not matched:
        return
    refusal = MarkedByTermination("a code to this number", matched)
    _record_refusal(
        session,
        org_id=org_id,
        typed=number,
        e164=number,
        reasons=[refusal.code],
        operation=operation,
        actor=actor,
        now=now,
        action_ids=(refusal.details or {}).get("action_ids", []),
    )
    raise refusal.on_record()


def _record_refusal(
    session: Session,
    *,
    org_id: str,
    typed: str,
    e164: str | None,
    reasons: list[str],
    operation: str,
    actor: Actor,
    now: datetime,
    **extra: Any,
) -> None:
    """The `number.refused` evidence of a number someone tried to use and was refused."""
    audit.record(
        session,
        actor=actor,
        action=AuditAction.NUMBER_REFUSED,
        at=now,
        org_id=org_id,
        target_type="number",
        target_id=e164,
        details={
            "typed": typed[:_TYPED_KEPT],
            "e164": e164,
            "reasons": reasons,
            "operation": operation,
            **extra,
        },
    )


def require_callable(session: Session, *, org_id: str, contact_ids: Sequence[str]) -> None:
    """Refuse configuration that would call a contact whose number cannot be called."""
    if not contact_ids:
        return
    contacts = session.scalars(
        select(Contact).where(Contact.org_id == org_id, Contact.id.in_(contact_ids), PLAIN)
    ).all()
    for contact in contacts:
        if contact.blocked_reason is not None:
            raise Conflict(
                f"{contact.name} ({contact.phone_e164}) cannot be called: {contact.blocked_reason}",
                code="contact_blocked",
                details={"contact_id": contact.id},
            )
        state = state_of(session, org_id=org_id, number=contact.phone_e164)
        if state != NumberState.VERIFIED:
            refused = f"{contact.name} ({contact.phone_e164}) cannot be called: {REASONS[state]}"
            raise Conflict(
                f"{refused}; verify it first with "
                f"POST /v1/orgs/{org_id}/contacts/{contact.id}/verification",
                code=Refusal(state, "").code,
                details={"contact_id": contact.id, "state": state.value},
                cli_message=f"{refused}; verify it first: tocsin contact verify {contact.id} "
                f"--org {org_id}, then tocsin contact confirm {contact.id} CODE --org {org_id}",
            )


def check_contacts(session: Session, *, org_id: str, contact_ids: Sequence[str]) -> None:
    """NotFound unless every id is a plain contact of this organization (which is also the
    tenant check; a member's own number is paged through the member), and a conflict unless
    each can be called (its owner verified the number)."""
    wanted = set(contact_ids)
    if not wanted:
        return
    found = set(
        session.scalars(
            select(Contact.id).where(Contact.org_id == org_id, Contact.id.in_(wanted), PLAIN)
        )
    )
    missing = sorted(wanted - found)
    if missing:
        raise NotFound(f"contact not found: {missing[0]}", code="contact_not_found")
    require_callable(session, org_id=org_id, contact_ids=sorted(wanted))
