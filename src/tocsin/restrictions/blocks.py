"""What enforcement forbids right now: the suspension or termination in the way of a webhook, a
call, a verification code, a sign-in or a member's change (the person's own block too, signed in
or through a key they made). Read-only; `trust/enforcement.py` takes and lifts actions.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, or_, select
from sqlalchemy.orm import Session

from tocsin.accounts.service import person_of
from tocsin.core.actors import Actor
from tocsin.core.errors import Forbidden
from tocsin.db.statements import run
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

    def read_only(self) -> Forbidden:
        """The refusal of a member's change to an organization this action made read-only."""
        past = "suspended" if self.kind == ActionKind.SUSPENSION else "terminated"
        return Forbidden(
            f"this organization is {past} and read-only for its members: {self.reason}. "
            "Appeals and billing stay open.",
            code=f"organization_{past}",
            details={"action_id": self.action_id, "kind": self.kind.value},
        )


# Whatever is in force now: not lifted, begun, and not ended.
_IN_FORCE = and_(
    EnforcementAction.kind.in_(BLOCKING),
    EnforcementAction.lifted_at.is_(None),
    EnforcementAction.starts_at <= bindparam("now"),
    or_(EnforcementAction.ends_at.is_(None), EnforcementAction.ends_at > bindparam("now")),
)

_SEVERITY_OF_ROW = case(
    {kind.value: rank for kind, rank in SEVERITY.items()}, value=EnforcementAction.kind, else_=0
)


@functools.cache
def _blocks_of(
    scopes: tuple[ActionScope, ...],
) -> Select[str, str, str, str, datetime | None]:
    """The statement that finds the sternest action in force on these scopes' targets (each
    bound as `target_<n>`). Every webhook and every call asks it, of a table that is nearly
    always empty: built once per combination of scopes, since building it costs more than
    running it."""
    wanted = [
        and_(
            EnforcementAction.scope == scope.value,
            EnforcementAction.target_id == bindparam(f"target_{n}"),
        )
        for n, scope in enumerate(scopes)
    ]
    return (
        select(
            EnforcementAction.id,
            EnforcementAction.kind,
            EnforcementAction.scope,
            EnforcementAction.reason,
            EnforcementAction.ends_at,
        )
        .where(_IN_FORCE, or_(*wanted))
        # The sternest action is the one to say (SEVERITY), then the oldest of those.
        .order_by(_SEVERITY_OF_ROW.desc(), EnforcementAction.created_at)
        .limit(1)
    )


def _block(action_id: str, kind: str, scope: str, reason: str, ends_at: datetime | None) -> Block:
    return Block(action_id, ActionKind(kind), ActionScope(scope), reason, ends_at)


def _find(
    session: Session, now: datetime, *targets: tuple[ActionScope, str | None]
) -> Block | None:
    present = [(scope, target) for scope, target in targets if target is not None]
    if not present:
        return None
    parameters: dict[str, Any] = {"now": now}
    parameters.update((f"target_{n}", target) for n, (_, target) in enumerate(present))
    row = run(session, _blocks_of(tuple(scope for scope, _ in present)), parameters).first()
    if row is None:
        return None
    return _block(*row)


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


# The id of the action `dial_block` finds, for a caller that reads it along with other facts
# in one statement (bind `now`, and `target_0`, `target_1`, `target_2` to the organization, the
# endpoint, None when there is none, and the number); see `block_by_id`.
DIAL_BLOCK_ID = (
    _blocks_of((ActionScope.ORGANIZATION, ActionScope.ENDPOINT, ActionScope.NUMBER))
    .with_only_columns(EnforcementAction.id)
    .scalar_subquery()
)


def block_by_id(session: Session, action_id: str | None) -> Block | None:
    """The block of the action `DIAL_BLOCK_ID` found, if it found one."""
    row = session.get(EnforcementAction, action_id) if action_id else None
    if row is None:
        return None
    return _block(row.id, row.kind, row.scope, row.reason, row.ends_at)


def user_block(session: Session, *, user_id: str, now: datetime) -> Block | None:
    return _find(session, now, (ActionScope.USER, user_id))


# Who is held to an organization's read-only state: its members, signed in or through a key.
# The operator's shell, the platform's own processes and trust and safety staff (who act
# through the enforcement commands, not as members) are not.
MEMBER_ACTOR_TYPES = frozenset({"user", "api_key"})


def org_block(session: Session, *, org_id: str, now: datetime) -> Block | None:
    """The suspension or termination of the organization itself, if one is in force."""
    return _find(session, now, (ActionScope.ORGANIZATION, org_id))


def require_writable(session: Session, *, org_id: str, actor: Actor, now: datetime) -> None:
    """Refuse a member's change to a suspended or terminated organization (403,
    `organization_suspended` or `organization_terminated`), and any change by a suspended or
    terminated person, signed in or through an API key they made (403, `user_suspended` or
    `user_terminated`): every command that changes an organization's configuration calls this
    first. Reads, appeals, billing and leaving do not, nor does ingest (`ingest_block`), so a
    suspended person's keys still page their organization.
    """
    if actor.type not in MEMBER_ACTOR_TYPES:
        return
    block = org_block(session, org_id=org_id, now=now)
    if block is not None:
        raise block.read_only()
    person_id = person_of(session, actor)
    person_block = user_block(session, user_id=person_id, now=now) if person_id else None
    if person_block is not None:
        raise person_block.refusal()


def code_block(
    session: Session, *, org_id: str, number: str, person_id: str | None, now: datetime
) -> Block | None:
    """What stops a verification code: the organization asking, the number, or the person
    asking (a user, or the user who created the API key that asks)."""
    return _find(
        session,
        now,
        (ActionScope.ORGANIZATION, org_id),
        (ActionScope.NUMBER, number),
        (ActionScope.USER, person_id),
    )
