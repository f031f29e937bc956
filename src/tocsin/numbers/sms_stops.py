"""The SMS stop list: numbers that texted STOP to one of Tocsin's numbers get no text from
Tocsin until they text START.

Every text Tocsin sends asks `refusal` first, in a transaction of its own that commits: a
stopped number gets no text, and the refusal is recorded (an `sms.refused` audit event) before
the sender is told. The only texts a stopped number gets are the answers to the keywords it
sends itself (the STOP confirmation, HELP), which `tocsin.trust.inbound_texts` decides.

A stop is platform-wide for the number, whichever of Tocsin's numbers or providers it texted:
the number's owner asked Tocsin, not one sending number, to stop.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict
from tocsin.core.ids import new_id
from tocsin.numbers.models import SmsStop

# Whoever texted the keyword acts: the number itself.
_SENDER = "sms_sender"


class SmsStopped(Conflict):
    default_code = "sms_stopped"


def _entry(session: Session, number: str) -> SmsStop | None:
    return session.scalar(select(SmsStop).where(SmsStop.phone_e164 == number).with_for_update())


def is_stopped(session: Session, number: str) -> bool:
    found = session.scalar(
        select(SmsStop.id).where(SmsStop.phone_e164 == number, SmsStop.lifted_at.is_(None))
    )
    return found is not None


def stop(session: Session, *, number: str, keyword_id: str, now: datetime) -> bool:
    """Stop texts to `number`; True when they had not been stopped already."""
    entry = _entry(session, number)
    if entry is not None and entry.lifted_at is None:
        return False
    if entry is None:
        entry = SmsStop(id=new_id("sst"), phone_e164=number)
        session.add(entry)
    entry.stopped_at, entry.stop_keyword_id = now, keyword_id
    entry.lifted_at, entry.lift_keyword_id = None, None
    audit.record(
        session,
        actor=Actor(_SENDER, number),
        action=AuditAction.SMS_STOPPED,
        at=now,
        target_type="number",
        target_id=entry.id,
        details={"number": number, "keyword_id": keyword_id},
    )
    session.flush()
    return True


def lift(session: Session, *, number: str, keyword_id: str, now: datetime) -> bool:
    """Resume texts to `number` (and nothing else); True when a stop was in force."""
    entry = _entry(session, number)
    if entry is None or entry.lifted_at is not None:
        return False
    entry.lifted_at, entry.lift_keyword_id = now, keyword_id
    audit.record(
        session,
        actor=Actor(_SENDER, number),
        action=AuditAction.SMS_RESUMED,
        at=now,
        target_type="number",
        target_id=entry.id,
        details={"number": number, "keyword_id": keyword_id},
    )
    session.flush()
    return True


def refusal(
    session: Session,
    *,
    number: str,
    org_id: str | None,
    purpose: str,
    reference: str,
    now: datetime,
) -> SmsStopped | None:
    """None when `number` may be texted; otherwise record the refusal and return the error to
    raise once the caller has committed. `purpose` and `reference` say what the text was (a
    verification code and its id, say)."""
    if not is_stopped(session, number):
        return None
    audit.record(
        session,
        actor=audit.SYSTEM,
        action=AuditAction.SMS_REFUSED,
        at=now,
        org_id=org_id,
        target_type="number",
        target_id=number,
        details={"number": number, "purpose": purpose, "reference": reference},
    )
    return SmsStopped(
        "this number texted STOP to Tocsin, so it gets no texts until it texts START; "
        "send the code by call instead"
    )
