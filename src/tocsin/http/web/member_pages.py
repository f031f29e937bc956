"""The members page: who belongs to the organization with which role, and invites."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts import service as accounts
from tocsin.accounts.models import Role
from tocsin.core.errors import InvalidInput, TocsinError
from tocsin.http.api.auth import OrgAccess
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form, text
from tocsin.http.web.render import render
from tocsin.organizations import commands, queries

router = APIRouter(include_in_schema=False)

INVITE_ROLES = (Role.MEMBER, Role.ADMIN)


def _members_context(viewer: Viewer, org_id: str, **extra: Any) -> dict[str, Any]:
    now = viewer.runtime.clock.now()
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, access):
        admin = _is_admin(access)
        context: dict[str, Any] = {
            "org": accounts.get_organization(db, org_id),
            "section": "members",
            "members": queries.all_members(db, org_id=org_id),
            "is_admin": admin,
            "roles": INVITE_ROLES,
            # Invites are listed to admins only, as in the API.
            "invites": queries.open_invites(db, org_id=org_id, now=now) if admin else [],
        }
    return {**context, **extra}


def _is_admin(access: OrgAccess) -> bool:
    return access.role is not None and access.role.rank >= Role.ADMIN.rank


@router.get("/o/{org_id}/members")
def members_page(org_id: str, request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    return render(request, "members.html", _members_context(viewer, org_id))


def _role(value: str) -> Role:
    try:
        role = Role(value or Role.MEMBER.value)
    except ValueError as exc:
        raise InvalidInput("choose the member or admin role", code="invalid_role") from exc
    return role


@router.post("/o/{org_id}/members/invites")
def create_invite(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    """Answered with the page itself: the code is shown this once, only its digest is kept."""
    runtime = viewer.runtime
    now = runtime.clock.now()
    try:
        role = _role(text(form, "role"))
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            invite, code = commands.create_invite(
                db,
                runtime,
                org_id=org_id,
                role=role,
                email=text(form, "email") or None,
                created_by=viewer.user_id,
                actor=viewer.actor,
                now=now,
            )
    except TocsinError as error:
        context = _members_context(viewer, org_id, error=error)
        return render(request, "members.html", context, status_code=error.status_code)
    return render(
        request, "members.html", _members_context(viewer, org_id, invite_code=code, invite=invite)
    )


@router.post("/o/{org_id}/members/invites/{invite_id}/revoke")
def revoke_invite(
    org_id: str,
    invite_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    _form: FormData = Depends(checked_form),
) -> Response:
    now = viewer.runtime.clock.now()
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.revoke_invite(
                db, org_id=org_id, invite_id=invite_id, actor=viewer.actor, now=now
            )
    except TocsinError as error:
        context = _members_context(viewer, org_id, error=error)
        return render(request, "members.html", context, status_code=error.status_code)
    return RedirectResponse(f"/o/{org_id}/members", status_code=303)
