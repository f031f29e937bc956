"""An organization's home page: its alerts, newest first, kept live by htmx polling, filtered
by status (`?status=open`, kept in the query string so a link or a reload shows the same list).

Each other area of an organization has its own module; this one only lists."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tocsin.accounts.models import Role
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.db.session import Session
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.render import render
from tocsin.organizations.queries import organization
from tocsin.paging import queries

router = APIRouter(include_in_schema=False)

# The filter's choices, in the order the page offers them; "all" is no filter.
STATUS_FILTERS = ("all", "open", "acknowledged", "resolved")


def _alert_rows(session: Session, org_id: str, cursor: str | None, status: str) -> dict[str, Any]:
    page = queries.list_alerts(
        session,
        org_id=org_id,
        limit=DEFAULT_LIMIT,
        cursor=cursor,
        # An unknown status is refused by the query (400, invalid_status), as in the API.
        status=None if status == "all" else status,
    )
    rows = queries.alert_rows(session, page)
    return {
        "rows": rows,
        "next_cursor": page.next_cursor,
        "cursor": cursor,
        "status": status,
        "statuses": STATUS_FILTERS,
    }


def _alerts(
    request: Request,
    viewer: Viewer,
    org_id: str,
    cursor: str | None,
    status: str,
    template: str,
) -> Response:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, _):
        org = organization(db, org_id)
        context = _alert_rows(db, org_id, cursor, status)
        return render(request, template, {"org": org, "section": "alerts", **context})


@router.get("/o/{org_id}")
def org_home(
    org_id: str,
    request: Request,
    cursor: str | None = None,
    status: str = "all",
    viewer: Viewer = Depends(signed_in),
) -> Response:
    return _alerts(request, viewer, org_id, cursor, status, "org_home.html")


@router.get("/o/{org_id}/alerts/live")
def live_alerts(
    org_id: str,
    request: Request,
    cursor: str | None = None,
    status: str = "all",
    viewer: Viewer = Depends(signed_in),
) -> Response:
    """The alerts table alone, which the home page polls for."""
    return _alerts(request, viewer, org_id, cursor, status, "_alerts_table.html")
