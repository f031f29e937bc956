"""Adding, changing and removing contacts: the one way the API, the dashboard and the shell all
use. Each command checks, changes and audits inside the caller's transaction and never
commits."""

from __future__ import annotations

from datetime import datetime

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
from tocsin.restrictions.blocks import require_writable


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
) -> Contact:
    """A new contact, within the plan's limit, its number screened under the organization's
    calling policy."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    check_room(session, org_id=org_id, resource=Resource.CONTACTS, billing=billing, now=now)
    e164 = screened_or_refused(
        session,
        org_id=org_id,
        phone=phone,
        region=region,
        sanctioned_regions=sanctioned_regions,
        operation="contact.create",
        actor=actor,
        now=now,
    )
    contact = Contact(
        id=new_id("ct"),
        org_id=org_id,
        name=clean_name(name),
        phone_e164=e164,
        created_at=now,
        updated_at=now,
    )
    session.add(contact)
    session.flush()
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
) -> Contact:
    """None leaves a field as it is; a new number is screened as a new contact's would be."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    contact = get_contact(session, org_id=org_id, contact_id=contact_id)
    # The number first: a refusal keeps its record, so nothing else may have changed by then.
    if phone is not None:
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
    if name is not None:
        contact.name = clean_name(name)
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


def delete_contact(
    session: Session, *, org_id: str, contact_id: str, actor: Actor, now: datetime
) -> None:
    require_writable(session, org_id=org_id, actor=actor, now=now)
    session.delete(get_contact(session, org_id=org_id, contact_id=contact_id))
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CONTACT_DELETED,
        at=now,
        org_id=org_id,
        target_type="contact",
        target_id=contact_id,
    )
