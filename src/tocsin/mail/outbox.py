"""The outbox's operations: commands queue messages (rows only, no I/O); the worker's mail module
claims what is due, sends it, and records how it went here.

A message is tried until it is sent, refused for good (a 5xx reply), expired, or tried
`MAX_ATTEMPTS` times, waiting longer after each failure (`BACKOFF`). Delivery is at least once:
a worker that dies after the server took a message but before recording it leaves the message
to be sent again when its lease ends. A notice's row says how its mails went (`Notice.mail_status`
and `mail_detail`), which the dashboard and the API show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tocsin.audit.models import Notice
from tocsin.core.ids import new_id
from tocsin.mail.letters import Letter
from tocsin.mail.models import MailKind, MailStatus, OutboundEmail

# The wait after the first, second, ... failure; the attempt after the last is the last.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# How long a worker may take to send what it claimed before another may take it.
LEASE = timedelta(minutes=5)


class NoticeMail(StrEnum):
    """How a notice's mail went, as its row keeps it."""

    PENDING = "pending"  # not looked at yet by the mail module
    SENDING = "sending"
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"
    NO_RECIPIENT = "no_recipient"  # no owner has a verified address
    SKIPPED = "skipped"  # too old by the time mail could be sent


@dataclass(frozen=True)
class Outgoing:
    """A claimed message, as the sender needs it (no row crosses the transaction)."""

    id: str
    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]


def queue(
    session: Session,
    *,
    kind: MailKind,
    to: str,
    letter: Letter,
    now: datetime,
    expires_at: datetime,
    user_id: str | None = None,
    notice_id: str | None = None,
) -> OutboundEmail:
    mail = OutboundEmail(
        id=new_id("eml"),
        kind=kind.value,
        to_address=to,
        subject=letter.subject,
        body_text=letter.text,
        body_html=letter.html,
        headers=letter.headers or None,
        notice_id=notice_id,
        user_id=user_id,
        status=MailStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        expires_at=expires_at,
        created_at=now,
    )
    session.add(mail)
    return mail


def cancel_pending(session: Session, *, user_id: str, kind: MailKind, now: datetime) -> None:
    """Unsent messages of this kind to this user are no longer wanted."""
    session.execute(
        update(OutboundEmail)
        .where(
            OutboundEmail.user_id == user_id,
            OutboundEmail.kind == kind.value,
            OutboundEmail.status == MailStatus.PENDING,
        )
        .values(status=MailStatus.CANCELLED.value, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )


def claim_due(
    session: Session, *, now: datetime, limit: int, skip_locked: bool = False
) -> list[Outgoing]:
    """Take up to `limit` due messages for `LEASE`; give up those that expired unsent."""
    rows = session.scalars(
        select(OutboundEmail)
        .where(OutboundEmail.status == MailStatus.PENDING, OutboundEmail.next_attempt_at <= now)
        .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id)
        .limit(limit)
        .with_for_update(skip_locked=skip_locked)
    ).all()
    claimed: list[Outgoing] = []
    for mail in rows:
        if mail.expires_at <= now:
            _give_up(session, mail, "not sent before it expired", now)
            continue
        mail.attempts += 1
        mail.next_attempt_at = now + LEASE
        claimed.append(
            Outgoing(
                id=mail.id,
                to=mail.to_address,
                subject=mail.subject,
                text=mail.body_text,
                html=mail.body_html,
                headers=dict(mail.headers or {}),
            )
        )
    return claimed


def record_sent(session: Session, *, mail_id: str, now: datetime) -> None:
    mail = session.get(OutboundEmail, mail_id, with_for_update=True)
    if mail is None:
        return  # its notice or user was deleted meanwhile
    mail.status = MailStatus.SENT.value
    mail.sent_at = now
    mail.last_error = None
    _summarise_notice(session, mail.notice_id)


def record_failure(
    session: Session, *, mail_id: str, error: str, permanent: bool, now: datetime
) -> MailStatus:
    """The message was not sent: try again after the backoff, or give it up. Returns its state."""
    mail = session.get(OutboundEmail, mail_id, with_for_update=True)
    if mail is None:
        return MailStatus.FAILED
    if permanent or mail.attempts >= MAX_ATTEMPTS:
        _give_up(session, mail, error, now)
        return MailStatus.FAILED
    mail.last_error = error[:1000]
    mail.next_attempt_at = now + BACKOFF[min(mail.attempts, len(BACKOFF)) - 1]
    _summarise_notice(session, mail.notice_id)
    return MailStatus.PENDING


def _give_up(session: Session, mail: OutboundEmail, error: str, now: datetime) -> None:
    mail.status = MailStatus.FAILED.value
    mail.last_error = error[:1000]
    mail.next_attempt_at = now
    _summarise_notice(session, mail.notice_id)


def _summarise_notice(session: Session, notice_id: str | None) -> None:
    """Write on the notice how its mails stand, in words an owner can act on."""
    if notice_id is None:
        return
    notice = session.get(Notice, notice_id)
    if notice is None:
        return
    session.flush()
    mails = session.scalars(
        select(OutboundEmail)
        .where(OutboundEmail.notice_id == notice_id)
        .order_by(OutboundEmail.to_address)
    ).all()
    sent = [mail.to_address for mail in mails if mail.status == MailStatus.SENT]
    failed = [mail for mail in mails if mail.status == MailStatus.FAILED]
    waiting = [mail for mail in mails if mail.status == MailStatus.PENDING]
    parts = [f"sent to {', '.join(sent)}"] if sent else []
    parts += [f"not sent to {mail.to_address}: {mail.last_error}" for mail in failed]
    parts += [
        f"trying again for {mail.to_address}: {mail.last_error}"
        for mail in waiting
        if mail.last_error
    ]
    if failed:
        status = NoticeMail.FAILED
    elif any(mail.last_error for mail in waiting):
        status = NoticeMail.RETRYING
    elif waiting:
        status = NoticeMail.SENDING
    else:
        status = NoticeMail.SENT
    notice.mail_status = status.value
    notice.mail_detail = "; ".join(parts)[:2000] or None
