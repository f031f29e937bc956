"""The language Tocsin speaks to a number in its own words (a verification code, a test call),
chosen as an alert call's is (`paging.call_language`): the number's own, else, for a member's own
number, the member's, else the organization's (`telephony.prompts.resolve_language`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tocsin.accounts.models import Membership, Organization
from tocsin.contacts.models import Contact
from tocsin.telephony.prompts import resolve_language


def language_of_number(session: Session, contact: Contact, org: Organization) -> str:
    """The language of a code or a test call to `contact`, one of `org`'s numbers."""
    member = session.get(Membership, (org.id, contact.user_id)) if contact.user_id else None
    return resolve_language(
        [contact.language, member.language if member is not None else None, org.language]
    )
