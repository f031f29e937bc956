"""What enforcement forbids right now: the suspension or termination in the way of a webhook, a
call or a sign-in. Read-only; `trust/enforcement.py` takes and lifts actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, or_, select
from sqlalchemy.orm import Session

from tocsin.core.errors import Forbidden
from tocsin.restrictions.kinds import BLOCKING, SEVERITY, ActionKind, ActionScope
from tocsin.restrictions.models import EnforcementAction


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


_SEVERITY_OF_ROW = case(
    {kind.value: rank for kind, rank in SEVERITY.items()}, value=EnforcementAction.kind, else_=0
)


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
        # The sternest action is the one to say (SEVERITY), then the oldest of those.
        .order_by(_SEVERITY_OF_ROW.desc(), EnforcementAction.created_at)
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
