"""Keeping each organization's audit log only as long as its plan says.

The plan in force decides, so an organization whose subscription ended keeps the default
plan's retention from then on. Events of no organization (platform events) are kept.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.audit.models import AuditEvent
from tocsin.billing.standing import BillingConfig

log = logging.getLogger(__name__)

# Any constant works; it only has to be the same in every Tocsin process.
_PURGE_LOCK = 0x70C51A


def purge_audit_log(session: Session, *, billing: BillingConfig, now: datetime) -> int:
    """Delete audit events older than each organization's retention; returns how many. On
    PostgreSQL one process purges at a time and the others return 0."""
    if session.get_bind().dialect.name == "postgresql":
        taken = session.scalar(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": _PURGE_LOCK})
        if not taken:
            return 0
    removed = 0
    for org in session.scalars(select(Organization)):
        days = billing.plan_in_force(org, now).audit_retention_days
        result = session.execute(
            delete(AuditEvent)
            .where(AuditEvent.org_id == org.id, AuditEvent.created_at < now - timedelta(days=days))
            .returning(AuditEvent.id)
        )
        count = len(result.all())
        if count:
            log.info("audit log: %d events of %s older than %d days removed", count, org.id, days)
        removed += count
    return removed
