"""What trust and safety staff and organizations read: the case queue, a case's history,
enforcement actions, appeals, and an organization as staff see it. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.audit import trail
from tocsin.audit.trail import AuditEvent
from tocsin.core.errors import NotFound
from tocsin.core.pagination import DEFAULT_LIMIT, Page, paginate
from tocsin.endpoints.models import Endpoint
from tocsin.organizations.queries import Member, all_members
from tocsin.restrictions.kinds import BLOCKING, ActionScope
from tocsin.restrictions.models import EnforcementAction
from tocsin.trust.models import CaseKind, CaseStatus, TrustCase

RECENT_ACTIONS = 20


def is_overdue(case: TrustCase, now: datetime) -> bool:
    return case.status == CaseStatus.OPEN and case.due_at is not None and case.due_at < now


def get_case(session: Session, case_id: str, *, lock: bool = False) -> TrustCase:
    case = session.get(TrustCase, case_id, with_for_update=lock)
    if case is None:
        raise NotFound("no such case", code="case_not_found")
    return case


def list_cases(
    session: Session,
    *,
    now: datetime,
    status: CaseStatus | None,
    kind: CaseKind | None,
    org_id: str | None,
    overdue: bool,
    limit: int,
    cursor: str | None,
) -> Page[TrustCase]:
    query = select(TrustCase)
    if status is not None:
        query = query.where(TrustCase.status == status.value)
    if kind is not None:
        query = query.where(TrustCase.kind == kind.value)
    if org_id is not None:
        query = query.where(TrustCase.org_id == org_id)
    if overdue:
        query = query.where(
            TrustCase.status == CaseStatus.OPEN.value,
            TrustCase.due_at.is_not(None),
            TrustCase.due_at < now,
        )
    return paginate(session, query, TrustCase.id, limit=limit, cursor=cursor, newest_first=True)


def case_history(session: Session, case_id: str) -> list[AuditEvent]:
    """Everything done about the case, oldest first: every change to a case is audited with the
    case as its target, so its audit trail is its history."""
    return trail.about(session, target_type="case", target_id=case_id)


def appeals_of(session: Session, *, org_id: str, limit: int, cursor: str | None) -> Page[TrustCase]:
    query = select(TrustCase).where(
        TrustCase.org_id == org_id, TrustCase.kind == CaseKind.APPEAL.value
    )
    return paginate(session, query, TrustCase.id, limit=limit, cursor=cursor, newest_first=True)


def actions_about(
    session: Session,
    *,
    org_id: str | None = None,
    target_id: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[EnforcementAction]:
    """Actions newest first, about one organization (and its endpoints) or one target."""
    query = select(EnforcementAction)
    if org_id is not None:
        query = query.where(EnforcementAction.org_id == org_id)
    if target_id is not None:
        query = query.where(EnforcementAction.target_id == target_id)
    return paginate(
        session, query, EnforcementAction.id, limit=limit, cursor=cursor, newest_first=True
    )


def is_live(action: EnforcementAction, now: datetime) -> bool:
    """Still in force, so it can be lifted (a lifted or ended one is history)."""
    return action.lifted_at is None and (action.ends_at is None or action.ends_at > now)


@dataclass(frozen=True)
class OrganizationOverview:
    """An organization as trust and safety staff see it."""

    organization: Organization
    members: list[Member]
    endpoint_count: int
    # The most recent actions about it or its endpoints, newest first.
    actions: list[EnforcementAction]
    # Which of those are still in force.
    live: set[str]
    # A suspension or termination of the organization itself in force, if any.
    blocking: EnforcementAction | None


def organization_overview(session: Session, org_id: str, *, now: datetime) -> OrganizationOverview:
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound("no organization with this id", code="org_not_found")
    endpoints = session.scalar(
        select(func.count()).select_from(Endpoint).where(Endpoint.org_id == org.id)
    )
    actions = list(actions_about(session, org_id=org.id, limit=RECENT_ACTIONS).items)
    live = {action.id for action in actions if is_live(action, now)}
    blocking = [
        action
        for action in actions
        if action.id in live
        and action.scope == ActionScope.ORGANIZATION.value
        and action.kind in BLOCKING
    ]
    return OrganizationOverview(
        organization=org,
        members=sorted(all_members(session, org_id=org.id), key=lambda member: member.user.email),
        endpoint_count=endpoints or 0,
        actions=actions,
        live=live,
        blocking=blocking[0] if blocking else None,
    )
