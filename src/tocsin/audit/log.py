"""Appending to the audit log, always inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tocsin.audit.actions import AuditAction
from tocsin.audit.models import AuditEvent
from tocsin.core.actors import Actor
from tocsin.core.ids import new_id
from tocsin.core.pagination import Page, paginate
from tocsin.db.base import table_of

SYSTEM = Actor("system")

# Built once: a statement reused with parameters skips SQLAlchemy's per-call compilation work.
_INSERT = insert(table_of(AuditEvent))


def record(
    session: Session,
    *,
    actor: Actor,
    action: AuditAction,
    at: datetime,
    org_id: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    # A Core insert: the log is append-only and never read back in the same transaction, so
    # the ORM's unit of work would only add cost to every request that records something.
    session.execute(
        _INSERT,
        {
            "id": new_id("aud"),
            "org_id": org_id,
            "actor_type": actor.type,
            "actor_id": actor.id,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "details": details,
            "ip_address": actor.ip_address,
            "created_at": at,
        },
    )


def list_events(
    session: Session, *, org_id: str, action: str | None, limit: int, cursor: str | None
) -> Page[AuditEvent]:
    return search(session, org_id=org_id, action=action, limit=limit, cursor=cursor)


def search(
    session: Session,
    *,
    org_id: str | None = None,
    action: str | None = None,
    target_id: str | None = None,
    actor_id: str | None = None,
    limit: int,
    cursor: str | None = None,
) -> Page[AuditEvent]:
    """The platform-wide log for trust and safety staff; `action` ending in '.' is a prefix."""
    query = select(AuditEvent)
    if org_id is not None:
        query = query.where(AuditEvent.org_id == org_id)
    if target_id is not None:
        query = query.where(AuditEvent.target_id == target_id)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if action:
        query = query.where(
            AuditEvent.action.startswith(action, autoescape=True)
            if action.endswith(".")
            else AuditEvent.action == action
        )
    return paginate(session, query, AuditEvent.id, limit=limit, cursor=cursor, newest_first=True)
