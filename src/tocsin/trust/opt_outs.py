"""Platform-wide opt-out: anyone who proves they control a number can stop every organization
on the platform calling it.

Proof is the same 6-digit code verification uses, sent to the number, or a STOP texted from the
number to one of Tocsin's (`opt_out_by_text`). Once confirmed, pending calls to the number are
cancelled everywhere and every organization needs fresh consent, given after the opt-out by the
number's owner, before it may call it again.
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
from tocsin.paging import escalation
from tocsin.paging.jobs import cancel_pending_where
from tocsin.paging.models import CallJob, JobOutcome


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
    cancelled = _opt_out(session, entry, actor=actor, now=now, proof={})
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
    cancelled = _opt_out(session, entry, actor=actor, now=now, proof={"keyword_id": keyword_id})
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
    session: Session, entry: PlatformOptOut, *, actor: Actor, now: datetime, proof: dict[str, str]
) -> int:
    """Date the opt-out now, cancel pending calls to the number everywhere, and record it."""
    number = entry.phone_e164
    # Opting out again moves the date: consent given in between no longer counts.
    entry.created_at = now
    cancelled, touched = cancel_pending_where(
        session,
        CallJob.to_number == number,
        outcome=JobOutcome.STOPPED,
        reason="the number's owner opted out of all calls",
        now=now,
    )
    for escalation_id in touched:
        escalation.poke(session, escalation_id=escalation_id, now=now)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.NUMBER_PLATFORM_OPT_OUT,
        at=now,
        target_type="number",
        target_id=entry.id,
        details={"number": number, "calls_cancelled": cancelled, **proof},
    )
    session.flush()
    return cancelled


def is_opted_out(session: Session, number: str) -> bool:
    found = session.scalar(select(PlatformOptOut.id).where(PlatformOptOut.phone_e164 == number))
    return found is not None
