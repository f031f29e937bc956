"""Notices: what the platform told the organization's owners (quota nearly or wholly used,
payments, enforcement, appeal decisions, policy changes), newest first, with the unread ones
marked until someone marks them read."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts.email_addresses import mail_is_on
from tocsin.accounts.models import Role
from tocsin.audit import trail
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form
from tocsin.http.web.render import render
from tocsin.organizations.notice_mail import mail_state
from tocsin.organizations.queries import organization

router = APIRouter(include_in_schema=False)


@router.get("/o/{org_id}/notices")
def notices_page(
    org_id: str, request: Request, cursor: str | None = None, viewer: Viewer = Depends(signed_in)
) -> Response:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, _):
        page = trail.list_notices(db, org_id, limit=50, cursor=cursor)
        mail_on = mail_is_on(viewer.runtime.settings)
        return render(
            request,
            "notices.html",
            {
                "org": organization(db, org_id),
                "section": "notices",
                "notices": page.items,
                "mail": {n.id: mail_state(n, mail_on=mail_on) for n in page.items},
                "mail_on": mail_on,
                "next_cursor": page.next_cursor,
                "unread": sum(1 for notice in page.items if notice.read_at is None),
            },
        )


@router.post("/o/{org_id}/notices/read")
def mark_read(
    org_id: str,
    viewer: Viewer = Depends(signed_in),
    _form: FormData = Depends(checked_form),
) -> Response:
    with viewer.org(org_id, min_role=Role.MEMBER, write=True) as (db, _):
        trail.mark_read(db, org_id, now=viewer.runtime.clock.now())
    return RedirectResponse(f"/o/{org_id}/notices", status_code=303)
