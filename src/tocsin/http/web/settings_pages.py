"""The organization's settings page: the language its calls speak (admins change it)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts.models import Role
from tocsin.accounts.service import get_organization
from tocsin.core.errors import TocsinError
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form, text
from tocsin.http.web.render import render
from tocsin.organizations import commands

router = APIRouter(include_in_schema=False)


def _settings(
    request: Request, viewer: Viewer, org_id: str, *, saved: bool, error: TocsinError | None
) -> Response:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, access):
        role = access.role
        context = {
            "org": get_organization(db, org_id),
            "section": "settings",
            "can_change": role is not None and role.rank >= Role.ADMIN.rank,
            "saved": saved,
            "error": error,
        }
    return render(
        request, "settings.html", context, status_code=error.status_code if error else 200
    )


@router.get("/o/{org_id}/settings")
def settings_page(
    org_id: str, request: Request, saved: str | None = None, viewer: Viewer = Depends(signed_in)
) -> Response:
    return _settings(request, viewer, org_id, saved=saved is not None, error=None)


@router.post("/o/{org_id}/settings/language")
def change_language(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.update_organization(
                db,
                org_id=org_id,
                name=None,
                timezone=None,
                language=text(form, "language"),
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
    except TocsinError as error:
        return _settings(request, viewer, org_id, saved=False, error=error)
    return RedirectResponse(f"/o/{org_id}/settings?saved=1", status_code=303)
