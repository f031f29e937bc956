"""Platform-wide opt-out: anyone who proves they control a number can stop every organization
on the platform calling it.

Proof is the same 6-digit code verification uses, sent to the number, or a STOP texted from the
number to one of Tocsin's (`opt_out_by_text`). Once confirmed, pending calls to the number are
cancelled everywhere, each on its alert's timeline and told to the owners of each organization
that lost calls (paging/stopped_calls.py), and every organization needs fresh consent, given
after the opt-out by the number's owner, before it may call it again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.ids import new_id
from tocsin.numbers.models import NumberVerification, PlatformOptOut
from tocsin.paging.models import CallJob, JobOutcome
from tocsin.paging.stopped_calls import stop_pending_calls, tell_owners_calls_stopped

# How the owner of the number opted out, as the owners of the organizations it stops read it.
_HOW = {
    "form": "through Tocsin's public opt-out form, proven with a code sent to the number",
    "sms": "by texting STOP from the number to Tocsin",
}


def record_opt_out(
    session: Session,
    *,
    verification: NumberVerification,
    actor: Actor,
    user_agent: str | None,
    now: datetime,
) -> tuple[PlatformOptOut, int]:
    """Opt the verified number out; returns the opt-out and how many calls were cancelled."""
    entry = _opt_out_entry(session, verification.phone_e164)
    entry.verification_id, entry.keyword_id = verification.id, None
    entry.ip_address = actor.ip_address
    entry.user_agent = (user_agent or "")[:300] or None
    cancelled = _opt_out(session, entry, actor=actor, now=now, by="form", proof={})
    return entry, cancelled


def opt_out_by_text(
    session: Session, *, number: str, keyword_id: str, now: datetime
) -> tuple[PlatformOptOut, int]:
    """Opt out the number that texted a STOP (the `SmsKeyword` `keyword_id`) to one of
    Tocsin's numbers: the number's owner asking from the number itself, as the SMS programme
    rules take it. A STOP sent in someone else's name can only ever stop calls, and the
    number's owner lifts it by verifying the number again."""
    entry = _opt_out_entry(session, number)
    entry.verification_id, entry.keyword_id = None, keyword_id
    entry.ip_address = entry.user_agent = None
    actor = Actor("sms_sender", number)
    cancelled = _opt_out(
        session, entry, actor=actor, now=now, by="sms", proof={"keyword_id": keyword_id}
    )
    return entry, cancelled


def _opt_out_entry(session: Session, number: str) -> PlatformOptOut:
    entry = session.scalar(
        select(PlatformOptOut).where(PlatformOptOut.phone_e164 == number).with_for_update()
    )
    if entry is None:
        entry = PlatformOptOut(id=new_id("opt"), phone_e164=number)
        session.add(entry)
    return entry


def _opt_out(
    session: Session,
    entry: PlatformOptOut,
    *,
    actor: Actor,
    now: datetime,
    by: str,
    proof: dict[str, str],
) -> int:
    """Date the opt-out now, cancel pending calls to the number everywhere (each on its alert's
    timeline, and told to each organization's owners), and record it."""
    number = entry.phone_e164
    # Opting out again moves the date: consent given in between no longer counts.
    entry.created_at = now
    details = {"number": number, "by": by, **proof}
    stopped = stop_pending_calls(
        session,
        CallJob.to_number == number,
        outcome=JobOutcome.STOPPED,
        reason="the number's owner opted out of all calls",
        action=AuditAction.NUMBER_PLATFORM_OPT_OUT,
        details={**details, "opt_out_id": entry.id},
        actor=actor,
        now=now,
    )
    tell_owners_calls_stopped(
        session,
        stopped,
        number=number,
        why=(
            f"its owner opted out of all calls from every organization on Tocsin {_HOW[by]}; "
            "only the owner can allow calls again, by verifying the number again"
        ),
        period=f"opt_out:{entry.id}:{now.isoformat()}",
        actor=actor,
        now=now,
        details={"opt_out_id": entry.id, "by": by},
    )
    audit.record(
        session,
        actor=actor,
        action=AuditAction.NUMBER_PLATFORM_OPT_OUT,
        at=now,
        target_type="number",
        target_id=entry.id,
        details={**details, "calls_cancelled": stopped.cancelled},
    )
    session.flush()
    return stopped.cancelled


def is_opted_out(session: Session, number: str) -> bool:
    found = session.scalar(select(PlatformOptOut.id).where(PlatformOptOut.phone_e164 == number))
    return found is not None
