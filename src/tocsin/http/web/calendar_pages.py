"""External calendars in the dashboard: the iCal calendars schedule layers read, each with when
it was last fetched, its last good copy and why the last fetch failed; administrators add,
remove and refresh them, members look."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts.models import Role
from tocsin.accounts.service import get_organization
from tocsin.core.errors import TocsinError
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form, text
from tocsin.http.web.render import render
from tocsin.oncall import calendar_feeds
from tocsin.telephony.hosts import HostPolicy, looked_up_first

router = APIRouter(include_in_schema=False)


def _host(url: str) -> str:
    """The host alone: the rest of a calendar's address is often a secret of its own."""
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


def _context(viewer: Viewer, org_id: str) -> dict[str, Any]:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, access):
        return {
            "org": get_organization(db, org_id),
            "section": "calendars",
            "calendars": [
                (feed, _host(feed.url), len(feed.events or []))
                for feed in calendar_feeds.list_feeds(db, org_id=org_id)
            ],
            "can_edit": access.role is not None and access.role.rank >= Role.ADMIN.rank,
        }


def _page(request: Request, viewer: Viewer, org_id: str, **extra: Any) -> Response:
    error = extra.get("error")
    return render(
        request,
        "calendars.html",
        {**_context(viewer, org_id), **extra},
        status_code=error.status_code if isinstance(error, TocsinError) else 200,
    )


@router.get("/o/{org_id}/calendars")
def calendars_page(org_id: str, request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    return _page(request, viewer, org_id)


@router.post("/o/{org_id}/calendars")
def add_calendar(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    runtime = viewer.runtime

    def add(hosts: HostPolicy) -> None:
        # The address is checked inside, as the API does; its host looked up outside the write.
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            calendar_feeds.add_feed(
                db,
                org_id=org_id,
                name=text(form, "name"),
                url=text(form, "url"),
                policy=hosts,
                actor=viewer.actor,
                now=runtime.clock.now(),
            )

    try:
        looked_up_first(runtime.provider_hosts, add)
    except TocsinError as error:
        return _page(
            request,
            viewer,
            org_id,
            error=error,
            typed={"name": text(form, "name"), "url": text(form, "url")},
        )
    return RedirectResponse(f"/o/{org_id}/calendars", status_code=303)


@router.post("/o/{org_id}/calendars/{calendar_id}/remove")
def remove_calendar(
    org_id: str,
    calendar_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            calendar_feeds.remove_feed(
                db,
                org_id=org_id,
                feed_id=calendar_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
    except TocsinError as error:
        return _page(request, viewer, org_id, error=error)
    return RedirectResponse(f"/o/{org_id}/calendars", status_code=303)


@router.post("/o/{org_id}/calendars/{calendar_id}/refresh")
def refresh_calendar(
    org_id: str,
    calendar_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    """Due at once: the worker fetches it at its next look (within a minute)."""
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            feed = calendar_feeds.refresh_soon(
                db, org_id=org_id, feed_id=calendar_id, now=viewer.runtime.clock.now()
            )
            name = feed.name
    except TocsinError as error:
        return _page(request, viewer, org_id, error=error)
    return _page(request, viewer, org_id, flash=f"{name} will be fetched within a minute.")
