"""Stopping calls to a number: the do-not-call entry and its effect on calls already queued."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.numbers import do_not_call
from tocsin.numbers.models import DoNotCall
from tocsin.paging import escalation
from tocsin.paging.jobs import cancel_calls_to


def stop_calling(
    session: Session,
    *,
    org_id: str,
    number: str,
    source: str,
    actor: Actor,
    now: datetime,
    attempt_id: str | None = None,
) -> tuple[DoNotCall, int]:
    """Put `number` on the organization's do-not-call list and cancel its pending calls; the
    escalations they belonged to go on to their next steps. Returns the entry and how many calls
    were cancelled."""
    entry = do_not_call.add(
        session,
        org_id=org_id,
        number=number,
        source=source,
        actor=actor,
        now=now,
        attempt_id=attempt_id,
    )
    cancelled, touched = cancel_calls_to(
        session, org_id=org_id, number=number, now=now, reason="number is on the do-not-call list"
    )
    for escalation_id in touched:
        escalation.poke(session, escalation_id=escalation_id, now=now)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.NUMBER_DO_NOT_CALL,
        at=now,
        org_id=org_id,
        target_type="do_not_call",
        target_id=entry.id,
        details={
            "number": number,
            "source": source,
            "attempt_id": attempt_id,
            "calls_cancelled": cancelled,
        },
    )
    return entry, cancelled
