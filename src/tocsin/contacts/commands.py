"""Adding, changing and removing contacts: the one way the API, the dashboard and the shell all
use. Each command checks, changes and audits inside the caller's transaction and never
commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.billing.limits import Resource, check_room
from tocsin.billing.standing import BillingConfig
from tocsin.contacts.checks import screened_or_refused
from tocsin.contacts.models import Contact
from tocsin.contacts.queries import get_contact
from tocsin.core.actors import Actor
from tocsin.core.ids import new_id
from tocsin.core.names import clean_name
from tocsin.numbers import consent
from tocsin.numbers.consent import Withdrawal
from tocsin.restrictions.blocks import require_writable
from tocsin.telephony.prompts import check_language


def create_contact(
    session: Session,
    *,
    org_id: str,
    name: str,
    phone: str,
    region: str | None,
    actor: Actor,
    now: datetime,
    billing: BillingConfig,
    sanctioned_regions: frozenset[str],
    language: str | None = None,
) -> Contact:
    """A new contact, within the plan's limit, its number screened under the organization's
    calling policy. `language` is the language its calls speak (InvalidInput
    `unknown_language` for a code the catalogue lacks); None or empty: the organization's."""
    chosen = _language(language)
    contact = add_number(
        session,
        org_id=org_id,
        name=name,
        phone=phone,
        region=region,
        actor=actor,
        now=now,
        billing=billing,
        sanctioned_regions=sanctioned_regions,
        operation="contact.create",
    )
    contact.language = chosen
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CONTACT_CREATED,
        at=now,
        org_id=org_id,
        target_type="contact",
        target_id=contact.id,
    )
    return contact


def add_number(
    session: Session,
    *,
    org_id: str,
    name: str,
    phone: str,
    region: str | None,
    actor: Actor,
    now: datetime,
    billing: BillingConfig,
    sanctioned_regions: frozenset[str],
    operation: str,
    user_id: str | None = None,
    channel: str = "voice",
) -> Contact:
    """The row of a new number, checked as every number is (the organization writable, the
    plan's room for contacts, the screen under its calling policy); the caller audits it. A
    member's own number (`user_id`) passes exactly what a contact does: it is called the same."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    check_room(session, org_id=org_id, resource=Resource.CONTACTS, billing=billing, now=now)
    e164 = screened_or_refused(
        session,
        org_id=org_id,
        phone=phone,
        region=region,
        sanctioned_regions=sanctioned_regions,
        operation=operation,
        actor=actor,
        now=now,
    )
    contact = Contact(
        id=new_id("ct"),
        org_id=org_id,
        name=clean_name(name),
        phone_e164=e164,
        user_id=user_id,
        channel=channel,
        created_at=now,
        updated_at=now,
    )
    session.add(contact)
    session.flush()
    return contact


def update_contact(
    session: Session,
    *,
    org_id: str,
    contact_id: str,
    actor: Actor,
    now: datetime,
    sanctioned_regions: frozenset[str],
    name: str | None = None,
    phone: str | None = None,
    region: str | None = None,
    language: str | None = None,
) -> Contact:
    """None leaves a field as it is; a new number is screened as a new contact's would be. An
    empty `language` goes back to the organization's."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    contact = get_contact(session, org_id=org_id, contact_id=contact_id)
    chosen = _language(language)
    # The number first: a refusal keeps its record, so nothing else may have changed by then.
    if phone is not None:
        old_number = contact.phone_e164
        contact.phone_e164 = screened_or_refused(
            session,
            org_id=org_id,
            phone=phone,
            region=region,
            sanctioned_regions=sanctioned_regions,
            operation="contact.update",
            actor=actor,
            now=now,
        )
        # A new number passed today's policy: whatever blocked the old one is gone.
        contact.blocked_at, contact.blocked_reason = None, None
        if contact.phone_e164 != old_number:
            _withdraw_consent(
                session, contact, old_number, Withdrawal.NUMBER_CHANGED, actor=actor, now=now
            )
    if name is not None:
        contact.name = clean_name(name)
    if language is not None:
        contact.language = chosen
    contact.updated_at = now
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CONTACT_UPDATED,
        at=now,
        org_id=org_id,
        target_type="contact",
        target_id=contact_id,
    )
    return contact


def _language(language: str | None) -> str | None:
    """A language of the catalogue, or None (the organization's) for none or an empty one."""
    return check_language(language) if language and language.strip() else None


def delete_contact(
    session: Session, *, org_id: str, contact_id: str, actor: Actor, now: datetime
) -> None:
    """Remove the contact and withdraw the consent its number gave the organization (kept as
    evidence): adding the number again needs its owner to verify it again."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    contact = get_contact(session, org_id=org_id, contact_id=contact_id)
    discard_number(session, contact, Withdrawal.CONTACT_DELETED, actor=actor, now=now)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CONTACT_DELETED,
        at=now,
        org_id=org_id,
        target_type="contact",
        target_id=contact_id,
    )


def discard_number(
    session: Session, contact: Contact, reason: Withdrawal, *, actor: Actor, now: datetime
) -> None:
    """Delete a number's row and withdraw the consent it carried; the caller audits it."""
    _withdraw_consent(session, contact, contact.phone_e164, reason, actor=actor, now=now)
    session.delete(contact)
    session.flush()


def _withdraw_consent(
    session: Session,
    contact: Contact,
    number: str,
    reason: Withdrawal,
    *,
    actor: Actor,
    now: datetime,
) -> None:
    """The contact no longer carries `number`: the organization's consent for it goes, unless
    another of its contacts still carries the number. Consent counts per organization and
    number, whichever contact a record was given through, so withdrawing any of it then would
    make the remaining contact uncallable."""
    still_carried = session.scalar(
        select(Contact.id)
        .where(
            Contact.org_id == contact.org_id,
            Contact.phone_e164 == number,
            Contact.id != contact.id,
        )
        .limit(1)
    )
    if still_carried is not None:
        return
    consent.withdraw(
        session,
        org_id=contact.org_id,
        number=number,
        contact_id=contact.id,
        reason=reason,
        actor=actor,
        now=now,
    )
