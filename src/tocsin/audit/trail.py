"""Reading the audit log and the notices told to owners: what adapters show, never write."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tocsin.audit.models import AuditEvent, Notice
from tocsin.core.pagination import DEFAULT_LIMIT, Page, paginate


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


def list_notices(
    session: Session,
    org_id: str,
    *,
    unread_only: bool = False,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[Notice]:
    query = select(Notice).where(Notice.org_id == org_id)
    if unread_only:
        query = query.where(Notice.read_at.is_(None))
    return paginate(session, query, Notice.id, limit=limit, cursor=cursor, newest_first=True)


def mark_read(session: Session, org_id: str, *, now: datetime) -> int:
    marked = session.execute(
        update(Notice)
        .where(Notice.org_id == org_id, Notice.read_at.is_(None))
        .values(read_at=now)
        .returning(Notice.id)
    ).all()
    return len(marked)
