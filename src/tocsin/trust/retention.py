"""Keeping each organization's audit log only as long as its plan says, and trust and safety
evidence at least as long as the platform says.

The plan in force decides for ordinary events, so an organization whose subscription ended
keeps the default plan's retention from then on. Evidence (`AuditAction.is_evidence`:
enforcement, cases, consent, trial claims and refusals, verification sends, calls) is kept for
`evidence_days` (TOCSIN_EVIDENCE_RETENTION_DAYS), or the plan's retention if that is longer,
whatever the plan: a short plan must not erase what an appeal, a repeated-trial check or an
abuse report needs. Events of no organization (platform events) are kept. The tables that
hold the evidence itself (enforcement actions, cases, consent records, verifications, trial
claims, call attempts) are never purged.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select, text
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.audit.actions import evidence_actions
from tocsin.audit.models import AuditEvent
from tocsin.billing.standing import BillingConfig

log = logging.getLogger(__name__)

# Any constant works; it only has to be the same in every Tocsin process.
_PURGE_LOCK = 0x70C51A


def purge_audit_log(
    session: Session, *, billing: BillingConfig, evidence_days: int, now: datetime
) -> int:
    """Delete each organization's ordinary audit events older than its plan keeps them, and its
    evidence older than `evidence_days` (or the plan's retention, if longer); returns how many.
    On PostgreSQL one process purges at a time and the others return 0."""
    if session.get_bind().dialect.name == "postgresql":
        taken = session.scalar(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": _PURGE_LOCK})
        if not taken:
            return 0
    evidence = evidence_actions()
    removed = 0
    for org in session.scalars(select(Organization)):
        days = billing.plan_in_force(org, now).audit_retention_days
        ordinary = _delete(
            session,
            AuditEvent.org_id == org.id,
            AuditEvent.created_at < now - timedelta(days=days),
            AuditEvent.action.not_in(evidence),
        )
        kept_days = max(days, evidence_days)
        old_evidence = _delete(
            session,
            AuditEvent.org_id == org.id,
            AuditEvent.created_at < now - timedelta(days=kept_days),
            AuditEvent.action.in_(evidence),
        )
        if ordinary or old_evidence:
            log.info(
                "audit log of %s: %d events older than %d days and %d pieces of evidence older "
                "than %d days removed",
                org.id,
                ordinary,
                days,
                old_evidence,
                kept_days,
            )
        removed += ordinary + old_evidence
    return removed


def _delete(session: Session, *conditions: ColumnElement[bool]) -> int:
    result = session.execute(delete(AuditEvent).where(*conditions).returning(AuditEvent.id))
    return len(result.all())
