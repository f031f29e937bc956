"""Enforcement: warnings, suspensions and terminations, effective the moment they are written.

A suspension or termination of an organization or endpoint refuses its webhooks (403 with a
code that says which) and cancels its queued calls; of a number, stops every organization from
calling it; of a user, refuses their sign-in and tokens. A suspended or terminated organization
is read-only for its members (restrictions.blocks.require_writable). The dial-time check in the
worker makes a call that was already claimed obey it too. A warning only records and tells the
owners.

A termination also takes away every way back in and ends the billing (trust/terminations.py),
and only granting an appeal lifts it: a termination that could simply be lifted would be a
suspension by another name.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization, User
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction, of_family
from tocsin.audit.notices import tell_owners
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput, NotFound
from tocsin.core.ids import new_id
from tocsin.endpoints.models import Endpoint
from tocsin.numbers.do_not_call import e164_of
from tocsin.paging.models import Alert, CallJob, JobOutcome
from tocsin.paging.stopped_calls import stop_pending_calls, tell_owners_calls_stopped
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.restrictions.models import EnforcementAction
from tocsin.trust import terminations

# The scopes whose termination revokes access and marks the people behind them.
TERMINATES_PEOPLE = frozenset({ActionScope.ORGANIZATION, ActionScope.USER})


def _target(session: Session, scope: ActionScope, target: str) -> tuple[str, str | None]:
    """The stored target id and its organization; NotFound for a target that does not exist."""
    if scope == ActionScope.ORGANIZATION:
        org = session.get(Organization, target)
        if org is None:
            raise NotFound("no organization with this id", code="org_not_found")
        return org.id, org.id
    if scope == ActionScope.ENDPOINT:
        endpoint = session.get(Endpoint, target)
        if endpoint is None:
            raise NotFound("no endpoint with this id", code="endpoint_not_found")
        return endpoint.id, endpoint.org_id
    if scope == ActionScope.USER:
        if session.get(User, target) is None:
            raise NotFound("no user with this id", code="user_not_found")
        return target, None
    return e164_of(target, None), None


def _cancel_queued(
    session: Session, action: EnforcementAction, *, actor: Actor, now: datetime
) -> int:
    """Cancel the pending calls the action forbids, each on its alert's timeline, and let their
    escalations move on. Calls to a suspended or terminated number belong to any organization,
    so each that lost one is told; an organization or endpoint's own owners hear of the action
    itself."""
    scope, target = ActionScope(action.scope), action.target_id
    if scope == ActionScope.ORGANIZATION:
        condition = CallJob.org_id == target
    elif scope == ActionScope.ENDPOINT:
        condition = CallJob.alert_id.in_(select(Alert.id).where(Alert.endpoint_id == target))
    elif scope == ActionScope.NUMBER:
        condition = CallJob.to_number == target
    else:
        return 0
    details: dict[str, object] = {"action_id": action.id, "reason": action.reason}
    if scope == ActionScope.NUMBER:
        details["number"] = target
    stopped = stop_pending_calls(
        session,
        condition,
        outcome=JobOutcome.BLOCKED,
        reason=f"{action.kind}: {action.reason}",
        action=of_family("enforcement", action.kind),
        details=details,
        actor=actor,
        now=now,
    )
    if scope == ActionScope.NUMBER:
        tell_owners_calls_stopped(
            session,
            stopped,
            number=target,
            why=f"Tocsin's trust and safety team put a {action.kind} on the number",
            period=action.id,
            actor=actor,
            now=now,
            details={"action_id": action.id},
        )
    return stopped.cancelled


def take_action(
    session: Session,
    *,
    kind: ActionKind,
    scope: ActionScope,
    target: str,
    reason: str,
    actor: Actor,
    now: datetime,
    ends_at: datetime | None = None,
    digest_key: bytes | None = None,
) -> tuple[EnforcementAction, int]:
    """Record the action and apply it at once; returns it and how many queued calls it
    cancelled. A termination of a user or organization needs `digest_key` (the runtime's
    billing digest key) to mark who it was about."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("an enforcement action needs a reason", code="reason_required")
    if ends_at is not None and ends_at <= now:
        raise InvalidInput("ends_at must be in the future", code="invalid_end")
    if kind == ActionKind.TERMINATION and ends_at is not None:
        raise InvalidInput("a termination has no end; use a suspension", code="invalid_end")
    target_id, org_id = _target(session, scope, target)
    marks_people = kind == ActionKind.TERMINATION and scope in TERMINATES_PEOPLE
    if marks_people and digest_key is None:
        raise RuntimeError("a termination needs the billing digest key to mark who it was about")
    action = EnforcementAction(
        id=new_id("enf"),
        kind=kind.value,
        scope=scope.value,
        target_id=target_id,
        org_id=org_id,
        reason=reason[:2000],
        actor_type=actor.type,
        actor_id=actor.id,
        starts_at=now,
        ends_at=ends_at,
        created_at=now,
    )
    session.add(action)
    session.flush()
    cancelled = 0
    if kind != ActionKind.WARNING:
        cancelled = _cancel_queued(session, action, actor=actor, now=now)
    consequences: dict[str, int] = {}
    if marks_people and digest_key is not None:
        consequences = terminations.apply(
            session, action, actor=actor, digest_key=digest_key, now=now
        ).details()
    audit.record(
        session,
        actor=actor,
        action=of_family("enforcement", kind.value),
        at=now,
        org_id=org_id,
        target_type=scope.value,
        target_id=target_id,
        details={
            "action_id": action.id,
            "reason": action.reason,
            "ends_at": ends_at.isoformat() if ends_at else None,
            "calls_cancelled": cancelled,
            **consequences,
        },
    )
    if org_id is not None:
        tell_owners(
            session,
            org_id=org_id,
            kind=f"enforcement_{kind.value}",
            period=action.id,
            message=f"{kind.value.capitalize()} of {scope.value} {target_id}: {action.reason}",
            now=now,
            actor=actor,
            details={"action_id": action.id},
        )
    return action, cancelled


def lift(
    session: Session,
    *,
    action_id: str,
    actor: Actor,
    now: datetime,
    granted_appeal: str | None = None,
) -> EnforcementAction:
    """End the action now. A termination ends only with `granted_appeal`, the id of the appeal
    case granting it (trust/appeals.py); lifting it directly is refused (409
    `termination_needs_appeal`). What the termination revoked stays revoked."""
    action = session.get(EnforcementAction, action_id, with_for_update=True)
    if action is None:
        raise NotFound("no enforcement action with this id", code="action_not_found")
    if action.lifted_at is not None:
        raise Conflict("this action was already lifted", code="action_lifted")
    if action.kind == ActionKind.TERMINATION.value and granted_appeal is None:
        raise Conflict(
            "a termination is lifted only by granting an appeal against it; the organization "
            "files one, and another administrator decides it",
            code="termination_needs_appeal",
            details={"action_id": action.id},
        )
    action.lifted_at = now
    action.lifted_by = actor.id
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ENFORCEMENT_LIFTED,
        at=now,
        org_id=action.org_id,
        target_type=action.scope,
        target_id=action.target_id,
        details={"action_id": action.id, "kind": action.kind, "appeal_case_id": granted_appeal},
    )
    return action
