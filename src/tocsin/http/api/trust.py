"""The do-not-call list, the audit trail of an organization, and security.txt."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse

from tocsin.accounts.models import Role, Scope
from tocsin.audit import trail
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.http.api.deps import Caller, get_caller, get_runtime
from tocsin.http.api.route import PUBLIC, ApiRoute
from tocsin.http.api.schemas.common import Limit, PageOut, errors, page_of
from tocsin.http.api.schemas.trust import AuditEventOut, DoNotCallAdded, DoNotCallIn, DoNotCallOut
from tocsin.numbers import do_not_call
from tocsin.organizations.queries import organization
from tocsin.paging.opt_out import stop_calling
from tocsin.runtime import Runtime

router = APIRouter(
    prefix="/v1/orgs/{org_id}/do-not-call",
    tags=["do-not-call"],
    route_class=ApiRoute,
)


@router.post(
    "",
    status_code=201,
    response_model=DoNotCallAdded,
    summary="Stop calling a number",
    responses=errors((422, "invalid_number", "this is not a phone number")),
)
def add_number(
    org_id: str, body: DoNotCallIn, caller: Caller = Depends(get_caller)
) -> DoNotCallAdded:
    """Stop calling a number for this organization, at once; queued calls to it are cancelled
    and their escalations move on. Any member may do this, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True) as (s, access):
        org = organization(s, org_id)
        region = body.region or (org.home_region if org else None)
        entry, cancelled = stop_calling(
            s,
            org_id=org_id,
            number=do_not_call.e164_of(body.number, region),
            source="api",
            actor=access.actor,
            now=now,
        )
        return DoNotCallAdded(
            **DoNotCallOut.model_validate(entry).model_dump(), calls_cancelled=cancelled
        )


@router.get("", response_model=PageOut[DoNotCallOut], summary="List the do-not-call numbers")
def list_numbers(
    org_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[DoNotCallOut]:
    """The numbers this organization does not call, lifted ones too. Any member, or a key with
    `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        page = do_not_call.list_entries(s, org_id=org_id, limit=limit, cursor=cursor)
        return page_of(page, DoNotCallOut)


audit_router = APIRouter(
    prefix="/v1/orgs/{org_id}/audit",
    tags=["audit"],
    route_class=ApiRoute,
)


@audit_router.get("", response_model=PageOut[AuditEventOut], summary="Read the audit trail")
def list_audit_events(
    org_id: str,
    action: str | None = Query(
        None, description="Only this action, or a prefix of it ending in '.' (e.g. 'call.')"
    ),
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[AuditEventOut]:
    """The organization's audit trail, newest first: sign-ins, keys, configuration, calls,
    billing and enforcement. Admins and owners, or a key with `read`."""
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.READ, write=False) as (s, _):
        page = trail.list_events(s, org_id=org_id, action=action, limit=limit, cursor=cursor)
        return page_of(page, AuditEventOut)


security_router = APIRouter(tags=["security"])


@security_router.get(
    "/.well-known/security.txt",
    response_class=PlainTextResponse,
    summary="Where to report a vulnerability",
    openapi_extra=PUBLIC,
    responses={
        200: {
            "content": {
                "text/plain": {
                    "example": "Contact: mailto:security@tocsin.example.com\n"
                    "Expires: 2026-01-01T12:00:00.000Z\nPreferred-Languages: en\n"
                    "Canonical: https://tocsin.example.com/.well-known/security.txt\n"
                }
            }
        }
    },
)
def security_txt(runtime: Runtime = Depends(get_runtime)) -> str:
    """RFC 9116: where to report a vulnerability (TOCSIN_SECURITY_CONTACT). Anyone."""
    settings = runtime.settings
    base = settings.public_base_url.rstrip("/")
    expires = runtime.clock.now() + timedelta(days=365)
    lines = [
        f"Contact: {settings.security_contact or 'mailto:security@' + _host(base)}",
        f"Expires: {expires:%Y-%m-%dT%H:%M:%S}.000Z",
        "Preferred-Languages: en",
        f"Canonical: {base}/.well-known/security.txt",
    ]
    return "\n".join(lines) + "\n"


def _host(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"
