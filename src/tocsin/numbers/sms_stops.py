"""The SMS stop list: numbers that texted STOP to one of Tocsin's numbers get no text until they
text START.

Every text Tocsin sends asks `refusal` first, in a transaction of its own that commits: a
stopped number gets no text, and the refusal is recorded (an `sms.refused` audit event) before
the sender is told. The only texts a stopped number gets are the answers to the keywords it
sends itself (the STOP confirmation, HELP), which `tocsin.trust.inbound_texts` decides.

A stop has a scope. A STOP texted to one of the platform's own numbers (delivered through the
operator's provider credentials) stops every text from Tocsin (`PLATFORM`). A STOP texted to a
number of an organization's own provider account stops the texts sent on that organization's
behalf only (its id is the scope): whoever holds an account's credentials can sign a webhook
that says anything, so an organization's account must not be able to stop texts, or calls, for
anyone else.
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
PLATFORM = "platform"


class SmsStopped(Conflict):
    default_code = "sms_stopped"


def _entry(session: Session, number: str, scope: str) -> SmsStop | None:
    return session.scalar(
        select(SmsStop)
        .where(SmsStop.scope == scope, SmsStop.phone_e164 == number)
        .with_for_update()
    )


def is_stopped(session: Session, number: str, *, org_id: str | None) -> bool:
    """Whether a text to `number` (on behalf of the organization `org_id`, or the platform's
    own when None) is stopped."""
    scopes = [PLATFORM] if org_id is None else [PLATFORM, org_id]
    found = session.scalar(
        select(SmsStop.id)
        .where(
            SmsStop.phone_e164 == number,
            SmsStop.scope.in_(scopes),
            SmsStop.lifted_at.is_(None),
        )
        .limit(1)
    )
    return found is not None


def stop(session: Session, *, number: str, scope: str, keyword_id: str, now: datetime) -> bool:
    """Stop texts to `number` in `scope`; True when they had not been stopped already."""
    entry = _entry(session, number, scope)
    if entry is not None and entry.lifted_at is None:
        return False
    if entry is None:
        entry = SmsStop(id=new_id("sst"), scope=scope, phone_e164=number)
        session.add(entry)
    entry.stopped_at, entry.stop_keyword_id = now, keyword_id
    entry.lifted_at, entry.lift_keyword_id = None, None
    _record(session, AuditAction.SMS_STOPPED, entry, keyword_id=keyword_id, now=now)
    return True


def lift(session: Session, *, number: str, scope: str, keyword_id: str, now: datetime) -> bool:
    """Resume texts to `number` in `scope` (and nothing else); True when a stop was in force."""
    entry = _entry(session, number, scope)
    if entry is None or entry.lifted_at is not None:
        return False
    entry.lifted_at, entry.lift_keyword_id = now, keyword_id
    _record(session, AuditAction.SMS_RESUMED, entry, keyword_id=keyword_id, now=now)
    return True


def _record(
    session: Session, action: AuditAction, entry: SmsStop, *, keyword_id: str, now: datetime
) -> None:
    audit.record(
        session,
        actor=Actor(_SENDER, entry.phone_e164),
        action=action,
        at=now,
        org_id=None if entry.scope == PLATFORM else entry.scope,
        target_type="number",
        target_id=entry.id,
        details={"number": entry.phone_e164, "scope": entry.scope, "keyword_id": keyword_id},
    )
    session.flush()


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
    if not is_stopped(session, number, org_id=org_id):
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
