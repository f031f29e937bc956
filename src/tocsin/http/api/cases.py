"""The case queue for platform administrators, the platform-wide audit trail, and appeals
filed by organizations."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query

from tocsin.accounts.models import Role, Scope
from tocsin.audit import trail
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.db.session import Session
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import Limit, PageOut, errors, page_of
from tocsin.http.api.schemas.trust import (
    AppealIn,
    AppealOut,
    AuditEventOut,
    CaseDetailOut,
    CaseOut,
    CasePatch,
    DecisionIn,
    EnforcementIn,
    EnforcementOut,
    EnforcementTaken,
)
from tocsin.trust import appeals, cases, queries
from tocsin.trust.models import CaseKind, CaseStatus, TrustCase
from tocsin.trust.queries import is_overdue

router = APIRouter(route_class=ApiRoute, tags=["trust and safety"])


def case_out(case: TrustCase, now: datetime) -> CaseOut:
    return CaseOut(
        id=case.id,
        kind=case.kind,
        status=case.status,
        org_id=case.org_id,
        summary=case.summary,
        details=case.details,
        action_id=case.action_id,
        opened_by_type=case.opened_by_type,
        opened_by_id=case.opened_by_id,
        assignee_id=case.assignee_id,
        due_at=case.due_at,
        overdue=is_overdue(case, now),
        resolution=case.resolution,
        resolved_at=case.resolved_at,
        resolved_by=case.resolved_by,
        created_at=case.created_at,
        updated_at=case.updated_at,
    )


def _detail(session: Session, case: TrustCase, now: datetime) -> CaseDetailOut:
    history = [AuditEventOut.model_validate(e) for e in queries.case_history(session, case.id)]
    return CaseDetailOut(**case_out(case, now).model_dump(), history=history)


@router.get(
    "/v1/admin/cases", response_model=PageOut[CaseOut], summary="List trust and safety cases"
)
def list_cases(
    status: CaseStatus | None = Query(None),
    kind: CaseKind | None = Query(None),
    org_id: str | None = Query(None),
    overdue: bool = Query(False, description="Only open cases past their answer date"),
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[CaseOut]:
    """The queue, newest first. Platform administrators only."""
    now = caller.runtime.clock.now()
    with caller.platform_admin(write=False) as (session, _):
        page = queries.list_cases(
            session,
            now=now,
            status=status,
            kind=kind,
            org_id=org_id,
            overdue=overdue,
            limit=limit,
            cursor=cursor,
        )
        return PageOut[CaseOut](
            items=[case_out(case, now) for case in page.items], next_cursor=page.next_cursor
        )


@router.get(
    "/v1/admin/cases/{case_id}",
    response_model=CaseDetailOut,
    summary="Get a case",
    responses=errors((404, "case_not_found", "case not found")),
)
def get_case(case_id: str, caller: Caller = Depends(get_caller)) -> CaseDetailOut:
    """A case with everything done about it. Platform administrators only."""
    now = caller.runtime.clock.now()
    with caller.platform_admin(write=False) as (session, _):
        return _detail(session, queries.get_case(session, case_id), now)


@router.patch(
    "/v1/admin/cases/{case_id}",
    response_model=CaseDetailOut,
    summary="Update a case",
    responses=errors(
        (404, "case_not_found", "case not found"),
        (409, "case_closed", "the case is closed; reopen it first"),
    ),
)
def update_case(
    case_id: str, body: CasePatch, caller: Caller = Depends(get_caller)
) -> CaseDetailOut:
    """Assign, add a note, resolve, dismiss or reopen. Platform administrators only."""
    now = caller.runtime.clock.now()
    with caller.platform_admin(write=True) as (session, actor):
        case = cases.update_case(
            session,
            case_id=case_id,
            actor=actor,
            now=now,
            status=body.status,
            assignee_id=body.assignee_id,
            note=body.note,
            resolution=body.resolution,
        )
        session.flush()
        return _detail(session, case, now)


@router.post(
    "/v1/admin/cases/{case_id}/decision",
    response_model=CaseDetailOut,
    summary="Decide an appeal",
    responses=errors(
        (404, "case_not_found", "case not found"),
        (403, "appeal_decider_filed", "the administrator who filed an appeal does not decide it"),
        (409, "case_closed", "the case is closed"),
        (422, "not_an_appeal", "this case is not an appeal"),
    ),
)
def decide_appeal(
    case_id: str, body: DecisionIn, caller: Caller = Depends(get_caller)
) -> CaseDetailOut:
    """Grant an appeal (its action is lifted) or uphold it: an administrator other than the one
    who took the action or filed the appeal (403 `appeal_decider_acted`,
    `appeal_decider_filed`). Platform administrators only."""
    now = caller.runtime.clock.now()
    with caller.platform_admin(write=True) as (session, actor):
        case = appeals.decide(
            session, case_id=case_id, decision=body.decision, note=body.note, actor=actor, now=now
        )
        session.flush()
        return _detail(session, case, now)


@router.post(
    "/v1/admin/appeals",
    status_code=201,
    response_model=CaseDetailOut,
    summary="File an appeal for someone",
    responses=errors(
        (404, "action_not_found", "enforcement action not found"),
        (409, "already_appealed", "this action is appealed already"),
        (409, "action_lifted", "this action is lifted already"),
    ),
)
def file_appeal_for(body: AppealIn, caller: Caller = Depends(get_caller)) -> CaseDetailOut:
    """File an appeal for someone who asked another way (by mail, say): against an action of
    any scope. The administrator who files it does not decide it. Platform administrators only."""
    now = caller.runtime.clock.now()
    with caller.platform_admin(write=True) as (session, actor):
        case = appeals.file_appeal(
            session,
            org_id=None,
            action_id=body.action_id,
            statement=body.statement,
            actor=actor,
            now=now,
        )
        session.flush()
        return _detail(session, case, now)


@router.post(
    "/v1/admin/cases/{case_id}/enforcement",
    status_code=201,
    response_model=EnforcementTaken,
    summary="Take an enforcement action on a case",
    responses=errors(
        (404, "case_not_found", "case not found"),
        (404, "org_not_found", "organization not found"),
        (409, "case_closed", "the case is closed"),
    ),
)
def act_on_case(
    case_id: str, body: EnforcementIn, caller: Caller = Depends(get_caller)
) -> EnforcementTaken:
    """Take an enforcement action because of this case; the case records it. Platform administrators
    only."""
    now = caller.runtime.clock.now()
    with caller.platform_admin(write=True) as (session, actor):
        action, cancelled = cases.act_on_case(
            session,
            case_id=case_id,
            kind=body.kind,
            scope=body.scope,
            target=body.target,
            reason=body.reason,
            actor=actor,
            now=now,
            ends_at=body.ends_at,
            digest_key=caller.runtime.billing_digest_key,
        )
        return EnforcementTaken(
            **EnforcementOut.model_validate(action).model_dump(), calls_cancelled=cancelled
        )


@router.get(
    "/v1/admin/audit",
    response_model=PageOut[AuditEventOut],
    summary="Read the platform's audit log",
)
def platform_audit(
    org_id: str | None = Query(None),
    action: str | None = Query(None, description="An action, or a prefix ending in '.'"),
    target_id: str | None = Query(None),
    actor_id: str | None = Query(None),
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[AuditEventOut]:
    """The whole platform's audit log, newest first. Platform administrators only."""
    with caller.platform_admin(write=False) as (session, _):
        page = trail.search(
            session,
            org_id=org_id,
            action=action,
            target_id=target_id,
            actor_id=actor_id,
            limit=limit,
            cursor=cursor,
        )
        return page_of(page, AuditEventOut)


def _appeal_out(case: TrustCase, now: datetime) -> AppealOut:
    return AppealOut(
        id=case.id,
        action_id=case.action_id,
        status=case.status,
        statement=(case.details or {}).get("statement", ""),
        due_at=case.due_at,
        overdue=is_overdue(case, now),
        resolution=case.resolution,
        resolved_at=case.resolved_at,
        created_at=case.created_at,
    )


@router.post(
    "/v1/orgs/{org_id}/appeals",
    status_code=201,
    response_model=AppealOut,
    summary="Appeal an enforcement action",
    responses=errors(
        (404, "action_not_found", "enforcement action not found"),
        (409, "already_appealed", "this action is appealed already"),
        (409, "action_lifted", "this action is lifted already"),
    ),
)
def file_appeal(org_id: str, body: AppealIn, caller: Caller = Depends(get_caller)) -> AppealOut:
    """Ask for an enforcement action that affects this organization to be reconsidered: about
    it or one of its endpoints, one of its members, or a number it calls. The answer is due
    within five business days. Admins and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        case = appeals.file_appeal(
            s,
            org_id=org_id,
            action_id=body.action_id,
            statement=body.statement,
            actor=access.actor,
            now=now,
        )
        return _appeal_out(case, now)


@router.get(
    "/v1/orgs/{org_id}/appeals",
    response_model=PageOut[AppealOut],
    summary="List the organization's appeals",
)
def list_appeals(
    org_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[AppealOut]:
    """The organization's appeals and their answers, newest first. Any member, or a key with
    `read`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        page = queries.appeals_of(s, org_id=org_id, limit=limit, cursor=cursor)
        return PageOut[AppealOut](
            items=[_appeal_out(case, now) for case in page.items], next_cursor=page.next_cursor
        )
