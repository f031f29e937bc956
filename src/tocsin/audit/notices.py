"""Telling an organization's owners something once: a notice per kind and period."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import of_family
from tocsin.audit.models import Notice
from tocsin.core.actors import Actor
from tocsin.core.ids import new_id
from tocsin.db.base import table_of
from tocsin.db.upsert import insert_ignoring_conflicts

log = logging.getLogger(__name__)

_NOTICES = table_of(Notice)


def tell_owners(
    session: Session,
    *,
    org_id: str,
    kind: str,
    period: str,
    message: str,
    now: datetime,
    actor: Actor,
    details: dict[str, Any] | None = None,
    user_id: str | None = None,
) -> bool:
    """Record the notice unless this kind was already said for this period; True if new.
    With `user_id` the notice is for that member (mailed to them, not to the owners)."""
    statement = (
        insert_ignoring_conflicts(session, _NOTICES, on=["org_id", "kind", "period"])
        .values(
            id=new_id("ntc"),
            org_id=org_id,
            kind=kind,
            period=period,
            message=message,
            details=details,
            created_at=now,
            read_at=None,
            user_id=user_id,
        )
        .returning(_NOTICES.c.id)
    )
    if session.execute(statement).first() is None:
        return False
    audit.record(
        session,
        actor=actor,
        action=of_family("notice", kind),
        at=now,
        org_id=org_id,
        target_type="organization",
        target_id=org_id,
        details={
            "message": message,
            "period": period,
            **({"user_id": user_id} if user_id else {}),
            **(details or {}),
        },
    )
    log.warning("organization %s: %s", org_id, message)
    return True


def tell_member(
    session: Session,
    *,
    org_id: str,
    user_id: str,
    kind: str,
    period: str,
    message: str,
    now: datetime,
    actor: Actor,
    details: dict[str, Any] | None = None,
) -> bool:
    """A notice for one member, in the organization's notices and mailed to them alone; once
    per kind and period (put the member in the period). True if new."""
    return tell_owners(
        session,
        org_id=org_id,
        kind=kind,
        period=period,
        message=message,
        now=now,
        actor=actor,
        details=details,
        user_id=user_id,
    )
