"""Endpoints and contacts. Every lookup is scoped by organization: ids alone never suffice."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from tocsin.accounts.models import ApiKey, Organization
from tocsin.accounts.service import calling_policy
from tocsin.contacts.models import Contact
from tocsin.core.errors import InvalidInput, NotFound
from tocsin.core.ids import new_id
from tocsin.core.pagination import Page, paginate
from tocsin.endpoints.models import Endpoint, EndpointContact, RoutingMode
from tocsin.endpoints.scenarios import validated_rules
from tocsin.messages import check_template
from tocsin.numbers import consent
from tocsin.policy.numbers import checked_number


def webhook_url(base_url: str, endpoint_id: str) -> str:
    return f"{base_url.rstrip('/')}/v1/hooks/{endpoint_id}"


def _clean_name(value: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > 200:
        raise InvalidInput("name must be 1 to 200 characters", code="invalid_name")
    return cleaned


def _routing(value: str) -> str:
    try:
        return RoutingMode(value).value
    except ValueError as exc:
        allowed = ", ".join(mode.value for mode in RoutingMode)
        raise InvalidInput(f"routing must be one of: {allowed}", code="invalid_routing") from exc


# Contacts ---------------------------------------------------------------------------------------


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


def create_contact(
    session: Session,
    *,
    org_id: str,
    name: str,
    phone: str,
    region: str | None,
    now: datetime,
    sanctioned_regions: frozenset[str],
) -> Contact:
    e164 = screened_number(
        session, org_id=org_id, phone=phone, region=region, sanctioned_regions=sanctioned_regions
    )
    contact = Contact(
        id=new_id("ct"),
        org_id=org_id,
        name=_clean_name(name),
        phone_e164=e164,
        created_at=now,
        updated_at=now,
    )
    session.add(contact)
    session.flush()
    return contact


def get_contact(session: Session, *, org_id: str, contact_id: str) -> Contact:
    contact = session.scalar(
        select(Contact).where(Contact.id == contact_id, Contact.org_id == org_id)
    )
    if contact is None:
        raise NotFound("contact not found", code="contact_not_found")
    return contact


def update_contact(
    session: Session,
    *,
    org_id: str,
    contact_id: str,
    now: datetime,
    sanctioned_regions: frozenset[str],
    name: str | None = None,
    phone: str | None = None,
    region: str | None = None,
) -> Contact:
    contact = get_contact(session, org_id=org_id, contact_id=contact_id)
    if name is not None:
        contact.name = _clean_name(name)
    if phone is not None:
        contact.phone_e164 = screened_number(
            session,
            org_id=org_id,
            phone=phone,
            region=region,
            sanctioned_regions=sanctioned_regions,
        )
    contact.updated_at = now
    return contact


def delete_contact(session: Session, *, org_id: str, contact_id: str) -> None:
    session.delete(get_contact(session, org_id=org_id, contact_id=contact_id))


def list_contacts(
    session: Session, *, org_id: str, limit: int, cursor: str | None
) -> Page[Contact]:
    query = select(Contact).where(Contact.org_id == org_id)
    return paginate(session, query, Contact.id, limit=limit, cursor=cursor)


def all_contacts(session: Session, *, org_id: str) -> list[Contact]:
    return list(
        session.scalars(select(Contact).where(Contact.org_id == org_id).order_by(Contact.id))
    )


# Endpoints --------------------------------------------------------------------------------------


def create_endpoint(
    session: Session,
    *,
    org_id: str,
    name: str,
    now: datetime,
    require_key: bool = True,
    routing: str = RoutingMode.PRIMARY.value,
    contact_ids: list[str] | None = None,
    rules: list[dict[str, Any]] | None = None,
    template: str | None = None,
) -> Endpoint:
    endpoint = Endpoint(
        id=new_id("ep"),
        org_id=org_id,
        name=_clean_name(name),
        require_key=require_key,
        routing=_routing(routing),
        rules=validated_rules(session, org_id=org_id, rules=rules or []),
        template=_checked_template(template),
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    session.flush()
    if contact_ids:
        set_endpoint_contacts(session, endpoint=endpoint, contact_ids=contact_ids)
    return endpoint


def _checked_template(template: str | None) -> str | None:
    """The template to store (None for the default); InvalidInput if it does not render."""
    if template is None or not template.strip():
        return None
    check_template(template)
    return template


def get_endpoint(session: Session, *, org_id: str, endpoint_id: str) -> Endpoint:
    endpoint = session.scalar(
        select(Endpoint).where(Endpoint.id == endpoint_id, Endpoint.org_id == org_id)
    )
    if endpoint is None:
        raise NotFound("endpoint not found", code="endpoint_not_found")
    return endpoint


def update_endpoint(
    session: Session,
    *,
    org_id: str,
    endpoint_id: str,
    now: datetime,
    name: str | None = None,
    require_key: bool | None = None,
    routing: str | None = None,
    contact_ids: list[str] | None = None,
    rules: list[dict[str, Any]] | None = None,
    template: str | None = None,
) -> Endpoint:
    """None leaves a field as it is; an empty `template` goes back to the default."""
    endpoint = get_endpoint(session, org_id=org_id, endpoint_id=endpoint_id)
    if rules is not None:
        endpoint.rules = validated_rules(session, org_id=org_id, rules=rules)
    if template is not None:
        endpoint.template = _checked_template(template)
    if name is not None:
        endpoint.name = _clean_name(name)
    if require_key is not None:
        endpoint.require_key = require_key
    if routing is not None:
        endpoint.routing = _routing(routing)
    if contact_ids is not None:
        set_endpoint_contacts(session, endpoint=endpoint, contact_ids=contact_ids)
    endpoint.updated_at = now
    return endpoint


def delete_endpoint(session: Session, *, org_id: str, endpoint_id: str, now: datetime) -> None:
    session.delete(get_endpoint(session, org_id=org_id, endpoint_id=endpoint_id))
    # Keys bound to the endpoint can do nothing any more; revoking them says so in the key list.
    session.execute(
        update(ApiKey)
        .where(ApiKey.endpoint_id == endpoint_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


def list_endpoints(
    session: Session, *, org_id: str, limit: int, cursor: str | None
) -> Page[Endpoint]:
    query = select(Endpoint).where(Endpoint.org_id == org_id)
    return paginate(session, query, Endpoint.id, limit=limit, cursor=cursor)


def set_endpoint_contacts(session: Session, *, endpoint: Endpoint, contact_ids: list[str]) -> None:
    if len(set(contact_ids)) != len(contact_ids):
        raise InvalidInput("a contact is listed twice", code="duplicate_contact")
    for contact_id in contact_ids:
        # Also the tenant check: a contact of another organization is simply not found.
        get_contact(session, org_id=endpoint.org_id, contact_id=contact_id)
    consent.require_callable(session, org_id=endpoint.org_id, contact_ids=contact_ids)
    session.execute(delete(EndpointContact).where(EndpointContact.endpoint_id == endpoint.id))
    session.add_all(
        EndpointContact(endpoint_id=endpoint.id, contact_id=contact_id, position=position)
        for position, contact_id in enumerate(contact_ids)
    )
    session.flush()


class EndpointRoute(NamedTuple):
    """What ingest needs of an endpoint, read without loading the ORM object."""

    id: str
    org_id: str
    require_key: bool
    routing: str
    rules: list[dict[str, Any]]


_ROUTE = select(
    Endpoint.id, Endpoint.org_id, Endpoint.require_key, Endpoint.routing, Endpoint.rules
).where(Endpoint.id == bindparam("endpoint_id"))


def find_route(session: Session, endpoint_id: str) -> EndpointRoute | None:
    row = session.execute(_ROUTE, {"endpoint_id": endpoint_id}).one_or_none()
    return EndpointRoute(*row) if row is not None else None


class CallTarget(NamedTuple):
    contact_id: str
    phone_e164: str


_CALL_TARGETS = (
    select(Contact.id, Contact.phone_e164)
    .join(EndpointContact, EndpointContact.contact_id == Contact.id)
    .where(EndpointContact.endpoint_id == bindparam("endpoint_id"))
    .order_by(EndpointContact.position)
)


def call_targets(session: Session, endpoint_id: str) -> list[CallTarget]:
    """An endpoint's contacts in calling order, as plain rows for the ingest hot path."""
    rows = session.execute(_CALL_TARGETS, {"endpoint_id": endpoint_id})
    return [CallTarget(contact_id, phone) for contact_id, phone in rows]


def endpoint_contacts(session: Session, endpoint_id: str) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact)
            .join(EndpointContact, EndpointContact.contact_id == Contact.id)
            .where(EndpointContact.endpoint_id == endpoint_id)
            .order_by(EndpointContact.position)
        )
    )
