"""An organization's pages. The alert list is the home page; each area has its own module."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tocsin.accounts.models import Organization, Role
from tocsin.web.context import Viewer, signed_in
from tocsin.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/o/{org_id}")
def org_home(org_id: str, request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, _):
        org = db.get(Organization, org_id)
        return render(request, "org_home.html", {"org": org, "section": "alerts"})
