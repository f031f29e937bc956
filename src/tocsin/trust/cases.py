"""Changes to the trust and safety case queue (abuse reports, anomalies and appeals, one list
for staff): filing a case, updating it, acting on it. Reading it is `trust.queries`.

Every change to a case is written to the audit log with the case as its target, so a case's
history is its audit trail. A detector that fires again on the same pattern finds its open
case by fingerprint and adds to it, rather than filing a second.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction, of_family
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput
from tocsin.core.ids import new_id
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.restrictions.models import EnforcementAction
from tocsin.trust import enforcement
from tocsin.trust.deciders import require_impartial
from tocsin.trust.models import CaseKind, CaseStatus, TrustCase
from tocsin.trust.queries import get_case


def add_business_days(start: datetime, days: int) -> datetime:
    """`days` working days after `start`, skipping Saturdays and Sundays (in UTC; public
    holidays differ by country and are not counted out)."""
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.astimezone(UTC).weekday() < 5:
            added += 1
    return current


def open_case(
    session: Session,
    *,
    kind: CaseKind,
    summary: str,
    details: dict[str, Any],
    actor: Actor,
    now: datetime,
    org_id: str | None = None,
    fingerprint: str | None = None,
    due_at: datetime | None = None,
    action_id: str | None = None,
) -> tuple[TrustCase, bool]:
    """File a case, or with a `fingerprint` already filed, return that one with `details`
    merged in. The boolean says whether a new case was filed."""
    if fingerprint is not None:
        existing = session.scalar(select(TrustCase).where(TrustCase.fingerprint == fingerprint))
        if existing is not None:
            existing.details = {**(existing.details or {}), **details}
            existing.updated_at = now
            return existing, False
    case = TrustCase(
        id=new_id("case"),
        kind=kind.value,
        status=CaseStatus.OPEN.value,
        org_id=org_id,
        summary=summary[:300],
        details=details,
        fingerprint=fingerprint,
        action_id=action_id,
        opened_by_type=actor.type,
        opened_by_id=actor.id,
        due_at=due_at,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(case)
            session.flush()
    except IntegrityError:
        # Another process filed the same fingerprint a moment ago.
        session.expunge(case)
        existing = session.scalar(select(TrustCase).where(TrustCase.fingerprint == fingerprint))
        if existing is None:
            raise
        return existing, False
    audit.record(
        session,
        actor=actor,
        action=of_family("case.opened", kind.value),
        at=now,
        org_id=org_id,
        target_type="case",
        target_id=case.id,
        details={"summary": case.summary},
    )
    return case, True


def update_case(
    session: Session,
    *,
    case_id: str,
    actor: Actor,
    now: datetime,
    status: CaseStatus | None = None,
    assignee_id: str | None = None,
    note: str | None = None,
    resolution: str | None = None,
) -> TrustCase:
    """Assign, annotate, resolve, dismiss or reopen a case."""
    case = get_case(session, case_id, lock=True)
    changes: dict[str, Any] = {}
    if assignee_id is not None and assignee_id != case.assignee_id:
        case.assignee_id = assignee_id or None
        changes["assignee_id"] = case.assignee_id
    if status is not None and status.value != case.status:
        if status != CaseStatus.OPEN and not (resolution or note):
            raise InvalidInput(
                "say why when closing a case (resolution)", code="resolution_required"
            )
        if status != CaseStatus.OPEN:
            # Closing an appeal answers it: the same administrators may do that as may decide.
            require_impartial(session, case, actor)
        case.status = status.value
        if status == CaseStatus.OPEN:
            case.resolved_at, case.resolved_by, case.resolution = None, None, None
        else:
            case.resolved_at, case.resolved_by = now, actor.id
            case.resolution = resolution or note
        changes["status"] = status.value
    if note:
        changes["note"] = note
    if not changes:
        raise InvalidInput("nothing to change", code="nothing_to_change")
    case.updated_at = now
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CASE_UPDATED,
        at=now,
        org_id=case.org_id,
        target_type="case",
        target_id=case.id,
        details=changes,
    )
    return case


def require_open(case: TrustCase) -> None:
    if case.status != CaseStatus.OPEN:
        raise Conflict(f"this case is already {case.status}", code="case_closed")


def act_on_case(
    session: Session,
    *,
    case_id: str,
    kind: ActionKind,
    scope: ActionScope,
    target: str,
    reason: str,
    actor: Actor,
    now: datetime,
    ends_at: datetime | None = None,
    digest_key: bytes | None = None,
) -> tuple[EnforcementAction, int]:
    """Take an enforcement action because of a case, which records it: the action's reason
    names the case, and the case keeps the first action taken on it. Returns the action and
    how many queued calls it cancelled."""
    case = get_case(session, case_id, lock=True)
    action, cancelled = enforcement.take_action(
        session,
        kind=kind,
        scope=scope,
        target=target,
        reason=f"{reason} (case {case.id})",
        actor=actor,
        now=now,
        ends_at=ends_at,
        digest_key=digest_key,
    )
    if case.action_id is None:
        case.action_id = action.id
    case.updated_at = now
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CASE_ACTION_TAKEN,
        at=now,
        org_id=case.org_id,
        target_type="case",
        target_id=case.id,
        details={"action_id": action.id, "kind": action.kind, "calls_cancelled": cancelled},
    )
    return action, cancelled
