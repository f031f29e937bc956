"""Organizations as platform administrators see them: a lookup by name, slug or id, and one
organization's plan, members, endpoints and enforcement history, with the button that
suspends it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from tocsin.accounts.models import Membership, Organization, User
from tocsin.core.errors import NotFound, TocsinError
from tocsin.endpoints.models import Endpoint
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form, text
from tocsin.http.web.render import render
from tocsin.restrictions.kinds import BLOCKING, ActionKind, ActionScope
from tocsin.restrictions.models import EnforcementAction
from tocsin.trust import enforcement

router = APIRouter(include_in_schema=False)

LOOKUP_LIMIT = 50
RECENT_ACTIONS = 20


def is_live(action: EnforcementAction, now: datetime) -> bool:
    """Still in force, so it can be lifted (a lifted or ended one is history)."""
    return action.lifted_at is None and (action.ends_at is None or action.ends_at > now)


def find_organizations(session: Session, query: str) -> list[Organization]:
    """Organizations whose id is `query`, or whose name or slug contains it (any case)."""
    needle = query.strip().lower()
    if not needle:
        return []
    return list(
        session.scalars(
            select(Organization)
            .where(
                or_(
                    Organization.id == query.strip(),
                    func.lower(Organization.name).contains(needle, autoescape=True),
                    func.lower(Organization.slug).contains(needle, autoescape=True),
                )
            )
            .order_by(Organization.name)
            .limit(LOOKUP_LIMIT)
        )
    )


@router.get("/admin/orgs")
def lookup(request: Request, q: str = "", viewer: Viewer = Depends(signed_in)) -> Response:
    with viewer.admin(write=False) as db:
        found = find_organizations(db, q[:200])
    return render(
        request,
        "admin_orgs.html",
        {"section": "admin", "tab": "orgs", "q": q, "found": found},
    )


def _org_page(
    request: Request,
    viewer: Viewer,
    org_id: str,
    *,
    error: TocsinError | None = None,
    reason: str = "",
) -> Response:
    now = viewer.runtime.clock.now()
    with viewer.admin(write=False) as db:
        org = db.get(Organization, org_id)
        if org is None:
            raise NotFound("no organization with this id", code="org_not_found")
        members = db.execute(
            select(User.id, User.email, User.display_name, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.org_id == org.id)
            .order_by(User.email)
        ).all()
        endpoints = db.scalar(
            select(func.count()).select_from(Endpoint).where(Endpoint.org_id == org.id)
        )
        actions = enforcement.actions_about(db, org_id=org.id, limit=RECENT_ACTIONS).items
        live = {action.id for action in actions if is_live(action, now)}
        blocking = [
            action
            for action in actions
            if action.id in live
            and action.scope == ActionScope.ORGANIZATION.value
            and action.kind in BLOCKING
        ]
        context: dict[str, Any] = {
            "section": "admin",
            "tab": "orgs",
            "subject": org,
            "members": members,
            "endpoint_count": endpoints or 0,
            "actions": actions,
            "live": live,
            "blocking": blocking[0] if blocking else None,
            "reason": reason,
            "error": error,
        }
    return render(
        request,
        "admin_org.html",
        context,
        status_code=error.status_code if error is not None else 200,
    )


@router.get("/admin/orgs/{org_id}")
def org_page(org_id: str, request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    return _org_page(request, viewer, org_id)


@router.post("/admin/orgs/{org_id}/suspend")
def suspend(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    reason = text(form, "reason")[:2000]
    try:
        with viewer.admin(write=True) as db:
            enforcement.take_action(
                db,
                kind=ActionKind.SUSPENSION,
                scope=ActionScope.ORGANIZATION,
                target=org_id,
                reason=reason,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
    except TocsinError as error:
        return _org_page(request, viewer, org_id, error=error, reason=reason)
    return RedirectResponse(f"/admin/orgs/{org_id}", status_code=303)
