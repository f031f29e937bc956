"""Replies to alert texts: "1" acknowledges, "2" resolves, "1 K3" names which alert.

A member's text about an alert (paging/texts.py) carries a reference, `#K3`, picked here when
its attempt is written (`reference_for`): the same for every text of one alert to one number,
and unlike the reference of any other alert texted to that number within `REPLY_WINDOW`.

A reply (`messages.text_replies.parse_reply` reads it) acts only on an alert that was texted
to the number it came from, within `REPLY_WINDOW` of the text, by a text that was `sent`, from
the number the reply was sent to, through the same provider it came back through: the same
organization's provider account when it arrived for one (whoever holds an account's
credentials can sign a webhook saying anything, so an account reaches its own texts only), or
the platform's provider of that kind when it arrived for the platform's. Which alert:

- a reference given: the alert texted with it; none, and nothing changes ("no alert #K9 of
  yours"), never a guess at another; two (a race picked one twice), and nothing changes;
- none given: the alert of the newest such text.

It acknowledges or resolves the alert through `lifecycle.close`, the one way an alert closes,
as the member the text was for (`CallJob.user_id`), with their number masked on the timeline:
`SMS reply from +44 7700 9xx 123`. A reply to a simulated text (the simulator's, which nobody
received) moves the alert, as a simulated keypress does, and is never a person's. An alert
closed already is answered so; a number texted no alert it may answer here gets one neutral
answer that says nothing of any alert. Each provider message acts once (`SmsReply`, unique by
provider and message id), and is answered once through the reply path of STOP's confirmation
(`trust.inbound_texts`), except: a number whose texts are stopped gets no answer, and answers
that changed nothing go to a number at most once in `QUIET_GAP`, so a forged sender cannot turn
replies into a way of texting someone.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.core.actors import Actor
from tocsin.core.ids import new_id
from tocsin.db.base import table_of
from tocsin.db.upsert import insert_ignoring_conflicts
from tocsin.messages import text_replies as words
from tocsin.messages.text_replies import (
    REFERENCE_DIGITS,
    REFERENCE_LETTERS,
    ReplyAction,
    TextReply,
    masked_number,
)
from tocsin.numbers import sms_stops
from tocsin.paging.lifecycle import close
from tocsin.paging.models import Alert, AlertStatus, AttemptStatus, CallAttempt, CallJob, SmsReply
from tocsin.telephony.inbound import InboundText

REPLY_WINDOW = timedelta(hours=24)
QUIET_GAP = timedelta(minutes=10)
SMS = "sms"


class Outcome(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    ALREADY_ACKNOWLEDGED = "already_acknowledged"
    ALREADY_RESOLVED = "already_resolved"
    NO_ALERT = "no_alert"
    UNKNOWN_REFERENCE = "unknown_reference"
    AMBIGUOUS_REFERENCE = "ambiguous_reference"


_CHANGED = frozenset({Outcome.ACKNOWLEDGED, Outcome.RESOLVED})
_CLOSES_AS = {
    ReplyAction.ACKNOWLEDGE: AlertStatus.ACKNOWLEDGED,
    ReplyAction.RESOLVE: AlertStatus.RESOLVED,
}


class ReplyState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    NONE = "none"


# References --------------------------------------------------------------------------------


def reference_for(session: Session, *, to_number: str, alert_id: str, now: datetime) -> str:
    """The reference of a text about `alert_id` to `to_number`: the one an earlier text of the
    same alert to the number had within the window, else one no other alert texted to the
    number within the window has (one letter and a digit while any is free, else two digits)."""
    rows = session.execute(
        select(CallAttempt.alert_id, CallAttempt.reply_code).where(
            CallAttempt.to_number == to_number,
            CallAttempt.channel == SMS,
            CallAttempt.created_at > now - REPLY_WINDOW,
            CallAttempt.reply_code.is_not(None),
        )
    ).all()
    for texted_alert, code in rows:
        if texted_alert == alert_id and code is not None:
            return str(code)
    taken = {str(code) for _, code in rows}
    for codes in (_SHORT, _LONG):
        free = [code for code in codes if code not in taken]
        if free:
            return secrets.choice(free)
    # Over 1,600 alerts texted to one number in a day: a repeat is answered as ambiguous.
    return secrets.choice(_LONG)


_SHORT = [letter + digit for letter in REFERENCE_LETTERS for digit in REFERENCE_DIGITS]
_LONG = [code + digit for code in _SHORT for digit in REFERENCE_DIGITS]


# Replies -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyScope:
    """Where a reply came in: the provider kind whose webhook delivered it, and the
    organization's provider account it arrived for (None: the platform's provider), with that
    account's organization."""

    provider: str
    account_id: str | None
    org_id: str | None


@dataclass(frozen=True)
class Answered:
    """The evidence row of a reply acted on, and the answer due (None: none, `why_not`)."""

    reply_id: str
    answer: str | None
    why_not: str | None = None


@dataclass(frozen=True)
class _Texted:
    """The newest text of one alert to the number that may be answered."""

    attempt_id: str
    alert_id: str
    reference: str | None
    user_id: str | None
    simulated: bool


def receive_reply(
    session: Session, *, scope: ReplyScope, text: InboundText, reply: TextReply, now: datetime
) -> Answered | None:
    """Act on a verified reply (see the module docstring); None when this provider message was
    acted on before."""
    reply_id = new_id("srp")
    inserted = session.execute(
        insert_ignoring_conflicts(session, table_of(SmsReply), on=["provider", "message_id"])
        .values(
            id=reply_id,
            provider=scope.provider,
            message_id=text.message_id,
            account_id=scope.account_id,
            org_id=scope.org_id,
            from_number=text.from_number,
            to_number=text.to_number,
            action=reply.action.value,
            reference=reply.reference,
            outcome=Outcome.NO_ALERT.value,
            received_at=now,
            reply=ReplyState.PENDING.value,
        )
        .returning(table_of(SmsReply).c.id)
    ).scalar()
    if inserted is None:
        return None
    row = session.get(SmsReply, reply_id)
    if row is None:  # inserted a moment ago in this transaction
        return None
    outcome, answer = _act(session, row, scope=scope, text=text, reply=reply, now=now)
    row.outcome = outcome.value
    why_not = _why_no_answer(session, row, scope=scope, outcome=outcome, now=now)
    if why_not is not None:
        row.reply, row.reply_detail = ReplyState.NONE.value, why_not
        return Answered(reply_id, None, why_not)
    return Answered(reply_id, answer)


def _act(
    session: Session,
    row: SmsReply,
    *,
    scope: ReplyScope,
    text: InboundText,
    reply: TextReply,
    now: datetime,
) -> tuple[Outcome, str]:
    texted = _texted(session, scope=scope, text=text, now=now)
    if not texted:
        return Outcome.NO_ALERT, words.no_alert()
    if reply.reference is None:
        chosen = texted[0]
    else:
        named = [t for t in texted if t.reference == reply.reference]
        if not named:
            return Outcome.UNKNOWN_REFERENCE, words.unknown_reference(reply.reference)
        if len(named) > 1:
            return Outcome.AMBIGUOUS_REFERENCE, words.ambiguous_reference(reply.reference)
        chosen = named[0]
    alert = session.get(Alert, chosen.alert_id, with_for_update=True)
    if alert is None:  # the alert's rows go with it; the attempt was read a moment ago
        return Outcome.NO_ALERT, words.no_alert()
    row.alert_id, row.attempt_id, row.org_id = alert.id, chosen.attempt_id, alert.org_id
    reference = chosen.reference or "?"
    to = _CLOSES_AS[reply.action]
    if _close(session, alert, to, chosen, text=text, row=row, now=now) is None:
        if alert.status == AlertStatus.RESOLVED:
            return Outcome.ALREADY_RESOLVED, words.already(reference, alert.title, "resolved")
        return Outcome.ALREADY_ACKNOWLEDGED, words.already(reference, alert.title, "acknowledged")
    if to == AlertStatus.RESOLVED:
        return Outcome.RESOLVED, words.resolved(reference, alert.title)
    return Outcome.ACKNOWLEDGED, words.acknowledged(reference, alert.title)


def _close(
    session: Session,
    alert: Alert,
    to: AlertStatus,
    texted: _Texted,
    *,
    text: InboundText,
    row: SmsReply,
    now: datetime,
) -> int | None:
    shown = masked_number(text.from_number)
    details: dict[str, object] = {
        "reply_id": row.id,
        "attempt_id": texted.attempt_id,
        "from": shown,
        "reference": texted.reference,
    }
    if texted.simulated:
        # Nobody received a simulated text: whoever replied for it is nobody's member.
        details["simulated"] = True
        return close(
            session,
            alert,
            to,
            actor=Actor("simulator", shown),
            now=now,
            by=f"simulator:{shown} by SMS reply",
            details=details,
        )
    return close(
        session,
        alert,
        to,
        actor=Actor("sms_reply", texted.user_id or shown),
        now=now,
        by=f"SMS reply from {shown}",
        details=details,
        member_id=texted.user_id,
    )


def _texted(
    session: Session, *, scope: ReplyScope, text: InboundText, now: datetime
) -> list[_Texted]:
    """The alerts the number may answer through this scope, newest text first, one each."""
    query = (
        select(
            CallAttempt.id,
            CallAttempt.alert_id,
            CallAttempt.reply_code,
            CallJob.user_id,
            CallAttempt.simulated,
        )
        .join(CallJob, CallJob.id == CallAttempt.job_id)
        .where(
            CallAttempt.to_number == text.from_number,
            CallAttempt.channel == SMS,
            CallAttempt.status == AttemptStatus.SENT.value,
            CallAttempt.caller_id == text.to_number,
            CallAttempt.provider == scope.provider,
            CallAttempt.accepted_at > now - REPLY_WINDOW,
        )
        .order_by(CallAttempt.accepted_at.desc(), CallAttempt.id.desc())
    )
    if scope.account_id is None:
        query = query.where(CallAttempt.provider_account_id.is_(None))
    else:
        query = query.where(CallAttempt.provider_account_id == scope.account_id)
    found: dict[str, _Texted] = {}
    for attempt_id, alert_id, code, user_id, simulated in session.execute(query):
        found.setdefault(alert_id, _Texted(attempt_id, alert_id, code, user_id, bool(simulated)))
    return list(found.values())


def _why_no_answer(
    session: Session, row: SmsReply, *, scope: ReplyScope, outcome: Outcome, now: datetime
) -> str | None:
    if sms_stops.is_stopped(session, row.from_number, org_id=scope.org_id):
        return "texts to this number are stopped"
    if outcome in _CHANGED:
        return None
    earlier = session.scalar(
        select(SmsReply.id)
        .where(
            SmsReply.from_number == row.from_number,
            SmsReply.outcome.not_in([o.value for o in _CHANGED]),
            SmsReply.reply.in_([ReplyState.PENDING.value, ReplyState.SENT.value]),
            SmsReply.received_at > now - QUIET_GAP,
            SmsReply.id != row.id,
        )
        .limit(1)
    )
    if earlier is not None:
        return "a reply that changed nothing was answered moments ago"
    return None


def note_reply(
    session: Session, *, reply_id: str, reference: str | None, error: str | None
) -> bool:
    """What became of the answer to a reply; False when `reply_id` is no reply's."""
    row = session.get(SmsReply, reply_id)
    if row is None:
        return False
    row.reply = (ReplyState.FAILED if error is not None else ReplyState.SENT).value
    row.reply_ref, row.reply_detail = reference, error
    return True


def last_sender(session: Session, *, number: str, now: datetime) -> str | None:
    """The number that texted `number` about an alert last within the window: where a reply
    goes (`tocsin simulate reply` plays one)."""
    sender = session.scalar(
        select(CallAttempt.caller_id)
        .where(
            CallAttempt.to_number == number,
            CallAttempt.channel == SMS,
            CallAttempt.status == AttemptStatus.SENT.value,
            CallAttempt.accepted_at > now - REPLY_WINDOW,
        )
        .order_by(CallAttempt.accepted_at.desc(), CallAttempt.id.desc())
        .limit(1)
    )
    return str(sender) if sender is not None else None
