"""Adding contacts and endpoints the one way the API, the dashboard and the shell all use:
within the plan's limits, screened, and audited as whoever did it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.billing.limits import Resource, check_room
from tocsin.billing.standing import BillingConfig
from tocsin.contacts.models import Contact
from tocsin.core.actors import Actor
from tocsin.endpoints import service
from tocsin.endpoints.models import Endpoint


def add_contact(
    session: Session,
    *,
    org_id: str,
    name: str,
    phone: str,
    region: str | None,
    actor: Actor,
    billing: BillingConfig,
    sanctioned_regions: frozenset[str],
    now: datetime,
) -> Contact:
    check_room(session, org_id=org_id, resource=Resource.CONTACTS, billing=billing, now=now)
    contact = service.create_contact(
        session,
        org_id=org_id,
        name=name,
        phone=phone,
        region=region,
        now=now,
        sanctioned_regions=sanctioned_regions,
    )
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


def add_endpoint(
    session: Session,
    *,
    org_id: str,
    name: str,
    actor: Actor,
    billing: BillingConfig,
    now: datetime,
    **settings: Any,
) -> Endpoint:
    """`settings` are `service.create_endpoint`'s: contact_ids, require_key, routing, rules,
    template."""
    check_room(session, org_id=org_id, resource=Resource.ENDPOINTS, billing=billing, now=now)
    endpoint = service.create_endpoint(session, org_id=org_id, name=name, now=now, **settings)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ENDPOINT_CREATED,
        at=now,
        org_id=org_id,
        target_type="endpoint",
        target_id=endpoint.id,
    )
    return endpoint
