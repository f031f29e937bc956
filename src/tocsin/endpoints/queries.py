"""Reading endpoints and escalation policies. Every lookup a person makes is scoped by
organization: ids alone never suffice. The webhook's own reads (`find_route`, `call_targets`)
are plain rows on the hot path."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from tocsin.accounts.models import ApiKey
from tocsin.contacts.models import Contact
from tocsin.core.errors import NotFound
from tocsin.core.pagination import Page, paginate
from tocsin.db.statements import run
from tocsin.endpoints.models import Endpoint, EndpointContact, EscalationPolicy
from tocsin.routing.targets import CallTarget


def webhook_url(base_url: str, endpoint_id: str) -> str:
    return f"{base_url.rstrip('/')}/v1/hooks/{endpoint_id}"


# Endpoints --------------------------------------------------------------------------------------


def endpoint_not_found() -> NotFound:
    return NotFound("endpoint not found", code="endpoint_not_found")


def get_endpoint(session: Session, *, org_id: str, endpoint_id: str) -> Endpoint:
    endpoint = session.scalar(
        select(Endpoint).where(Endpoint.id == endpoint_id, Endpoint.org_id == org_id)
    )
    if endpoint is None:
        raise endpoint_not_found()
    return endpoint


def list_endpoints(
    session: Session, *, org_id: str, limit: int, cursor: str | None, only: str | None = None
) -> Page[Endpoint]:
    """The organization's endpoints; with `only`, that one (an endpoint-bound key's) at most."""
    query = select(Endpoint).where(Endpoint.org_id == org_id)
    if only is not None:
        query = query.where(Endpoint.id == only)
    return paginate(session, query, Endpoint.id, limit=limit, cursor=cursor)


def endpoint_contacts(session: Session, endpoint_id: str) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact)
            .join(EndpointContact, EndpointContact.contact_id == Contact.id)
            .where(EndpointContact.endpoint_id == endpoint_id)
            .order_by(EndpointContact.position)
        )
    )


def endpoint_keys(session: Session, endpoint: Endpoint) -> list[ApiKey]:
    """The keys bound to the endpoint, revoked ones too, newest first."""
    return list(
        session.scalars(
            select(ApiKey)
            .where(ApiKey.org_id == endpoint.org_id, ApiKey.endpoint_id == endpoint.id)
            .order_by(ApiKey.created_at.desc(), ApiKey.id)
        )
    )


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
    row = run(session, _ROUTE, {"endpoint_id": endpoint_id}).one_or_none()
    return EndpointRoute(*row) if row is not None else None


_CALL_TARGETS = (
    select(Contact.id, Contact.phone_e164)
    .join(EndpointContact, EndpointContact.contact_id == Contact.id)
    .where(EndpointContact.endpoint_id == bindparam("endpoint_id"))
    .order_by(EndpointContact.position)
)


def call_targets(session: Session, endpoint_id: str) -> list[CallTarget]:
    """An endpoint's contacts in calling order, as plain rows for the ingest hot path."""
    rows = run(session, _CALL_TARGETS, {"endpoint_id": endpoint_id})
    return [CallTarget(contact_id, phone) for contact_id, phone in rows]


# Escalation policies ----------------------------------------------------------------------------


def get_policy(session: Session, *, org_id: str, policy_id: str) -> EscalationPolicy:
    policy = session.scalar(
        select(EscalationPolicy).where(
            EscalationPolicy.id == policy_id, EscalationPolicy.org_id == org_id
        )
    )
    if policy is None:
        raise NotFound("escalation policy not found", code="escalation_not_found")
    return policy


def list_policies(
    session: Session, *, org_id: str, limit: int, cursor: str | None
) -> Page[EscalationPolicy]:
    query = select(EscalationPolicy).where(EscalationPolicy.org_id == org_id)
    return paginate(session, query, EscalationPolicy.id, limit=limit, cursor=cursor)
