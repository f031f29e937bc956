"""A member's own numbers: adding one (screened as any contact is), removing it, and verifying
it through the consent flow of contacts, by the member themself.

A member's e-mail way is their account's address, proved as the account proves it: there is
nothing to add for it here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.billing.standing import BillingConfig
from tocsin.contacts import commands as contacts
from tocsin.contacts.models import Contact
from tocsin.contacts.verify import (
    Pending,
    VerificationServices,
    confirm_for_number,
    issue_for_number,
)
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput, NotFound
from tocsin.numbers.consent import Withdrawal
from tocsin.numbers.models import ConsentRecord
from tocsin.numbers.verification import Channel, Confirmation, Requester
from tocsin.oncall.access import require_manager, require_self
from tocsin.oncall.models import Method, NotificationRule

# Enough for a mobile, a desk phone and a home line on each channel, with room to change.
MAX_NUMBERS = 10
PHONE_METHODS = (Method.VOICE, Method.SMS)


def get_member_number(session: Session, *, org_id: str, user_id: str, contact_id: str) -> Contact:
    """One of this member's own numbers; NotFound for any other id."""
    contact = session.scalar(
        select(Contact).where(
            Contact.id == contact_id, Contact.org_id == org_id, Contact.user_id == user_id
        )
    )
    if contact is None:
        raise NotFound("number not found", code="contact_not_found")
    return contact


def add_member_number(
    session: Session,
    *,
    org_id: str,
    user_id: str,
    name: str,
    phone: str,
    region: str | None,
    method: Method,
    actor: Actor,
    now: datetime,
    billing: BillingConfig,
    sanctioned_regions: frozenset[str],
) -> Contact:
    """A voice or SMS number of the member, unverified until they type back its code."""
    require_manager(session, org_id=org_id, user_id=user_id, actor=actor)
    if method not in PHONE_METHODS:
        raise InvalidInput(
            "a member's e-mail is their account's address; add a voice or sms number",
            code="invalid_method",
        )
    held = session.scalar(
        select(func.count())
        .select_from(Contact)
        .where(Contact.org_id == org_id, Contact.user_id == user_id)
    )
    if (held or 0) >= MAX_NUMBERS:
        raise Conflict(f"a member may have {MAX_NUMBERS} numbers", code="too_many_numbers")
    contact = contacts.add_number(
        session,
        org_id=org_id,
        name=name,
        phone=phone,
        region=region,
        actor=actor,
        now=now,
        billing=billing,
        sanctioned_regions=sanctioned_regions,
        operation="person.add_number",
        user_id=user_id,
        channel=method.value,
    )
    audit.record(
        session,
        actor=actor,
        action=AuditAction.PERSON_NUMBER_ADDED,
        at=now,
        org_id=org_id,
        target_type="user",
        target_id=user_id,
        details={"contact_id": contact.id, "method": method.value},
    )
    return contact


def remove_member_number(
    session: Session, *, org_id: str, user_id: str, contact_id: str, actor: Actor, now: datetime
) -> None:
    """The number goes with the rules that name it, and the consent it carried."""
    require_manager(session, org_id=org_id, user_id=user_id, actor=actor)
    contact = get_member_number(session, org_id=org_id, user_id=user_id, contact_id=contact_id)
    session.execute(
        delete(NotificationRule)
        .where(NotificationRule.org_id == org_id, NotificationRule.contact_id == contact_id)
        .execution_options(synchronize_session=False)
    )
    contacts.discard_number(session, contact, Withdrawal.CONTACT_DELETED, actor=actor, now=now)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.PERSON_NUMBER_REMOVED,
        at=now,
        org_id=org_id,
        target_type="user",
        target_id=user_id,
        details={"contact_id": contact_id},
    )


def send_member_code(
    session: Session,
    services: VerificationServices,
    *,
    org_id: str,
    user_id: str,
    contact_id: str,
    channel: Channel | None,
    requester: Requester,
    now: datetime,
) -> Pending:
    """A code to the member's number, asked for by the member themself: by a text to an SMS
    number and a call to a voice one unless `channel` says otherwise."""
    require_self(session, org_id=org_id, user_id=user_id, actor=requester.actor)
    contact = get_member_number(session, org_id=org_id, user_id=user_id, contact_id=contact_id)
    chosen = channel or (Channel.SMS if contact.channel == Method.SMS.value else Channel.CALL)
    return issue_for_number(
        session, services, contact=contact, channel=chosen, requester=requester, now=now
    )


def confirm_member_code(
    session: Session,
    services: VerificationServices,
    *,
    org_id: str,
    user_id: str,
    contact_id: str,
    code: str,
    verification_id: str | None,
    actor: Actor,
    user_agent: str | None,
    now: datetime,
) -> tuple[Confirmation, ConsentRecord | None]:
    """The member types back the code: the consent is recorded as theirs (through whichever
    key of theirs they used), which is what makes the number count for paging them."""
    require_self(session, org_id=org_id, user_id=user_id, actor=actor)
    contact = get_member_number(session, org_id=org_id, user_id=user_id, contact_id=contact_id)
    return confirm_for_number(
        session,
        services,
        contact=contact,
        code=code,
        verification_id=verification_id,
        actor=Actor("user", user_id, actor.ip_address),
        user_agent=user_agent,
        now=now,
    )
