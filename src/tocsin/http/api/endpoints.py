"""Endpoints and contacts API, scoped to one organization."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request

from tocsin.accounts.models import Role, Scope
from tocsin.contacts import commands as contact_commands
from tocsin.contacts import queries as contact_queries
from tocsin.contacts.models import Contact
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.db.session import Session
from tocsin.endpoints import commands, queries
from tocsin.endpoints.checks import checked_template
from tocsin.endpoints.models import Endpoint, RoutingMode
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.hooks import read_capped_body
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.alerts import ALERT_BODY
from tocsin.http.api.schemas.common import Limit, PageOut, errors
from tocsin.http.api.schemas.endpoints import (
    ContactIn,
    ContactOut,
    ContactPatch,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    PreviewCall,
    PreviewOut,
)
from tocsin.intake.preview import preview
from tocsin.numbers import consent

router = APIRouter(prefix="/v1/orgs/{org_id}", route_class=ApiRoute)


def endpoint_out(session: Session, endpoint: Endpoint, base_url: str) -> EndpointOut:
    return EndpointOut(
        id=endpoint.id,
        name=endpoint.name,
        require_key=endpoint.require_key,
        routing=RoutingMode(endpoint.routing),
        contact_ids=[contact.id for contact in queries.endpoint_contacts(session, endpoint.id)],
        rules=endpoint.rules,
        template=endpoint.template,
        caller_id_id=endpoint.caller_id_id,
        webhook_url=queries.webhook_url(base_url, endpoint.id),
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
        project_id=endpoint.project_id,
    )


# Contacts ---------------------------------------------------------------------------------------


def contact_out(session: Session, contact: Contact) -> ContactOut:
    state = consent.state_of(session, org_id=contact.org_id, number=contact.phone_e164)
    return ContactOut(
        id=contact.id,
        name=contact.name,
        phone_e164=contact.phone_e164,
        number_state=state,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
        blocked_at=contact.blocked_at,
        blocked_reason=contact.blocked_reason,
        language=contact.language,
    )


_NOT_CALLABLE = (422, "number_blocked", "this number cannot be called: premium_rate")
_CONTACT_NOT_FOUND = (404, "contact_not_found", "contact not found")
_ENDPOINT_NOT_FOUND = (404, "endpoint_not_found", "endpoint not found")
_RENDERERS_BUSY = (503, "template_renderers_busy", "every template renderer is busy; try again")
_CONTACT_REFUSED = (409, "number_unverified", "Ada (+447400123456) cannot be called: verify it")


@router.post(
    "/contacts",
    status_code=201,
    response_model=ContactOut,
    tags=["contacts"],
    summary="Add a contact",
    responses=errors(403, _NOT_CALLABLE),
)
def create_contact(
    org_id: str, body: ContactIn, caller: Caller = Depends(get_caller)
) -> ContactOut:
    """A number to call, screened first (emergency, premium rate, sanctioned countries... are
    refused). It is called only once its owner verified it (POST .../verification). Admins and
    owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        contact = contact_commands.create_contact(
            s,
            org_id=org_id,
            name=body.name,
            phone=body.phone,
            region=body.region,
            actor=access.actor,
            now=now,
            billing=caller.runtime.billing,
            sanctioned_regions=caller.runtime.settings.sanctioned_region_set(),
            language=body.language,
        )
        return contact_out(s, contact)


@router.get(
    "/contacts", response_model=PageOut[ContactOut], tags=["contacts"], summary="List contacts"
)
def list_contacts(
    org_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[ContactOut]:
    """The organization's contacts, with whether each may be called now. Any member, or a key
    with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        page = contact_queries.list_contacts(s, org_id=org_id, limit=limit, cursor=cursor)
        return PageOut[ContactOut](
            items=[contact_out(s, contact) for contact in page.items],
            next_cursor=page.next_cursor,
        )


@router.get(
    "/contacts/{contact_id}",
    response_model=ContactOut,
    tags=["contacts"],
    summary="Get a contact",
    responses=errors(_CONTACT_NOT_FOUND),
)
def get_contact(org_id: str, contact_id: str, caller: Caller = Depends(get_caller)) -> ContactOut:
    """One contact and whether it may be called now. Any member, or a key with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        return contact_out(s, contact_queries.get_contact(s, org_id=org_id, contact_id=contact_id))


@router.patch(
    "/contacts/{contact_id}",
    response_model=ContactOut,
    tags=["contacts"],
    summary="Update a contact",
    responses=errors(_CONTACT_NOT_FOUND, _NOT_CALLABLE),
)
def update_contact(
    org_id: str, contact_id: str, body: ContactPatch, caller: Caller = Depends(get_caller)
) -> ContactOut:
    """Rename a contact or change its number (screened, and to be verified again). Admins and
    owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        contact = contact_commands.update_contact(
            s,
            org_id=org_id,
            contact_id=contact_id,
            actor=access.actor,
            now=now,
            sanctioned_regions=caller.runtime.settings.sanctioned_region_set(),
            name=body.name,
            phone=body.phone,
            region=body.region,
            language=body.language,
        )
        return contact_out(s, contact)


@router.delete(
    "/contacts/{contact_id}",
    status_code=204,
    tags=["contacts"],
    summary="Delete a contact",
    responses=errors(_CONTACT_NOT_FOUND),
)
def delete_contact(org_id: str, contact_id: str, caller: Caller = Depends(get_caller)) -> None:
    """Delete a contact; endpoints and escalation steps no longer call it. Admins and owners, or
    a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        contact_commands.delete_contact(
            s, org_id=org_id, contact_id=contact_id, actor=access.actor, now=now
        )


# Endpoints --------------------------------------------------------------------------------------


def _check_template(
    caller: Caller, org_id: str, template: str | None, *, endpoint_id: str | None = None
) -> None:
    """A template renders for up to the cage's time limit: for whoever may then save it only,
    and in a read transaction, since a write one would hold every other writer of a SQLite
    database meanwhile. The command's own check then finds the words remembered."""
    if not template:
        return
    with caller.org(
        org_id,
        min_role=Role.ADMIN,
        scope=Scope.WRITE,
        write=False,
        per_endpoint=endpoint_id is not None,
    ) as (_, access):
        if endpoint_id is not None:
            access.require_endpoint(endpoint_id)
        checked_template(template)


@router.post(
    "/endpoints",
    status_code=201,
    response_model=EndpointOut,
    tags=["endpoints"],
    summary="Create an endpoint",
    responses=errors(
        403,
        _CONTACT_NOT_FOUND,
        _CONTACT_REFUSED,
        (422, "invalid_rules", "rules[0].action: unknown time zone"),
        (422, "invalid_template", "template: unexpected end of template"),
        _RENDERERS_BUSY,
    ),
)
def create_endpoint(
    org_id: str, body: EndpointIn, caller: Caller = Depends(get_caller)
) -> EndpointOut:
    """A webhook URL and what an alert sent to it does: its contacts, routing rules and spoken
    template. Admins and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    _check_template(caller, org_id, body.template)
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        endpoint = commands.create_endpoint(
            s,
            org_id=org_id,
            name=body.name,
            actor=access.actor,
            now=now,
            billing=caller.runtime.billing,
            require_key=body.require_key,
            routing=body.routing.value,
            contact_ids=body.contact_ids,
            rules=body.rules,
            template=body.template,
            caller_id_id=body.caller_id_id,
        )
        return endpoint_out(s, endpoint, caller.runtime.settings.public_base_url)


@router.get(
    "/endpoints",
    response_model=PageOut[EndpointOut],
    tags=["endpoints"],
    summary="List endpoints",
)
def list_endpoints(
    org_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[EndpointOut]:
    """The organization's endpoints with their webhook URLs. Any member, or a key with `read`
    (a key bound to an endpoint sees that one only)."""
    base_url = caller.runtime.settings.public_base_url
    with caller.org(
        org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False, per_endpoint=True
    ) as (s, access):
        page = queries.list_endpoints(
            s, org_id=org_id, limit=limit, cursor=cursor, only=access.endpoint_id
        )
        return PageOut[EndpointOut](
            items=[endpoint_out(s, endpoint, base_url) for endpoint in page.items],
            next_cursor=page.next_cursor,
        )


@router.get(
    "/endpoints/{endpoint_id}",
    response_model=EndpointOut,
    tags=["endpoints"],
    summary="Get an endpoint",
    responses=errors(_ENDPOINT_NOT_FOUND),
)
def get_endpoint(
    org_id: str, endpoint_id: str, caller: Caller = Depends(get_caller)
) -> EndpointOut:
    """One endpoint, its rules and webhook URL. Any member, or a key with `read` (a key bound
    to another endpoint is refused)."""
    with caller.org(
        org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False, per_endpoint=True
    ) as (s, access):
        access.require_endpoint(endpoint_id)
        endpoint = queries.get_endpoint(s, org_id=org_id, endpoint_id=endpoint_id)
        return endpoint_out(s, endpoint, caller.runtime.settings.public_base_url)


@router.patch(
    "/endpoints/{endpoint_id}",
    response_model=EndpointOut,
    tags=["endpoints"],
    summary="Update an endpoint",
    responses=errors(
        _ENDPOINT_NOT_FOUND,
        _CONTACT_NOT_FOUND,
        _CONTACT_REFUSED,
        (422, "invalid_rules", "rules[0].action: unknown time zone"),
        (422, "invalid_template", "template: unexpected end of template"),
        _RENDERERS_BUSY,
    ),
)
def update_endpoint(
    org_id: str, endpoint_id: str, body: EndpointPatch, caller: Caller = Depends(get_caller)
) -> EndpointOut:
    """Change what the fields given say; absent fields stay. Admins and owners, or a key with
    `write` (bound to this endpoint, if bound)."""
    now = caller.runtime.clock.now()
    _check_template(caller, org_id, body.template, endpoint_id=endpoint_id)
    with caller.org(
        org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True, per_endpoint=True
    ) as (s, access):
        access.require_endpoint(endpoint_id)
        endpoint = commands.update_endpoint(
            s,
            org_id=org_id,
            endpoint_id=endpoint_id,
            actor=access.actor,
            now=now,
            name=body.name,
            require_key=body.require_key,
            routing=body.routing.value if body.routing else None,
            contact_ids=body.contact_ids,
            rules=body.rules,
            template=body.template,
            caller_id_id=body.caller_id_id,
        )
        return endpoint_out(s, endpoint, caller.runtime.settings.public_base_url)


@router.delete(
    "/endpoints/{endpoint_id}",
    status_code=204,
    tags=["endpoints"],
    summary="Delete an endpoint",
    responses=errors(_ENDPOINT_NOT_FOUND),
)
def delete_endpoint(org_id: str, endpoint_id: str, caller: Caller = Depends(get_caller)) -> None:
    """Its webhook URL answers 404 from now on. Admins and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(
        org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True, per_endpoint=True
    ) as (s, access):
        access.require_endpoint(endpoint_id)
        commands.delete_endpoint(
            s, org_id=org_id, endpoint_id=endpoint_id, actor=access.actor, now=now
        )


@router.post(
    "/endpoints/{endpoint_id}/preview",
    response_model=PreviewOut,
    tags=["endpoints"],
    summary="Preview a webhook",
    responses=errors(_ENDPOINT_NOT_FOUND, 413, 429, _RENDERERS_BUSY),
    # Only the body is previewed: it is required.
    openapi_extra={"requestBody": {**ALERT_BODY, "required": True}},
)
async def preview_endpoint(
    org_id: str, endpoint_id: str, request: Request, caller: Caller = Depends(get_caller)
) -> PreviewOut:
    """Read, route and word a sample webhook body as the endpoint would, calling no one and
    storing nothing. Any member, or a key with `read`; limited per person and organization,
    since it renders the endpoint's template."""
    runtime = caller.runtime
    body = await read_capped_body(request, runtime.settings.max_payload_bytes)
    content_type = request.headers.get("content-type", "")

    def work() -> PreviewOut:
        with caller.org(
            org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False, per_endpoint=True
        ) as (s, access):
            access.require_endpoint(endpoint_id)
            endpoint = queries.get_endpoint(s, org_id=org_id, endpoint_id=endpoint_id)
            result = preview(
                s,
                endpoint=endpoint,
                body=body,
                content_type=content_type,
                now=runtime.clock.now(),
                max_characters=runtime.settings.max_spoken_characters,
                actor=access.actor,
                limiter=runtime.rate_limiter,
                paging=runtime.paging,
            )
            return PreviewOut(
                source=result.source,
                title=result.title,
                severity=result.severity,
                dedup_key=result.dedup_key,
                route=result.route.describe(),
                steps=result.route.plan,
                first_calls=[
                    PreviewCall(contact_id=t.contact_id, phone_e164=t.phone_e164)
                    for t in result.first_calls
                ],
                spoken_text=result.spoken_text,
                template_problem=result.template_problem,
            )

    return await asyncio.to_thread(work)
