"""The platform administrators' console: the case queue and organizations (their own
modules), enforcement actions, and the platform-wide audit log. Everyone else gets 403."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from tocsin.audit import trail
from tocsin.core.errors import InvalidInput, TocsinError
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.http.web.admin_cases import next_page_url
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.forms import checked_form, text
from tocsin.http.web.render import render
from tocsin.paging.names import names_on_the_platform
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.trust import enforcement
from tocsin.trust.queries import actions_about, is_live

# The case queue's pages and the organizations' are routers of their own (pages.py serves them).
router = APIRouter(include_in_schema=False)


def _enforcement_page(
    request: Request,
    viewer: Viewer,
    *,
    cursor: str | None = None,
    error: TocsinError | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    now = viewer.runtime.clock.now()
    with viewer.admin(write=False) as db:
        page = actions_about(db, limit=DEFAULT_LIMIT, cursor=cursor)
        names = names_on_the_platform(db, (action.target_id for action in page.items))
    return render(
        request,
        "admin_enforcement.html",
        {
            "section": "admin",
            "tab": "enforcement",
            "actions": page.items,
            "live": {action.id for action in page.items if is_live(action, now)},
            "names": names,
            "next_url": next_page_url(request, page.next_cursor),
            "kinds": list(ActionKind),
            "scopes": list(ActionScope),
            "values": values or {},
            "error": error,
        },
        status_code=error.status_code if error is not None else 200,
    )


@router.get("/admin/enforcement")
def enforcement_page(
    request: Request, cursor: str | None = None, viewer: Viewer = Depends(signed_in)
) -> Response:
    return _enforcement_page(request, viewer, cursor=cursor)


def _ends_at(value: str) -> datetime | None:
    """The optional end, typed in UTC (a datetime-local field has no zone)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise InvalidInput("the end must be a date and time", code="invalid_end") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


E = TypeVar("E", ActionKind, ActionScope)


def _enum(kind: type[E], value: str, what: str) -> E:
    try:
        return kind(value)
    except ValueError as error:
        raise InvalidInput(f"choose a {what}", code=f"invalid_{what}") from error


@router.post("/admin/enforcement")
def take_action(
    request: Request, viewer: Viewer = Depends(signed_in), form: FormData = Depends(checked_form)
) -> Response:
    values = {name: text(form, name) for name in ("kind", "scope", "target", "reason", "ends_at")}
    try:
        with viewer.admin(write=True) as db:
            enforcement.take_action(
                db,
                kind=_enum(ActionKind, values["kind"], "kind"),
                scope=_enum(ActionScope, values["scope"], "scope"),
                target=values["target"][:64],
                reason=values["reason"][:2000],
                actor=viewer.actor,
                now=viewer.runtime.clock.now(),
                ends_at=_ends_at(values["ends_at"]),
                digest_key=viewer.runtime.billing_digest_key,
            )
    except TocsinError as error:
        return _enforcement_page(request, viewer, error=error, values=values)
    return RedirectResponse("/admin/enforcement", status_code=303)


def _back(value: str) -> str:
    # Only back into the console: anything else would be an open redirect.
    return value if value.startswith("/admin") else "/admin"


@router.post("/admin/enforcement/{action_id}/lift")
def lift(
    action_id: str,
    viewer: Viewer = Depends(signed_in),
    form: FormData = Depends(checked_form),
) -> Response:
    with viewer.admin(write=True) as db:
        enforcement.lift(
            db, action_id=action_id, actor=viewer.actor, now=viewer.runtime.clock.now()
        )
    return RedirectResponse(_back(text(form, "back")), status_code=303)


@router.get("/admin/audit")
def audit_page(
    request: Request,
    org_id: str = "",
    action: str = "",
    target_id: str = "",
    actor_id: str = "",
    cursor: str | None = None,
    viewer: Viewer = Depends(signed_in),
) -> Response:
    filters: dict[str, Any] = {
        "org_id": org_id.strip()[:40],
        "action": action.strip()[:80],
        "target_id": target_id.strip()[:40],
        "actor_id": actor_id.strip()[:100],
    }
    with viewer.admin(write=False) as db:
        page = trail.search(
            db,
            org_id=filters["org_id"] or None,
            action=filters["action"] or None,
            target_id=filters["target_id"] or None,
            actor_id=filters["actor_id"] or None,
            limit=DEFAULT_LIMIT,
            cursor=cursor,
        )
        named = {
            found
            for event in page.items
            for found in (event.org_id, event.actor_id, event.target_id)
            if found is not None
        }
        names = names_on_the_platform(db, named)
    return render(
        request,
        "admin_audit.html",
        {
            "section": "admin",
            "tab": "audit",
            "events": page.items,
            "names": names,
            "filters": filters,
            "next_url": next_page_url(request, page.next_cursor),
        },
    )
