"""Maintenance windows in the dashboard: those in force, upcoming and past, a form that makes a
silence or a recurring window, and End and Delete; administrators change them, members look.
The alert page says which window muted an alert (alert_pages.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts.models import Role
from tocsin.accounts.service import get_organization
from tocsin.core.errors import InvalidInput, TocsinError
from tocsin.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from tocsin.db.session import Session
from tocsin.endpoints.queries import list_endpoints
from tocsin.heartbeats.queries import all_monitors
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form, text
from tocsin.http.web.render import render
from tocsin.maintenance import commands, matchers, queries
from tocsin.maintenance.coverage import ScopeKind
from tocsin.maintenance.queries import WindowState
from tocsin.maintenance.windows import parse_duration
from tocsin.oncall.projects import list_projects
from tocsin.policy.quota import zone

router = APIRouter(include_in_schema=False)

_FIELDS = ("reason", "for", "starts", "rrule", "timezone", "matchers", "covers")
# What a window may cover besides the whole organization, as the form groups them.
_GROUPS = ((ScopeKind.PROJECT, "Projects"), (ScopeKind.ENDPOINT, "Endpoints"),
           (ScopeKind.MONITOR, "Heartbeat monitors"))  # fmt: skip


def _targets(db: Session, org_id: str) -> dict[ScopeKind, list[tuple[str, str]]]:
    """The organization's projects, endpoints and heartbeat monitors, (id, name) each."""
    endpoints = list_endpoints(db, org_id=org_id, limit=MAX_LIMIT, cursor=None).items
    return {
        ScopeKind.PROJECT: [(row.id, row.name) for row in list_projects(db, org_id=org_id)],
        ScopeKind.ENDPOINT: [(row.id, row.name) for row in endpoints],
        ScopeKind.MONITOR: [(row.id, row.name) for row in all_monitors(db, org_id=org_id)],
    }


def _context(viewer: Viewer, org_id: str) -> dict[str, Any]:
    now = viewer.runtime.clock.now()
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, access):
        org = get_organization(db, org_id)
        by_state = {
            state.value: queries.list_windows(
                db, org_id=org_id, now=now, state=state.value, limit=DEFAULT_LIMIT, cursor=None
            ).items
            for state in WindowState
        }
        targets = _targets(db, org_id)
        return {
            "org": org,
            "section": "maintenance",
            "windows": by_state,
            "target_groups": [(kind.value, label, targets[kind]) for kind, label in _GROUPS],
            "target_names": {
                target_id: name for found in targets.values() for target_id, name in found
            },
            "can_edit": access.role is not None and access.role.rank >= Role.ADMIN.rank,
        }


def _page(request: Request, viewer: Viewer, org_id: str, **extra: Any) -> Response:
    error = extra.get("error")
    return render(
        request,
        "maintenance.html",
        {**_context(viewer, org_id), **extra},
        status_code=error.status_code if isinstance(error, TocsinError) else 200,
    )


@router.get("/o/{org_id}/maintenance")
def maintenance_page(
    org_id: str, request: Request, viewer: Viewer = Depends(signed_in)
) -> Response:
    return _page(request, viewer, org_id)


def _starts(form: FormData, timezone: str) -> datetime | None:
    """The form's datetime-local, read in the window's zone; blank: now."""
    written = text(form, "starts")
    if not written:
        return None
    try:
        local = datetime.fromisoformat(written)
    except ValueError as exc:
        raise InvalidInput(f"{written!r} is not a date and time", code="invalid_window") from exc
    return local if local.tzinfo else local.replace(tzinfo=zone(timezone))


def _covers(form: FormData) -> tuple[str, str | None]:
    """The scope and target of the form's one "Covers" select: "organization", or a scope and
    the id of one of its things ("endpoint:end_…"); the command checks both."""
    scope, _, target_id = text(form, "covers").partition(":")
    return scope or ScopeKind.ORGANIZATION.value, target_id or None


def _spec(form: FormData) -> commands.WindowSpec:
    timezone = text(form, "timezone") or "UTC"
    lines = [line.strip() for line in text(form, "matchers").splitlines() if line.strip()]
    scope, target_id = _covers(form)
    return commands.WindowSpec(
        reason=text(form, "reason"),
        scope=scope,
        target_id=target_id,
        matchers=tuple(matchers.parse_text(line) for line in lines),
        starts_at=_starts(form, timezone),
        duration=parse_duration(text(form, "for")),
        rrule=text(form, "rrule") or None,
        timezone=timezone,
        page_after=text(form, "page_after") == "on",
    )


@router.post("/o/{org_id}/maintenance")
def create_window(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    try:
        spec = _spec(form)
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.create_window(
                db, org_id=org_id, spec=spec, actor=viewer.actor, now=viewer.runtime.clock.now()
            )
    except TocsinError as error:
        typed: dict[str, Any] = {name: text(form, name) for name in _FIELDS}
        typed["page_after"] = text(form, "page_after") == "on"
        return _page(request, viewer, org_id, error=error, typed=typed)
    return RedirectResponse(f"/o/{org_id}/maintenance", status_code=303)


@router.post("/o/{org_id}/maintenance/{window_id}/end")
def end_window(
    org_id: str,
    window_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.end_window(
                db,
                org_id=org_id,
                window_id=window_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
    except TocsinError as error:
        return _page(request, viewer, org_id, error=error)
    viewer.runtime.notify_new_jobs()
    return RedirectResponse(f"/o/{org_id}/maintenance", status_code=303)


@router.post("/o/{org_id}/maintenance/{window_id}/delete")
def delete_window(
    org_id: str,
    window_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.delete_window(
                db,
                org_id=org_id,
                window_id=window_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
    except TocsinError as error:
        return _page(request, viewer, org_id, error=error)
    viewer.runtime.notify_new_jobs()
    return RedirectResponse(f"/o/{org_id}/maintenance", status_code=303)
