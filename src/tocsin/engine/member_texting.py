"""Sending the texts to members that are not about an alert (oncall/member_texts.py): for each
queued text, ask the text gate exactly as an alert's text does (engine/texting.py's facts,
policy/text_gate.py), and either settle it as not sent or mark it `sending` and commit before
the worker hands it to a provider. A text still `sending` after its deadline is settled as
unknown and never sent again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.core.actors import Actor
from tocsin.engine.settings import Dialer
from tocsin.engine.texting import sms_facts
from tocsin.oncall import member_texts
from tocsin.oncall.models import MemberTextStatus
from tocsin.policy.dial_gate import AlertState
from tocsin.policy.text_gate import Channel, NotTold, NotToldReason, TextFacts, decide_text

# The member's own choice (a STOP, an opt-out): recorded, not told to them as a failure.
_THEIR_CHOICE = frozenset({NotToldReason.NUMBER_STOPPED, NotToldReason.TEXTS_STOPPED})


@dataclass(frozen=True)
class MemberTextToSend:
    """A member's text marked `sending` and committed: what the worker sends."""

    text_id: str
    org_id: str
    idempotency_key: str
    to_number: str
    body: str
    sending_deadline: datetime


def _actor(dialer: Dialer) -> Actor:
    return Actor("worker", dialer.worker_id)


def settle_unfinished(session: Session, *, now: datetime, dialer: Dialer, limit: int = 50) -> int:
    """Texts whose worker stopped mid-send: unknown, never sent again."""
    found = member_texts.unfinished(session, now=now, limit=limit)
    for text_id in found:
        member_texts.mark_not_sent(
            session,
            text_id=text_id,
            status=MemberTextStatus.UNKNOWN,
            code="unknown",
            reason="the worker stopped before the provider's answer was recorded",
            actor=_actor(dialer),
            now=now,
        )
    return len(found)


def plan_member_text(
    session: Session, *, text_id: str, now: datetime, dialer: Dialer, can_text: bool
) -> MemberTextToSend | None:
    """The text to send now, marked `sending` (the caller commits before sending); None when
    another worker has it or the gate refused it (settled here)."""
    row = member_texts.take(session, text_id, skip_locked=dialer.skip_locked)
    if row is None:
        return None
    if now >= row.send_before:
        member_texts.mark_not_sent(
            session,
            text_id=row.id,
            status=MemberTextStatus.NOT_SENT,
            code="stale",
            reason="what it tells of is past",
            actor=_actor(dialer),
            now=now,
        )
        return None
    facts = sms_facts(
        session,
        TextFacts(channel=Channel.SMS, alert=AlertState.OPEN, attempts_made=0),
        org_id=row.org_id,
        number=row.to_number,
        endpoint_id=None,
        now=now,
        dialer=dialer,
        can=can_text,
    )
    decision = decide_text(facts)
    if isinstance(decision, NotTold):
        member_texts.mark_not_sent(
            session,
            text_id=row.id,
            status=MemberTextStatus.NOT_SENT,
            code=decision.code,
            reason=decision.detail,
            actor=_actor(dialer),
            now=now,
            quiet=decision.reason in _THEIR_CHOICE,
        )
        return None
    deadline = now + dialer.settings.send_deadline
    member_texts.start_sending(row, deadline=deadline)
    return MemberTextToSend(
        text_id=row.id,
        org_id=row.org_id,
        idempotency_key=row.id,
        to_number=row.to_number,
        body=row.body,
        sending_deadline=deadline,
    )
