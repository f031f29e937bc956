"""Alerts API: list, timeline, acknowledge, resolve."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from tocsin.accounts.models import Role, Scope
from tocsin.alerts import service
from tocsin.alerts.schemas import AlertDetailOut, AlertOut, CallAttemptOut, TimelineEntryOut
from tocsin.api.deps import Caller, get_caller
from tocsin.api.schemas import ERROR_RESPONSES, PageOut, page_of
from tocsin.ingest.models import Alert
from tocsin.pagination import DEFAULT_LIMIT

router = APIRouter(prefix="/v1/orgs/{org_id}/alerts", tags=["alerts"], responses=ERROR_RESPONSES)


def alert_detail(session: Session, alert: Alert) -> AlertDetailOut:
    return AlertDetailOut(
        **AlertOut.model_validate(alert).model_dump(),
        payload=alert.payload,
        calls=[CallAttemptOut.model_validate(a) for a in service.attempts_of(session, alert.id)],
        timeline=[
            TimelineEntryOut(
                at=event.created_at,
                action=event.action,
                actor_type=event.actor_type,
                actor_id=event.actor_id,
                target_type=event.target_type,
                target_id=event.target_id,
                details=event.details,
            )
            for event in service.timeline_of(session, alert)
        ],
    )


@router.get("", response_model=PageOut[AlertOut])
def list_alerts(
    org_id: str,
    limit: int = Query(DEFAULT_LIMIT),
    cursor: str | None = None,
    status: str | None = None,
    endpoint_id: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[AlertOut]:
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        page = service.list_alerts(
            s, org_id=org_id, limit=limit, cursor=cursor, status=status, endpoint_id=endpoint_id
        )
        return page_of(page, AlertOut)


@router.get("/{alert_id}", response_model=AlertDetailOut)
def get_alert(org_id: str, alert_id: str, caller: Caller = Depends(get_caller)) -> AlertDetailOut:
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        return alert_detail(s, service.get_alert(s, org_id=org_id, alert_id=alert_id))


@router.post("/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge(org_id: str, alert_id: str, caller: Caller = Depends(get_caller)) -> AlertOut:
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True) as (s, access):
        alert = service.acknowledge(
            s, org_id=org_id, alert_id=alert_id, actor=access.actor, now=now
        )
        return AlertOut.model_validate(alert)


@router.post("/{alert_id}/resolve", response_model=AlertOut)
def resolve(org_id: str, alert_id: str, caller: Caller = Depends(get_caller)) -> AlertOut:
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True) as (s, access):
        alert = service.resolve(s, org_id=org_id, alert_id=alert_id, actor=access.actor, now=now)
        return AlertOut.model_validate(alert)
