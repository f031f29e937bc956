"""What a callee's key does: 1 acknowledges, 2 resolves, 9 confirmed by a second 9 stops calls
to their number (`script.reply_to` is the rule; a single 9 only asks the question).

Each takes effect in the transaction that records the key, before the callee hears the
confirmation: acknowledging or resolving cancels the alert's queued calls and ends its
escalation; a confirmed 9 puts the number on the organization's do-not-call list and cancels its
queued calls, while the escalation goes on to whoever is next.

A key "pressed" on a simulated call (the simulator's made-up callee) is recorded as the
simulator's, never as a person's: `acknowledged_by` reads `simulator:<number>`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.contacts.models import Contact
from tocsin.core.actors import Actor
from tocsin.db.locks import get_locked
from tocsin.paging.bundles import alert_ids_read
from tocsin.paging.lifecycle import CLOSER_LOCK, close
from tocsin.paging.models import Alert, AlertStatus, CallAttempt, CallJob
from tocsin.paging.opt_out import stop_calling
from tocsin.telephony.script import Key, reply_to


def apply_keypress(session: Session, *, attempt: CallAttempt, digit: str, now: datetime) -> None:
    """Apply `digit`, the newest key of `attempt.digits` (which already holds it): what it does
    depends on the keys before it, exactly as the call decides what to say. A call that read
    several alerts (paging/bundles.py) acknowledges or resolves every one of them."""
    effect = reply_to(attempt.digits).effect
    if effect is None:
        return
    # A simulated key was pressed by nobody: it moves the alert (a demo must work end to end)
    # but is never recorded as a person's.
    who = "simulator" if attempt.simulated else "callee"
    actor = Actor(who, attempt.to_number)
    if effect is Key.STOP_CALLING:
        stop_calling(
            session,
            org_id=attempt.org_id,
            number=attempt.to_number,
            source="simulator" if attempt.simulated else "keypad",
            actor=actor,
            now=now,
            attempt_id=attempt.id,
        )
        return
    by = f"simulator:{attempt.to_number}" if attempt.simulated else f"keypad:{attempt.to_number}"
    details: dict[str, object] = {"attempt_id": attempt.id, "digit": digit}
    if attempt.simulated:
        details["simulated"] = True
    to = _CLOSES_AS.get(effect)
    if to is None:
        return
    # The person behind the number, when it is a member's: the job paged them by name, or the
    # number is one of their own. A simulated key is nobody's.
    member_id = None if attempt.simulated else _member_behind(session, attempt)
    for alert_id in alert_ids_read(session, attempt):
        # Read once, under the lock every closer takes.
        alert = get_locked(session, Alert, alert_id, CLOSER_LOCK)
        if alert is not None:
            # The callee's own call finishes by itself: it is saying the confirmation.
            close(
                session,
                alert,
                to,
                actor=actor,
                now=now,
                by=by,
                details=details,
                except_attempt_id=attempt.id,
                member_id=member_id,
                locked=True,
            )


def _member_behind(session: Session, attempt: CallAttempt) -> str | None:
    job = session.execute(
        select(CallJob.user_id, CallJob.contact_id).where(CallJob.id == attempt.job_id)
    ).one_or_none()
    if job is None:
        return None
    user_id, contact_id = job
    if user_id is not None:
        return str(user_id)
    if contact_id is None:
        return None
    return session.scalar(
        select(Contact.user_id).where(Contact.id == contact_id, Contact.org_id == attempt.org_id)
    )


_CLOSES_AS = {Key.ACKNOWLEDGE: AlertStatus.ACKNOWLEDGED, Key.RESOLVE: AlertStatus.RESOLVED}
