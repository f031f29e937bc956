"""An organization's home page: its alerts, newest first, kept live by htmx polling.

Each other area of an organization has its own module; this one only lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization, Role
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.endpoints.models import Endpoint
from tocsin.http.web.context import Viewer, signed_in
from tocsin.http.web.render import render
from tocsin.paging import lifecycle as service
from tocsin.paging.models import Alert, AlertStatus, CallAttempt, Escalation, EscalationStatus

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class AlertRow:
    alert: Alert
    endpoint_name: str
    calls: int
    # The escalation ran every step and nobody answered, while the alert is still open.
    exhausted: bool = False


def _alert_rows(session: Session, org_id: str, cursor: str | None) -> dict[str, Any]:
    page = service.list_alerts(session, org_id=org_id, limit=DEFAULT_LIMIT, cursor=cursor)
    ids = [alert.id for alert in page.items]
    endpoint_ids = {alert.endpoint_id for alert in page.items}
    # Three grouped queries for the page, not three per alert.
    names = {
        endpoint_id: name
        for endpoint_id, name in session.execute(
            select(Endpoint.id, Endpoint.name).where(Endpoint.id.in_(endpoint_ids))
        )
    }
    calls = {
        alert_id: count
        for alert_id, count in session.execute(
            select(CallAttempt.alert_id, func.count(CallAttempt.id))
            .where(CallAttempt.alert_id.in_(ids))
            .group_by(CallAttempt.alert_id)
        )
    }
    exhausted = set(
        session.scalars(
            select(Escalation.alert_id).where(
                Escalation.alert_id.in_(ids), Escalation.status == EscalationStatus.EXHAUSTED
            )
        )
    )
    rows = [
        AlertRow(
            alert,
            names.get(alert.endpoint_id, alert.endpoint_id),
            calls.get(alert.id, 0),
            exhausted=alert.id in exhausted and alert.status == AlertStatus.OPEN,
        )
        for alert in page.items
    ]
    return {"rows": rows, "next_cursor": page.next_cursor, "cursor": cursor}


def _alerts(
    request: Request, viewer: Viewer, org_id: str, cursor: str | None, template: str
) -> Response:
    with viewer.org(org_id, min_role=Role.MEMBER, write=False) as (db, _):
        org = db.get(Organization, org_id)
        context = _alert_rows(db, org_id, cursor)
        return render(request, template, {"org": org, "section": "alerts", **context})


@router.get("/o/{org_id}")
def org_home(
    org_id: str, request: Request, cursor: str | None = None, viewer: Viewer = Depends(signed_in)
) -> Response:
    return _alerts(request, viewer, org_id, cursor, "org_home.html")


@router.get("/o/{org_id}/alerts/live")
def live_alerts(
    org_id: str, request: Request, cursor: str | None = None, viewer: Viewer = Depends(signed_in)
) -> Response:
    """The alerts table alone, which the home page polls for."""
    return _alerts(request, viewer, org_id, cursor, "_alerts_table.html")
