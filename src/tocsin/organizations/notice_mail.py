"""Notices become mail: each notice told to an organization's owners (audit/notices.py) is
queued once, as a message to every owner whose address is verified.

The worker's mail module runs this before it sends (engine/mailer.py), so `tell_owners`, which
many commands call, stays one insert. Only verified addresses get mail: an unverified one may be
anybody's, and a notice names the organization and what happened to it. A notice nobody can be
mailed, or one older than `NOTICE_MAIL_WINDOW` by the time mail can be sent (mail was off, or
the notice predates e-mail), says so on its row instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Membership, Organization, Role, User
from tocsin.audit.models import Notice
from tocsin.mail import outbox
from tocsin.mail.letters import Letter, Link, write_letter
from tocsin.mail.models import MailKind
from tocsin.mail.outbox import NoticeMail

NOTICE_MAIL_WINDOW = timedelta(days=7)
_SUBJECT_WORDS = 100


def queue_notice_mail(
    session: Session, *, now: datetime, base_url: str, limit: int = 100, skip_locked: bool = False
) -> int:
    """Queue the mails of up to `limit` notices not yet looked at; returns how many mails."""
    notices = session.scalars(
        select(Notice)
        .where(Notice.mail_status == NoticeMail.PENDING)
        .order_by(Notice.created_at, Notice.id)
        .limit(limit)
        .with_for_update(skip_locked=skip_locked)
    ).all()
    queued = 0
    for notice in notices:
        queued += _queue_one(session, notice, now=now, base_url=base_url)
    return queued


def _queue_one(session: Session, notice: Notice, *, now: datetime, base_url: str) -> int:
    if notice.created_at < now - NOTICE_MAIL_WINDOW:
        notice.mail_status = NoticeMail.SKIPPED.value
        notice.mail_detail = "not e-mailed: it was a week old before mail could be sent"
        return 0
    org = session.get(Organization, notice.org_id)
    owners = (
        verified_owners(session, notice.org_id)
        if notice.user_id is None
        else verified_member(session, notice.user_id)
    )
    if org is None or not owners:
        notice.mail_status = NoticeMail.NO_RECIPIENT.value
        notice.mail_detail = (
            "not e-mailed: no owner has a verified e-mail address"
            if notice.user_id is None
            else "not e-mailed: the member has no verified e-mail address"
        )
        return 0
    letter = notice_letter(org.name, notice, base_url)
    for user_id, address in owners:
        outbox.queue(
            session,
            kind=MailKind.NOTICE,
            to=address,
            letter=letter,
            now=now,
            expires_at=notice.created_at + NOTICE_MAIL_WINDOW,
            user_id=user_id,
            notice_id=notice.id,
        )
    notice.mail_status = NoticeMail.SENDING.value
    notice.mail_detail = None
    return len(owners)


@dataclass(frozen=True)
class MailState:
    """How a notice's mail stands, as the dashboard and the API show it."""

    status: str
    detail: str


def mail_state(notice: Notice, *, mail_on: bool) -> MailState:
    """`off` while mail is off and the notice was never mailed; otherwise what its row says."""
    if notice.mail_status == NoticeMail.PENDING:
        if not mail_on:
            return MailState("off", "not e-mailed: e-mail is off on this server")
        return MailState(NoticeMail.PENDING.value, "to be e-mailed within a minute")
    return MailState(notice.mail_status, notice.mail_detail or "")


def verified_owners(session: Session, org_id: str) -> list[tuple[str, str]]:
    """(user id, address) of each owner whose address is verified."""
    rows = session.execute(
        select(User.id, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.org_id == org_id,
            Membership.role == Role.OWNER.value,
            User.email_verified_at.is_not(None),
        )
        .order_by(User.email)
    ).all()
    return [(user_id, email) for user_id, email in rows]


def verified_member(session: Session, user_id: str) -> list[tuple[str, str]]:
    """(user id, address) of the member a notice is for, when their address is verified."""
    user = session.get(User, user_id)
    if user is None or user.email_verified_at is None:
        return []
    return [(user.id, user.email)]


def notice_letter(org_name: str, notice: Notice, base_url: str) -> Letter:
    headline = notice.message.split(". ", 1)[0].rstrip(".")
    if len(headline) > _SUBJECT_WORDS:
        headline = headline[: _SUBJECT_WORDS - 1].rstrip() + "…"
    if notice.user_id is None:
        opening = f"A notice for {org_name}, one of the organizations you own on Tocsin:"
        why = "You get this because you are an owner of the organization and your address is "
    else:
        opening = f"A notice for you, a member of {org_name} on Tocsin:"
        why = "You get this because it is about you and your address is "
    return write_letter(
        f"[Tocsin] {org_name}: {headline}",
        [opening, notice.message],
        link=Link("All notices", f"{base_url.rstrip('/')}/o/{notice.org_id}/notices"),
        after=[why + "verified; the dashboard shows the same notice."],
        headers={"X-Tocsin-Notice": notice.kind},
    )
