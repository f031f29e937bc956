"""Stopping calls to a number: the do-not-call entry and its effect on calls already queued."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.numbers import do_not_call
from tocsin.numbers.models import DoNotCall
from tocsin.paging.models import CallJob, JobOutcome
from tocsin.paging.stopped_calls import stop_pending_calls, tell_owners_calls_stopped

# How each source puts a number on the list, as the owners' notice says it.
_BY = {
    "keypad": "the callee pressed 9 twice during a call",
    "simulator": "a simulated callee pressed 9 twice",
    "sms": "its owner texted STOP to the organization's number",
    "api": "a member put it on the do-not-call list through the API",
    "cli": "an operator put it on the do-not-call list from the command line",
}


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
    """Put `number` on the organization's do-not-call list and cancel its pending calls, each on
    its alert's timeline, telling the owners; the escalations they belonged to go on to their
    next steps. Returns the entry and how many calls were cancelled."""
    entry = do_not_call.add(
        session,
        org_id=org_id,
        number=number,
        source=source,
        actor=actor,
        now=now,
        attempt_id=attempt_id,
    )
    details = {"number": number, "source": source, "attempt_id": attempt_id}
    stopped = stop_pending_calls(
        session,
        (CallJob.org_id == org_id) & (CallJob.to_number == number),
        outcome=JobOutcome.STOPPED,
        reason="number is on the do-not-call list",
        action=AuditAction.NUMBER_DO_NOT_CALL,
        details={**details, "do_not_call_id": entry.id},
        actor=actor,
        now=now,
    )
    by = _BY.get(source, f"it was put on the do-not-call list ({source})")
    tell_owners_calls_stopped(
        session,
        stopped,
        number=number,
        why=f"it is on the do-not-call list ({by})",
        period=f"do_not_call:{entry.id}:{now.isoformat()}",
        actor=actor,
        now=now,
        details={"do_not_call_id": entry.id, "source": source},
    )
    audit.record(
        session,
        actor=actor,
        action=AuditAction.NUMBER_DO_NOT_CALL,
        at=now,
        org_id=org_id,
        target_type="do_not_call",
        target_id=entry.id,
        details={**details, "calls_cancelled": stopped.cancelled},
    )
    return entry, stopped.cancelled
