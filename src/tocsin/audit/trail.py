"""Reading the audit log and the notices told to owners: what adapters show, never write."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import false, or_, select, update
from sqlalchemy.orm import Session

from tocsin.audit.actions import AuditAction
from tocsin.audit.models import AuditEvent, Notice
from tocsin.core.pagination import DEFAULT_LIMIT, Page, paginate

# The row types are named here for adapters' annotations: they read rows through this module
# and may not import the tables' module, which is where queries and writes would start.
__all__ = [
    "AuditEvent",
    "Notice",
    "about",
    "about_any",
    "list_events",
    "list_notices",
    "mark_read",
    "of_action",
    "search",
]


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


def about(session: Session, *, target_type: str, target_id: str) -> list[AuditEvent]:
    """Everything recorded about one target, oldest first (a trust and safety case's history)."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.target_type == target_type, AuditEvent.target_id == target_id)
            .order_by(AuditEvent.id)
        )
    )


def about_any(
    session: Session, *, org_id: str, targets: Mapping[str, Sequence[str]]
) -> list[AuditEvent]:
    """Everything recorded in one organization about any of `targets` (ids by target type),
    oldest first: an alert's timeline is its own events and its calls'."""
    wanted = [
        (AuditEvent.target_type == target_type) & AuditEvent.target_id.in_(ids)
        for target_type, ids in targets.items()
        if ids
    ]
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.org_id == org_id, or_(false(), *wanted))
            .order_by(AuditEvent.id)
        )
    )


def of_action(
    session: Session, *, action: AuditAction, after: datetime, until: datetime
) -> list[AuditEvent]:
    """The events of one action about an organization in (after, until], oldest first (the
    anomaly scan reads trial refusals this way)."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.action == action,
                AuditEvent.created_at > after,
                AuditEvent.created_at <= until,
                AuditEvent.org_id.is_not(None),
            )
            .order_by(AuditEvent.created_at, AuditEvent.id)
        )
    )


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
