"""Secret, revocable addresses of iCal feeds of shifts: one member's ("my shifts", every
schedule of the organization) or one schedule's.

A calendar application cannot send a header, so the address itself is the secret, like a
password reset link: only its HMAC digest (keyed by the instance secret, `Runtime.
calendar_token_key`) is stored, a copy of the database subscribes nobody, and the address is
shown once, when made. Revoking one makes it answer 404 like one that never existed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tocsin.accounts.models import ApiKey, Membership, User
from tocsin.accounts.service import person_of
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import InvalidInput, NotFound
from tocsin.core.ids import new_id
from tocsin.core.secrets import digest, random_token
from tocsin.oncall.lookups import check_targets
from tocsin.oncall.models import CalendarToken, CalendarTokenKind

TOKEN_PREFIX = "cal"  # noqa: S105 (a prefix, not a secret)
_TOKEN = re.compile(rf"{TOKEN_PREFIX}[A-Za-z0-9]{{40}}")
# What a feed holds: a week back, so a shift just ended is still there, and 60 days ahead.
FEED_BEHIND = timedelta(days=7)
FEED_AHEAD = timedelta(days=60)


@dataclass(frozen=True)
class NewToken:
    """A token just made: its row, and the secret that is never shown again."""

    row: CalendarToken
    secret: str

    def url(self, base_url: str) -> str:
        return feed_url(base_url, self.secret)


def feed_url(base_url: str, secret: str) -> str:
    return f"{base_url.rstrip('/')}/v1/calendars/{secret}.ics"


def create_token(
    session: Session,
    *,
    org_id: str,
    kind: CalendarTokenKind,
    subject_id: str | None,
    actor: Actor,
    key: bytes,
    now: datetime,
) -> NewToken:
    """A feed of a member's own shifts (`person`: `subject_id`, or the person asking when
    None) or of a schedule's (`subject_id` the schedule)."""
    subject = _subject(session, org_id=org_id, kind=kind, subject_id=subject_id, actor=actor)
    secret = TOKEN_PREFIX + random_token(40)
    row = CalendarToken(
        id=new_id("calt"),
        org_id=org_id,
        kind=kind.value,
        subject_id=subject,
        token_digest=digest(key, secret),
        created_by=f"{actor.type}:{actor.id}",
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CALENDAR_TOKEN_CREATED,
        at=now,
        org_id=org_id,
        target_type="calendar_token",
        target_id=row.id,
        details={"kind": kind.value, "subject_id": subject},
    )
    return NewToken(row, secret)


def _subject(
    session: Session,
    *,
    org_id: str,
    kind: CalendarTokenKind,
    subject_id: str | None,
    actor: Actor,
) -> str:
    if kind == CalendarTokenKind.PERSON:
        member = subject_id or person_of(session, actor)
        if member is None:
            raise InvalidInput("a feed of a member's shifts needs a member", code="user_required")
        check_targets(session, org_id=org_id, user_ids=[member])
        return member
    if subject_id is None:
        raise InvalidInput("a schedule's feed needs the schedule's id", code="schedule_required")
    check_targets(session, org_id=org_id, schedule_ids=[subject_id])
    return subject_id


def visible_tokens(
    session: Session, *, org_id: str, actor: Actor, everyone: bool = False
) -> list[CalendarToken]:
    """The organization's schedule feeds and the asking person's own feeds (with `everyone`,
    for the shell: every member's), revoked ones too, newest first, so a list says what was
    turned off."""
    person = person_of(session, actor)
    mine = CalendarToken.subject_id == person if person else CalendarToken.id.is_(None)
    statement = select(CalendarToken).where(CalendarToken.org_id == org_id)
    if not everyone:
        statement = statement.where(
            or_(CalendarToken.kind == CalendarTokenKind.SCHEDULE.value, mine)
        )
    return list(
        session.scalars(statement.order_by(CalendarToken.created_at.desc(), CalendarToken.id))
    )


def revoke_token(
    session: Session,
    *,
    org_id: str,
    token_id: str,
    actor: Actor,
    now: datetime,
    everyone: bool = False,
) -> CalendarToken:
    """The feed's address answers 404 from now on. A member's feed is theirs to revoke (and
    the shell's, with `everyone`)."""
    visible = visible_tokens(session, org_id=org_id, actor=actor, everyone=everyone)
    row = next((token for token in visible if token.id == token_id), None)
    if row is None:
        raise NotFound("no calendar feed with this id", code="calendar_token_not_found")
    if row.revoked_at is None:
        row.revoked_at = now
        audit.record(
            session,
            actor=actor,
            action=AuditAction.CALENDAR_TOKEN_REVOKED,
            at=now,
            org_id=org_id,
            target_type="calendar_token",
            target_id=row.id,
        )
    return row


def find_token(session: Session, *, secret: str, key: bytes) -> CalendarToken | None:
    """The live token whose secret this is; None for a malformed, unknown or revoked one.
    Looked up by digest (a unique index), so no secret is ever compared byte by byte."""
    if not _TOKEN.fullmatch(secret):
        return None
    row = session.scalar(
        select(CalendarToken).where(CalendarToken.token_digest == digest(key, secret))
    )
    if row is None or row.revoked_at is not None:
        return None
    if row.kind == CalendarTokenKind.PERSON.value and not _still_member(
        session, row, row.subject_id
    ):
        return None
    # Whoever made the address holds the secret: a member who left takes no schedule's feed
    # (who is on call, and when) with them either.
    kind, _, maker = (row.created_by or "").partition(":")
    if kind == "user" and not _still_member(session, row, maker):
        return None
    if kind == "api_key" and not _live_key(session, row, maker):
        return None
    return row


def _live_key(session: Session, row: CalendarToken, key_id: str) -> bool:
    """A feed made through an API key lasts while the key does (and its maker stays)."""
    key = session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.org_id == row.org_id))
    if key is None or key.revoked_at is not None:
        return False
    return key.created_by is None or _still_member(session, row, key.created_by)


def _still_member(session: Session, row: CalendarToken, user_id: str) -> bool:
    """A member who left the organization takes no feed of its schedules with them."""
    return (
        session.scalar(
            select(Membership.user_id).where(
                Membership.org_id == row.org_id, Membership.user_id == user_id
            )
        )
        is not None
    )


def member_names(session: Session, user_ids: set[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return {user_id: name for user_id, name in rows}
