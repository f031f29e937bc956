"""Trust and safety staff: the users who are platform administrators and may act on any
organization."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.accounts.models import PLATFORM_ADMIN, User
from tocsin.accounts.service import find_user_by_email
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import Forbidden

# The value of `User.platform_role` that makes a user a platform administrator; the sign-in
# checks (http/api/auth.py) compare with the same value.


def set_platform_admin(
    session: Session, *, email: str, admin: bool, actor: Actor, now: datetime
) -> User:
    """Make the user with this email a platform administrator, or no longer one."""
    user = find_user_by_email(session, email)
    user.platform_role = PLATFORM_ADMIN if admin else None
    audit.record(
        session,
        actor=actor,
        action=AuditAction.PLATFORM_ADMIN_GRANTED if admin else AuditAction.PLATFORM_ADMIN_REVOKED,
        at=now,
        target_type="user",
        target_id=user.id,
    )
    return user


def named_administrator(session: Session, *, email: str) -> Actor:
    """The platform administrator with this email, as the actor of what they do at the shell
    (`--as EMAIL`): the shell is trusted, but an appeal's decider must differ from the one who
    acted, which needs a name."""
    user = find_user_by_email(session, email)
    if user.platform_role != PLATFORM_ADMIN:
        raise Forbidden(f"{email} is not a platform administrator", code="platform_admin_required")
    return Actor("cli", user.id)
