"""Organizations as platform administrators see them: a lookup by name, slug or id, and one
organization's plan, members, endpoints and enforcement history, with the button that
suspends it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.core.errors import TocsinError
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form, text
from tocsin.http.web.render import render
from tocsin.organizations.queries import find_organizations
from tocsin.paging.names import names_on_the_platform
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.trust import enforcement
from tocsin.trust.queries import organization_overview

router = APIRouter(include_in_schema=False)


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
        overview = organization_overview(db, org_id, now=now)
        context: dict[str, Any] = {
            "section": "admin",
            "tab": "orgs",
            "subject": overview.organization,
            "members": overview.members,
            "endpoint_count": overview.endpoint_count,
            "actions": overview.actions,
            "names": names_on_the_platform(db, (action.target_id for action in overview.actions)),
            "live": overview.live,
            "blocking": overview.blocking,
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
