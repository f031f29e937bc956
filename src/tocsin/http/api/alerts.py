"""Alerts API: list, timeline, acknowledge, resolve."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Query

from tocsin.accounts.models import Role, Scope
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.db.session import Session
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.alerts import (
    AlertDetailOut,
    AlertOut,
    CallAttemptOut,
    CallJobOut,
    EscalationStateOut,
    TimelineEntryOut,
)
from tocsin.http.api.schemas.common import Limit, PageOut, errors, page_of
from tocsin.http.api.schemas.maintenance import MutedByOut
from tocsin.maintenance import queries as maintenance
from tocsin.paging import lifecycle, queries
from tocsin.paging.models import Alert, AlertStatus, CallJob, Escalation

router = APIRouter(
    prefix="/v1/orgs/{org_id}/alerts",
    tags=["alerts"],
    route_class=ApiRoute,
)


def _escalation_out(escalation: Escalation | None) -> EscalationStateOut | None:
    if escalation is None:
        return None
    return EscalationStateOut(
        id=escalation.id,
        status=escalation.status,
        # Past the last step once it ran out: still "step N of N", never "step N+1 of N".
        step=min(escalation.step_index + 1, len(escalation.plan)),
        steps=len(escalation.plan),
        round=escalation.round + 1,
        next_at=escalation.next_at,
        ended_at=escalation.ended_at,
        plan=escalation.plan,
    )


def _job_out(job: CallJob) -> CallJobOut:
    return CallJobOut(
        id=job.id,
        contact_id=job.contact_id,
        to_number=job.to_number,
        channel=job.channel,
        user_id=job.user_id,
        status=job.status,
        outcome=job.outcome,
        step=job.step_index + 1 if job.step_index is not None else None,
        round=job.round + 1,
        attempts=job.attempt_count,
        next_attempt_at=queries.next_attempt_at(job),
        held_until=job.held_until,
        hold_reason=job.hold_reason,
        last_error=job.last_error,
    )


def alert_detail(session: Session, alert: Alert) -> AlertDetailOut:
    muted = maintenance.muted_by(session, alert)
    return AlertDetailOut(
        **AlertOut.model_validate(alert).model_dump(),
        payload=alert.payload,
        muted_by=MutedByOut(**asdict(muted)) if muted is not None else None,
        escalation=_escalation_out(queries.escalation_of(session, alert.id)),
        jobs=[_job_out(job) for job in queries.jobs_of(session, alert.id)],
        calls=[CallAttemptOut.model_validate(a) for a in queries.attempts_of(session, alert.id)],
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
            for event in queries.timeline_of(session, alert)
        ],
    )


_NOT_FOUND = (404, "alert_not_found", "alert not found")


@router.get("", response_model=PageOut[AlertOut], summary="List alerts")
def list_alerts(
    org_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    # Checked by the query, which names its refusal (`invalid_status`).
    status: str | None = Query(
        None,
        json_schema_extra={"enum": [status.value for status in AlertStatus]},
        description="Only alerts in this state",
    ),
    endpoint_id: str | None = Query(None, description="Only alerts sent to this endpoint"),
    caller: Caller = Depends(get_caller),
) -> PageOut[AlertOut]:
    """The organization's alerts, newest first. Any member, or a key with `read` (a key bound
    to an endpoint sees that endpoint's alerts only)."""
    with caller.org(
        org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False, per_endpoint=True
    ) as (s, access):
        page = queries.list_alerts(
            s,
            org_id=org_id,
            limit=limit,
            cursor=cursor,
            status=status,
            endpoint_id=endpoint_id,
            within_endpoint=access.endpoint_id,
        )
        return page_of(page, AlertOut)


@router.get(
    "/{alert_id}",
    response_model=AlertDetailOut,
    summary="Get an alert with its calls and timeline",
    responses=errors(_NOT_FOUND),
)
def get_alert(org_id: str, alert_id: str, caller: Caller = Depends(get_caller)) -> AlertDetailOut:
    """The alert, its body, where its escalation stands, every call placed for it and its
    timeline. Any member, or a key with `read`."""
    with caller.org(
        org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False, per_endpoint=True
    ) as (s, access):
        alert = queries.get_alert(
            s, org_id=org_id, alert_id=alert_id, within_endpoint=access.endpoint_id
        )
        return alert_detail(s, alert)


@router.post(
    "/{alert_id}/acknowledge",
    response_model=AlertOut,
    summary="Acknowledge an alert",
    responses=errors(_NOT_FOUND, (409, "alert_not_open", "alert is resolved, not open")),
)
def acknowledge(org_id: str, alert_id: str, caller: Caller = Depends(get_caller)) -> AlertOut:
    """Someone is on it: its pending calls are cancelled and calls in progress hung up. Any
    member, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(
        org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True, per_endpoint=True
    ) as (s, access):
        alert = lifecycle.acknowledge(
            s,
            org_id=org_id,
            alert_id=alert_id,
            actor=access.actor,
            now=now,
            within_endpoint=access.endpoint_id,
        )
        answer = AlertOut.model_validate(alert)
    # Committed: a worker in this process hangs up the alert's calls in progress now.
    caller.runtime.notify_new_jobs()
    return answer


@router.post(
    "/{alert_id}/resolve",
    response_model=AlertOut,
    summary="Resolve an alert",
    responses=errors(_NOT_FOUND, (409, "alert_resolved", "alert is already resolved")),
)
def resolve(org_id: str, alert_id: str, caller: Caller = Depends(get_caller)) -> AlertOut:
    """It is over: pending calls are cancelled, and a repeat with its dedup key opens a new
    alert. Any member, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(
        org_id, min_role=Role.MEMBER, scope=Scope.WRITE, write=True, per_endpoint=True
    ) as (s, access):
        alert = lifecycle.resolve(
            s,
            org_id=org_id,
            alert_id=alert_id,
            actor=access.actor,
            now=now,
            within_endpoint=access.endpoint_id,
        )
        answer = AlertOut.model_validate(alert)
    caller.runtime.notify_new_jobs()
    return answer
