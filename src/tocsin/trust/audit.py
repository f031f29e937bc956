"""Appending to the audit log, always inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tocsin.ids import new_id
from tocsin.trust.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who did something: a user, an API key, the system, or a worker."""

    type: str
    id: str | None = None
    ip_address: str | None = None


SYSTEM = Actor("system")


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    at: datetime,
    org_id: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(
            id=new_id("aud"),
            org_id=org_id,
            actor_type=actor.type,
            actor_id=actor.id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=details,
            ip_address=actor.ip_address,
            created_at=at,
        )
    )
