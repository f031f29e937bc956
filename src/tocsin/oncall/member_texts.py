"""Texts to members that are not about an alert: today, handoff notices by SMS.

A handoff notice (oncall/handoffs.py) also goes by text when the member has a way to take one:
the first SMS method of their notification rules, or else their first SMS number they verified
themself. The text is queued in the transaction that writes the notice, keyed by the notice, so
a notice is texted at most once. The worker (engine/member_texting.py) asks the same gate as an
alert's text (policy/text_gate.py: consent, opt-out and SMS STOP, enforcement, the safety
screen, a provider that can text), writes `sending` and commits before any provider hears of
it, and records how it went here. A text is never retried and never counted against call caps:
a `sending` row found after its deadline is `unknown`, never sent again.

There is no alert and so no timeline: a text refused or failed is told to the member in their
notices and written to the audit log.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_member
from tocsin.core.actors import Actor
from tocsin.core.ids import new_id
from tocsin.db.base import table_of
from tocsin.db.upsert import insert_ignoring_conflicts
from tocsin.oncall.models import MemberText, MemberTextStatus, Method
from tocsin.oncall.people import notification_plan, verified_sms_numbers

# A notice of a handoff is still worth a text this long after the handoff; later it misleads.
STALE_AFTER = timedelta(minutes=30)
_TEXTS = table_of(MemberText)


def text_number(session: Session, *, org_id: str, user_id: str) -> str | None:
    """Where the member takes texts: their rules' first SMS method, or their first SMS number
    they verified; None when they have neither."""
    for step in notification_plan(session, org_id, user_id):
        if step.method == Method.SMS and step.phone is not None:
            return step.phone
    numbers = verified_sms_numbers(session, org_id=org_id, user_id=user_id)
    return numbers[0] if numbers else None


def queue_text(
    session: Session,
    *,
    org_id: str,
    user_id: str,
    key: str,
    kind: str,
    body: str,
    about: datetime,
    now: datetime,
) -> bool:
    """Queue a text about something at `about` to the member, once per `key`; False when they
    take no texts, or when this key was queued already."""
    number = text_number(session, org_id=org_id, user_id=user_id)
    if number is None:
        return False
    statement = (
        insert_ignoring_conflicts(session, _TEXTS, on=["org_id", "key"])
        .values(
            id=new_id("mtx"),
            org_id=org_id,
            user_id=user_id,
            key=key[:200],
            kind=kind,
            to_number=number,
            body=body,
            status=MemberTextStatus.QUEUED.value,
            send_before=max(about, now) + STALE_AFTER,
            created_at=now,
        )
        .returning(_TEXTS.c.id)
    )
    return session.execute(statement).first() is not None


def queued(session: Session, *, limit: int) -> list[tuple[str, str]]:
    """(id, organization) of the texts waiting, oldest first."""
    return [
        (text_id, org_id)
        for text_id, org_id in session.execute(
            select(MemberText.id, MemberText.org_id)
            .where(MemberText.status == MemberTextStatus.QUEUED.value)
            .order_by(MemberText.created_at, MemberText.id)
            .limit(limit)
        )
    ]


def unfinished(session: Session, *, now: datetime, limit: int) -> list[str]:
    """Texts left `sending` past their deadline (their worker stopped mid-send)."""
    return list(
        session.scalars(
            select(MemberText.id)
            .where(
                MemberText.status == MemberTextStatus.SENDING.value,
                MemberText.sending_deadline <= now,
            )
            .order_by(MemberText.id)
            .limit(limit)
        )
    )


def take(session: Session, text_id: str, *, skip_locked: bool) -> MemberText | None:
    """The queued text, locked for this transaction; None once another worker has it."""
    row = session.scalar(
        select(MemberText).where(MemberText.id == text_id).with_for_update(skip_locked=skip_locked)
    )
    if row is None or row.status != MemberTextStatus.QUEUED.value:
        return None
    return row


def start_sending(row: MemberText, *, deadline: datetime) -> None:
    row.status = MemberTextStatus.SENDING.value
    row.sending_deadline = deadline


def _open(session: Session, text_id: str) -> MemberText | None:
    row = session.get(MemberText, text_id, with_for_update=True)
    if row is None or row.status not in (MemberTextStatus.QUEUED, MemberTextStatus.SENDING):
        return None
    return row


def mark_sent(
    session: Session,
    *,
    text_id: str,
    message_id: str,
    provider: str,
    simulated: bool,
    actor: Actor,
    now: datetime,
) -> None:
    row = _open(session, text_id)
    if row is None:
        return
    row.status = MemberTextStatus.SENT.value
    row.provider = provider
    row.message_id = message_id[:200]
    row.ended_at = now
    _record(
        session,
        row,
        AuditAction.MEMBER_TEXT_SENT,
        actor,
        now,
        {"provider": provider, "message_id": message_id, "simulated": simulated},
    )


def mark_not_sent(
    session: Session,
    *,
    text_id: str,
    status: MemberTextStatus,
    code: str,
    reason: str,
    actor: Actor,
    now: datetime,
    quiet: bool = False,
) -> None:
    """Refused by the gate (`not_sent`), by every provider (`failed`), or of an outcome nobody
    can tell (`unknown`, never sent again). Told to the member unless `quiet` (a number that
    texted STOP, or opted out: their own choice, not news to them)."""
    row = _open(session, text_id)
    if row is None:
        return
    reason = reason[:500]
    row.status = status.value
    row.reason = f"{code}: {reason}"
    row.ended_at = now
    action = {
        MemberTextStatus.FAILED: AuditAction.MEMBER_TEXT_FAILED,
        MemberTextStatus.UNKNOWN: AuditAction.MEMBER_TEXT_UNCONFIRMED,
    }.get(status, AuditAction.MEMBER_TEXT_SKIPPED)
    _record(session, row, action, actor, now, {"code": code, "reason": reason})
    if quiet:
        return
    words = (
        "may or may not have been sent, and is not sent again"
        if status == MemberTextStatus.UNKNOWN
        else "was not sent"
    )
    tell_member(
        session,
        org_id=row.org_id,
        user_id=row.user_id,
        kind="member_text_failed",
        period=row.id,
        message=f"A text to {row.to_number} ({row.body}) {words}: {reason}.",
        now=now,
        actor=actor,
        details={"member_text_id": row.id, "code": code},
    )


def _record(
    session: Session,
    row: MemberText,
    action: AuditAction,
    actor: Actor,
    now: datetime,
    details: dict[str, object],
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        at=now,
        org_id=row.org_id,
        target_type="user",
        target_id=row.user_id,
        details={"member_text_id": row.id, "kind": row.kind, "to": row.to_number, **details},
    )
