"""Who may decide an appeal: a named platform administrator who neither took the action the
appeal is against nor filed the appeal. Closing an appeal as resolved or dismissed is deciding
it too, so the case queue asks the same question."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tocsin.accounts.models import PLATFORM_ADMIN, User
from tocsin.core.actors import Actor
from tocsin.core.errors import Forbidden
from tocsin.restrictions.models import EnforcementAction
from tocsin.trust.models import CaseKind, TrustCase


def administrator_behind(session: Session, actor: Actor) -> str | None:
    """The user id of the platform administrator behind `actor`: signed in, or named at the
    shell (`--as EMAIL`); None for anyone else (a key, the system, the unnamed shell)."""
    if actor.id is None:
        return None
    user = session.get(User, actor.id)
    if user is None or user.platform_role != PLATFORM_ADMIN:
        return None
    return user.id


def decider_refusal(session: Session, case: TrustCase, actor: Actor) -> Forbidden | None:
    """Why `actor` may not decide `case`, or None when they may (or it is not an appeal)."""
    if case.kind != CaseKind.APPEAL.value:
        return None
    person = administrator_behind(session, actor)
    if person is None:
        return Forbidden(
            "an appeal is decided by a named platform administrator; at the shell, say who "
            "you are with --as EMAIL",
            code="appeal_decider_unknown",
        )
    action = session.get(EnforcementAction, case.action_id) if case.action_id else None
    if action is not None and action.actor_id == person:
        return Forbidden(
            "you took the action this appeal is against; another administrator decides it",
            code="appeal_decider_acted",
            details={"action_id": action.id},
        )
    if case.opened_by_id == person:
        return Forbidden(
            "you filed this appeal; another administrator decides it",
            code="appeal_decider_filed",
        )
    return None


def require_impartial(session: Session, case: TrustCase, actor: Actor) -> None:
    refusal = decider_refusal(session, case, actor)
    if refusal is not None:
        raise refusal
