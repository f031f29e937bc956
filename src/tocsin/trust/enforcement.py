"""Enforcement: warnings, suspensions and terminations, effective the moment they are written.

A suspension or termination of an organization or endpoint refuses its webhooks (403 with a
code that says which) and cancels its queued calls; of a number, stops every organization from
calling it; of a user, refuses their sign-in and tokens. The dial-time check in the worker makes
a call that was already claimed obey it too. A warning only records and tells the owners.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization, User
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction, of_family
from tocsin.audit.notices import tell_owners
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from tocsin.core.ids import new_id
from tocsin.core.pagination import DEFAULT_LIMIT, Page, paginate
from tocsin.endpoints.models import Endpoint
from tocsin.numbers.do_not_call import e164_of
from tocsin.paging.escalation import poke
from tocsin.paging.jobs import cancel_pending_where
from tocsin.paging.models import Alert, CallJob, JobOutcome
from tocsin.restrictions.models import EnforcementAction


class ActionKind(StrEnum):
    WARNING = "warning"
    SUSPENSION = "suspension"
    TERMINATION = "termination"


class ActionScope(StrEnum):
    USER = "user"
    ORGANIZATION = "organization"
    ENDPOINT = "endpoint"
    NUMBER = "number"


BLOCKING = (ActionKind.SUSPENSION.value, ActionKind.TERMINATION.value)


@dataclass(frozen=True)
class Block:
    """An active suspension or termination that forbids something."""

    action_id: str
    kind: ActionKind
    scope: ActionScope
    reason: str
    ends_at: datetime | None

    @property
    def code(self) -> str:
        past = "suspended" if self.kind == ActionKind.SUSPENSION else "terminated"
        return f"{'org' if self.scope == ActionScope.ORGANIZATION else self.scope.value}_{past}"

    def refusal(self) -> Forbidden:
        what = "organization" if self.scope == ActionScope.ORGANIZATION else self.scope.value
        until = f" until {self.ends_at:%Y-%m-%d %H:%M} UTC" if self.ends_at else ""
        return Forbidden(
            f"this {what} is {self.code.split('_')[1]}{until}: {self.reason}",
            code=self.code,
            details={"action_id": self.action_id},
        )


def _active(now: datetime) -> list[ColumnElement[bool]]:
    return [
        EnforcementAction.kind.in_(BLOCKING),
        EnforcementAction.lifted_at.is_(None),
        EnforcementAction.starts_at <= now,
        or_(EnforcementAction.ends_at.is_(None), EnforcementAction.ends_at > now),
    ]


def _block(row: EnforcementAction | None) -> Block | None:
    if row is None:
        return None
    return Block(row.id, ActionKind(row.kind), ActionScope(row.scope), row.reason, row.ends_at)


def _find(
    session: Session, now: datetime, *targets: tuple[ActionScope, str | None]
) -> Block | None:
    wanted = [
        and_(EnforcementAction.scope == scope.value, EnforcementAction.target_id == target)
        for scope, target in targets
        if target is not None
    ]
    if not wanted:
        return None
    row = session.scalar(
        select(EnforcementAction)
        .where(*_active(now), or_(*wanted))
        # Terminations before suspensions: the sterner one is the one to say.
        .order_by(EnforcementAction.kind.desc(), EnforcementAction.created_at)
        .limit(1)
    )
    return _block(row)


def ingest_block(session: Session, *, org_id: str, endpoint_id: str, now: datetime) -> Block | None:
    return _find(
        session, now, (ActionScope.ORGANIZATION, org_id), (ActionScope.ENDPOINT, endpoint_id)
    )


def dial_block(
    session: Session, *, org_id: str, endpoint_id: str | None, number: str, now: datetime
) -> Block | None:
    return _find(
        session,
        now,
        (ActionScope.ORGANIZATION, org_id),
        (ActionScope.ENDPOINT, endpoint_id),
        (ActionScope.NUMBER, number),
    )


def user_block(session: Session, *, user_id: str, now: datetime) -> Block | None:
    return _find(session, now, (ActionScope.USER, user_id))


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
    session: Session, scope: ActionScope, target: str, *, reason: str, now: datetime
) -> int:
    """Cancel the pending calls the action forbids, and let their escalations move on."""
    if scope == ActionScope.ORGANIZATION:
        condition = CallJob.org_id == target
    elif scope == ActionScope.ENDPOINT:
        condition = CallJob.alert_id.in_(select(Alert.id).where(Alert.endpoint_id == target))
    elif scope == ActionScope.NUMBER:
        condition = CallJob.to_number == target
    else:
        return 0
    cancelled, escalations = cancel_pending_where(
        session, condition, outcome=JobOutcome.BLOCKED, reason=reason, now=now
    )
    for escalation_id in escalations:
        poke(session, escalation_id=escalation_id, now=now)
    return cancelled


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
) -> tuple[EnforcementAction, int]:
    """Record the action and apply it at once; returns it and how many queued calls it
    cancelled."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("an enforcement action needs a reason", code="reason_required")
    if ends_at is not None and ends_at <= now:
        raise InvalidInput("ends_at must be in the future", code="invalid_end")
    if kind == ActionKind.TERMINATION and ends_at is not None:
        raise InvalidInput("a termination has no end; use a suspension", code="invalid_end")
    target_id, org_id = _target(session, scope, target)
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
        cancelled = _cancel_queued(
            session, scope, target_id, reason=f"{kind.value}: {action.reason}", now=now
        )
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


def lift(session: Session, *, action_id: str, actor: Actor, now: datetime) -> EnforcementAction:
    action = session.get(EnforcementAction, action_id, with_for_update=True)
    if action is None:
        raise NotFound("no enforcement action with this id", code="action_not_found")
    if action.lifted_at is not None:
        raise Conflict("this action was already lifted", code="action_lifted")
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
        details={"action_id": action.id, "kind": action.kind},
    )
    return action


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
