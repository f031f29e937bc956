"""Telling an organization's owners something once: a notice per kind and period."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tocsin.billing.models import Notice
from tocsin.db.base import table_of
from tocsin.ids import new_id
from tocsin.trust import audit
from tocsin.trust.audit import Actor

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
) -> bool:
    """Record the notice unless this kind was already said for this period; True if new."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(_NOTICES)
        .values(
            id=new_id("ntc"),
            org_id=org_id,
            kind=kind,
            period=period,
            message=message,
            details=details,
            created_at=now,
            read_at=None,
        )
        .on_conflict_do_nothing(index_elements=["org_id", "kind", "period"])
        .returning(_NOTICES.c.id)
    )
    if session.execute(statement).first() is None:
        return False
    audit.record(
        session,
        actor=actor,
        action=f"notice.{kind}",
        at=now,
        org_id=org_id,
        target_type="organization",
        target_id=org_id,
        details={"message": message, "period": period, **(details or {})},
    )
    log.warning("organization %s: %s", org_id, message)
    return True


def list_notices(session: Session, org_id: str, *, unread_only: bool = False) -> list[Notice]:
    query = select(Notice).where(Notice.org_id == org_id)
    if unread_only:
        query = query.where(Notice.read_at.is_(None))
    return list(session.scalars(query.order_by(Notice.created_at.desc(), Notice.id.desc())))


def mark_read(session: Session, org_id: str, *, now: datetime) -> int:
    notices = list_notices(session, org_id, unread_only=True)
    for notice in notices:
        notice.read_at = now
    return len(notices)
