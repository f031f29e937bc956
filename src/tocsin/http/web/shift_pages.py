"""My shifts in the dashboard: the signed-in member's next shifts in every schedule, on the
organization's clock, and the secret addresses of iCal feeds: a member's own ("my shifts") and a
schedule's ("Subscribe" on its page). A new address is shown once, on the page that answers the
form, never again: only its digest is kept (oncall/calendar_tokens.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts.models import Role
from tocsin.accounts.service import get_organization
from tocsin.core.errors import TocsinError
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form
from tocsin.http.web.render import render
from tocsin.http.web.schedule_pages import schedule_context
from tocsin.oncall import calendar_tokens, schedules, who
from tocsin.oncall.models import CalendarTokenKind

router = APIRouter(include_in_schema=False)

# How many of my next shifts the page lists (within who.LOOKAHEAD).
NEXT_SHIFTS = 20


def _shifts_context(viewer: Viewer, org_id: str) -> dict[str, Any]:
    now = viewer.runtime.clock.now()
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, access):
        found = who.member_shifts(
            db, org_id=org_id, user_id=viewer.user_id, window=None, now=now, count=NEXT_SHIFTS
        )
        names = {row.id: row.name for row in schedules.all_schedules(db, org_id=org_id)}
        links = [
            token
            for token in calendar_tokens.visible_tokens(db, org_id=org_id, actor=access.actor)
            if token.kind == CalendarTokenKind.PERSON.value
        ]
        return {
            "org": get_organization(db, org_id),
            "section": "shifts",
            "shifts": [
                (schedule_id, names.get(schedule_id, schedule_id), shift)
                for schedule_id, shift in found.items
            ],
            "now": now,
            "links": links,
        }


def _shifts(request: Request, viewer: Viewer, org_id: str, **extra: Any) -> Response:
    error = extra.get("error")
    return render(
        request,
        "my_shifts.html",
        {**_shifts_context(viewer, org_id), **extra},
        status_code=error.status_code if isinstance(error, TocsinError) else 200,
    )


@router.get("/o/{org_id}/me/shifts")
def my_shifts_page(org_id: str, request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    return _shifts(request, viewer, org_id)


def _new_link(viewer: Viewer, org_id: str, kind: CalendarTokenKind, subject: str | None) -> str:
    runtime = viewer.runtime
    with viewer.org(org_id, min_role=Role.MEMBER, write=True) as (db, _):
        made = calendar_tokens.create_token(
            db,
            org_id=org_id,
            kind=kind,
            subject_id=subject,
            actor=viewer.actor,
            key=runtime.calendar_token_key,
            now=runtime.clock.now(),
        )
    return made.url(runtime.settings.public_base_url)


@router.post("/o/{org_id}/me/calendar-links")
def create_my_link(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    """Answered with the page itself, not a redirect, so the address is in this answer only."""
    try:
        url = _new_link(viewer, org_id, CalendarTokenKind.PERSON, viewer.user_id)
    except TocsinError as error:
        return _shifts(request, viewer, org_id, error=error)
    return _shifts(request, viewer, org_id, new_url=url)


@router.post("/o/{org_id}/schedules/{schedule_id}/subscribe")
def subscribe_to_schedule(
    org_id: str,
    schedule_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    try:
        url = _new_link(viewer, org_id, CalendarTokenKind.SCHEDULE, schedule_id)
    except TocsinError as error:
        context = {**schedule_context(viewer, org_id, schedule_id, {}), "error": error}
        return render(request, "schedule.html", context, status_code=error.status_code)
    context = {**schedule_context(viewer, org_id, schedule_id, {}), "new_url": url}
    return render(request, "schedule.html", context)


@router.post("/o/{org_id}/calendar-links/{token_id}/revoke")
def revoke_link(
    org_id: str,
    token_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    """A member's own link, or any of the organization's schedule links (as the API allows);
    back to the page that lists it."""
    try:
        with viewer.org(org_id, min_role=Role.MEMBER, write=True) as (db, _):
            row = calendar_tokens.revoke_token(
                db,
                org_id=org_id,
                token_id=token_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
            kind, subject = row.kind, row.subject_id
    except TocsinError as error:
        return _shifts(request, viewer, org_id, error=error)
    if kind == CalendarTokenKind.SCHEDULE.value:
        return RedirectResponse(f"/o/{org_id}/schedules/{subject}", status_code=303)
    return RedirectResponse(f"/o/{org_id}/me/shifts", status_code=303)
