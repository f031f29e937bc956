"""Reading an organization's contacts. Every lookup is scoped by organization: ids alone never
suffice."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.contacts.models import Contact
from tocsin.core.errors import NotFound
from tocsin.core.pagination import Page, paginate
from tocsin.numbers.models import NumberVerification
from tocsin.numbers.verification import Purpose

# A member's own numbers are contacts with their user_id (oncall/): they belong to that person,
# who alone verifies them and whose notification rules use them, so the contact lists, lookups
# and call targets never show them. They are reached through the member instead.
PLAIN = Contact.user_id.is_(None)


def get_contact(session: Session, *, org_id: str, contact_id: str) -> Contact:
    """A plain contact of the organization (not a member's own number)."""
    contact = session.scalar(
        select(Contact).where(Contact.id == contact_id, Contact.org_id == org_id, PLAIN)
    )
    if contact is None:
        raise NotFound("contact not found", code="contact_not_found")
    return contact


def get_number(session: Session, *, org_id: str, contact_id: str) -> Contact:
    """Any number of the organization, a plain contact or a member's own: for what serves both
    (a code sent to it, a consent given for it)."""
    contact = session.scalar(
        select(Contact).where(Contact.id == contact_id, Contact.org_id == org_id)
    )
    if contact is None:
        raise NotFound("contact not found", code="contact_not_found")
    return contact


def list_contacts(
    session: Session, *, org_id: str, limit: int, cursor: str | None
) -> Page[Contact]:
    query = select(Contact).where(Contact.org_id == org_id, PLAIN)
    return paginate(session, query, Contact.id, limit=limit, cursor=cursor)


def all_contacts(session: Session, *, org_id: str) -> list[Contact]:
    return list(
        session.scalars(select(Contact).where(Contact.org_id == org_id, PLAIN).order_by(Contact.id))
    )


def latest_code_id(session: Session, contact: Contact) -> str | None:
    """The id of the consent code sent last to the contact, if any was."""
    return session.scalar(
        select(NumberVerification.id)
        .where(
            NumberVerification.org_id == contact.org_id,
            NumberVerification.contact_id == contact.id,
            NumberVerification.purpose == Purpose.CONSENT.value,
        )
        .order_by(NumberVerification.created_at.desc(), NumberVerification.id.desc())
        .limit(1)
    )


def pending_code_id(session: Session, contact: Contact, verification_id: str) -> str | None:
    """`verification_id` if it names a code sent to the contact's current number and not yet
    typed back; None otherwise."""
    return session.scalar(
        select(NumberVerification.id).where(
            NumberVerification.id == verification_id,
            NumberVerification.org_id == contact.org_id,
            NumberVerification.contact_id == contact.id,
            NumberVerification.phone_e164 == contact.phone_e164,
            NumberVerification.purpose == Purpose.CONSENT.value,
            NumberVerification.confirmed_at.is_(None),
        )
    )
