"""Heartbeat monitors in the dashboard: the list with each monitor's status, last ping and
next due time and a form to make one, and each monitor's page with its ping URL, how to ping
it, its last pings, and (for administrators) its settings, pause, resume, key and deletion.
A key is shown on the page that made it, once, never from a redirect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.accounts.models import Role
from tocsin.accounts.service import get_organization
from tocsin.core.errors import TocsinError
from tocsin.core.pagination import MAX_LIMIT
from tocsin.endpoints import queries as endpoint_queries
from tocsin.heartbeats import commands, queries
from tocsin.heartbeats.models import HeartbeatMonitor
from tocsin.heartbeats.schedule import duration_text, parse_duration
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form, text
from tocsin.http.web.render import render

router = APIRouter(include_in_schema=False)

SEVERITIES = [severity.value for severity in commands.SEVERITIES]


def _row(monitor: HeartbeatMonitor, viewer: Viewer) -> dict[str, Any]:
    """A monitor with what a page says of it besides its columns."""
    return {
        "monitor": monitor,
        "status": queries.status_of(monitor, viewer.runtime.clock.now()),
        "every": (
            f"every {duration_text(monitor.interval_seconds)}"
            if monitor.interval_seconds is not None
            else f"cron {monitor.cron} ({monitor.timezone})"
        ),
        "grace": duration_text(monitor.grace_seconds),
        "max_runtime": (
            duration_text(monitor.max_runtime_seconds) if monitor.max_runtime_seconds else ""
        ),
        "interval": duration_text(monitor.interval_seconds) if monitor.interval_seconds else "",
    }


def _is_admin(role: Role | None) -> bool:
    return role is not None and role.rank >= Role.ADMIN.rank


# The list ---------------------------------------------------------------------------------------


def _list_context(viewer: Viewer, org_id: str) -> dict[str, Any]:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, access):
        endpoints = endpoint_queries.list_endpoints(db, org_id=org_id, limit=MAX_LIMIT, cursor=None)
        return {
            "org": get_organization(db, org_id),
            "section": "heartbeats",
            "rows": [_row(monitor, viewer) for monitor in queries.all_monitors(db, org_id=org_id)],
            "endpoints": endpoints.items,
            "severities": SEVERITIES,
            "can_edit": _is_admin(access.role),
        }


@router.get("/o/{org_id}/heartbeats")
def heartbeats_page(org_id: str, request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    return render(request, "heartbeats.html", {**_list_context(viewer, org_id), "typed": {}})


def _plan_fields(form: FormData) -> dict[str, Any]:
    """Interval or cron, grace and max runtime from a form, durations read as typed."""
    interval, cron = text(form, "interval"), text(form, "cron")
    return {
        "interval_seconds": parse_duration(interval, "interval") if interval else None,
        "cron": cron or None,
        "timezone": text(form, "timezone", "UTC") or "UTC",
        "grace_seconds": parse_duration(text(form, "grace", "5m") or "0", "grace"),
        "max_runtime_seconds": (
            parse_duration(text(form, "max_runtime"), "max runtime")
            if text(form, "max_runtime")
            else None
        ),
    }


@router.post("/o/{org_id}/heartbeats")
def create_heartbeat(
    org_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    """Answered with the new monitor's page itself, which shows its key this once."""
    runtime = viewer.runtime
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            made = commands.create_monitor(
                db,
                org_id=org_id,
                endpoint_id=text(form, "endpoint_id"),
                name=text(form, "name"),
                severity=text(form, "severity", "critical"),
                actor=viewer.actor,
                now=runtime.clock.now(),
                digest_key=runtime.heartbeat_key_digest_key,
                **_plan_fields(form),
            )
            heartbeat_id = made.monitor.id
    except TocsinError as error:
        typed = {name: text(form, name) for name in form}
        context = {**_list_context(viewer, org_id), "typed": typed, "error": error}
        return render(request, "heartbeats.html", context, status_code=error.status_code)
    context = _detail_context(viewer, org_id, heartbeat_id, new_key=made.key)
    return render(request, "heartbeat.html", context, status_code=201)


# One monitor ------------------------------------------------------------------------------------


def _detail_context(viewer: Viewer, org_id: str, heartbeat_id: str, **extra: Any) -> dict[str, Any]:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, access):
        monitor = queries.get_monitor(db, org_id=org_id, heartbeat_id=heartbeat_id)
        endpoints = endpoint_queries.list_endpoints(db, org_id=org_id, limit=MAX_LIMIT, cursor=None)
        return {
            "org": get_organization(db, org_id),
            "section": "heartbeats",
            **_row(monitor, viewer),
            "endpoint": endpoint_queries.get_endpoint(
                db, org_id=org_id, endpoint_id=monitor.endpoint_id
            ),
            "endpoints": endpoints.items,
            "pings": queries.recent_pings(db, monitor.id),
            "ping_url": queries.ping_url(viewer.runtime.settings.public_base_url, monitor.id),
            "severities": SEVERITIES,
            "can_edit": _is_admin(access.role),
            **extra,
        }


def _detail(
    request: Request, viewer: Viewer, org_id: str, heartbeat_id: str, **extra: Any
) -> Response:
    error = extra.get("error")
    return render(
        request,
        "heartbeat.html",
        _detail_context(viewer, org_id, heartbeat_id, **extra),
        status_code=error.status_code if isinstance(error, TocsinError) else 200,
    )


@router.get("/o/{org_id}/heartbeats/{heartbeat_id}")
def heartbeat_page(
    org_id: str,
    heartbeat_id: str,
    request: Request,
    saved: bool = False,
    viewer: Viewer = Depends(signed_in),
) -> Response:
    return _detail(request, viewer, org_id, heartbeat_id, **({"flash": "Saved."} if saved else {}))


@router.post("/o/{org_id}/heartbeats/{heartbeat_id}")
def update_heartbeat(
    org_id: str,
    heartbeat_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    try:
        plan = _plan_fields(form)
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.update_monitor(
                db,
                org_id=org_id,
                heartbeat_id=heartbeat_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
                name=text(form, "name"),
                endpoint_id=text(form, "endpoint_id"),
                severity=text(form, "severity", "critical"),
                clear_max_runtime=plan["max_runtime_seconds"] is None,
                **plan,
            )
    except TocsinError as error:
        return _detail(request, viewer, org_id, heartbeat_id, error=error)
    return RedirectResponse(f"/o/{org_id}/heartbeats/{heartbeat_id}?saved=1", status_code=303)


@router.post("/o/{org_id}/heartbeats/{heartbeat_id}/pause")
def pause_heartbeat(
    org_id: str,
    heartbeat_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    _form: FormData = Depends(checked_form),
) -> Response:
    return _switch(request, viewer, org_id, heartbeat_id, commands.pause_monitor)


@router.post("/o/{org_id}/heartbeats/{heartbeat_id}/resume")
def resume_heartbeat(
    org_id: str,
    heartbeat_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    _form: FormData = Depends(checked_form),
) -> Response:
    return _switch(request, viewer, org_id, heartbeat_id, commands.resume_monitor)


def _switch(
    request: Request,
    viewer: Viewer,
    org_id: str,
    heartbeat_id: str,
    command: Callable[..., HeartbeatMonitor],
) -> Response:
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            command(
                db,
                org_id=org_id,
                heartbeat_id=heartbeat_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
    except TocsinError as error:
        return _detail(request, viewer, org_id, heartbeat_id, error=error)
    return RedirectResponse(f"/o/{org_id}/heartbeats/{heartbeat_id}", status_code=303)


@router.post("/o/{org_id}/heartbeats/{heartbeat_id}/rotate-key")
def rotate_heartbeat_key(
    org_id: str,
    heartbeat_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    _form: FormData = Depends(checked_form),
) -> Response:
    """Answered with the page itself: the new key is shown this once."""
    runtime = viewer.runtime
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            made = commands.rotate_key(
                db,
                org_id=org_id,
                heartbeat_id=heartbeat_id,
                actor=viewer.actor,
                now=runtime.clock.now(),
                digest_key=runtime.heartbeat_key_digest_key,
            )
    except TocsinError as error:
        return _detail(request, viewer, org_id, heartbeat_id, error=error)
    return _detail(request, viewer, org_id, heartbeat_id, new_key=made.key)


@router.post("/o/{org_id}/heartbeats/{heartbeat_id}/delete")
def delete_heartbeat(
    org_id: str,
    heartbeat_id: str,
    request: Request,
    viewer: Viewer = Depends(signed_in),
    _form: FormData = Depends(checked_form),
) -> Response:
    try:
        with viewer.org(org_id, min_role=Role.ADMIN, write=True) as (db, _):
            commands.delete_monitor(
                db,
                org_id=org_id,
                heartbeat_id=heartbeat_id,
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
            )
    except TocsinError as error:
        return _detail(request, viewer, org_id, heartbeat_id, error=error)
    return RedirectResponse(f"/o/{org_id}/heartbeats", status_code=303)
