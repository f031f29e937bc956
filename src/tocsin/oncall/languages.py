"""A member's language: the one their calls speak, over the organization's
(`telephony.prompts.resolve_language`; a contact's own language still comes first)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Membership
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import NotFound
from tocsin.oncall.access import require_manager
from tocsin.restrictions.blocks import require_writable
from tocsin.telephony.prompts import check_language


def member_language(session: Session, *, org_id: str, user_id: str) -> str | None:
    """The member's own language; None when their calls speak the organization's."""
    return session.scalar(
        select(Membership.language).where(
            Membership.org_id == org_id, Membership.user_id == user_id
        )
    )


def set_member_language(
    session: Session,
    *,
    org_id: str,
    user_id: str,
    language: str,
    actor: Actor,
    now: datetime,
) -> str | None:
    """Set the language of the member's calls (the member themself, or an admin for them); an
    empty `language` goes back to the organization's. InvalidInput `unknown_language` for a
    code the catalogue lacks. Returns the member's language as it now is."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    require_manager(session, org_id=org_id, user_id=user_id, actor=actor)
    chosen = check_language(language) if language.strip() else None
    membership = session.get(Membership, (org_id, user_id))
    if membership is None:
        raise NotFound("member not found", code="member_not_found")
    before = membership.language
    membership.language = chosen
    audit.record(
        session,
        actor=actor,
        action=AuditAction.MEMBER_LANGUAGE_CHANGED,
        at=now,
        org_id=org_id,
        target_type="user",
        target_id=user_id,
        details={"from": before, "to": chosen},
    )
    return chosen
