"""Appending to the audit log, always inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from tocsin.audit.actions import AuditAction
from tocsin.audit.models import AuditEvent
from tocsin.core.actors import Actor
from tocsin.core.ids import new_id
from tocsin.db.base import table_of
from tocsin.db.statements import run

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
    run(
        session,
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
