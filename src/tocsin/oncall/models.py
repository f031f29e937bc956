"""Tables of on-call: how members are told, the projects they work in, the rotations and schedules
that say who is on call, and the calendars that come in and go out.

A member's phone numbers are rows of `contacts` with their `user_id` (contacts/models.py): the
number is screened, verified and consented exactly as any other, so nothing on the paging path
needs to know that a person stands behind it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base, JSONText, UTCDateTime


class Method(StrEnum):
    """How a member is told: a call, a text, or a mail to their account's address."""

    VOICE = "voice"
    SMS = "sms"
    EMAIL = "email"


class NotificationRule(Base):
    """One line of a member's notification rules: tell them by `method` `delay_minutes` after a
    step pages them. A member without rules is called on their first verified number at once."""

    __tablename__ = "notification_rules"
    __table_args__ = (Index("ix_notification_rules_org_user", "org_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(10))
    # The member's number for voice and sms; NULL for email.
    contact_id: Mapped[str | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), default=None
    )
    delay_minutes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Project(Base):
    """A team: the endpoints, escalation policies, schedules and members that belong together."""

    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # When true, only the organization's owners and the project's editors may change it or what
    # belongs to it; admins of the organization otherwise.
    restricted: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    # The IANA zone its endpoints' business-hours rules read the clock in; NULL: the
    # organization's.
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProjectMember(Base):
    __tablename__ = "project_members"

    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    can_edit: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Rotation(Base):
    """Participants who take turns, each for `count` `unit`s, handing over at `handoff_time` in
    `timezone` (tocsin.rota.rotation). `anchor_at`/`anchor_index` keep the shift in progress
    when the participants change."""

    __tablename__ = "rotations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), default=None, index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(10))
    count: Mapped[int] = mapped_column(Integer)
    handoff_time: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    participants: Mapped[list[str]] = mapped_column(JSONText())
    anchor_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    anchor_index: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Schedule(Base):
    """Layers of rotations, fixed people and external calendars, later layers winning, in the
    schedule's time zone; overrides and temporary schedules are rows of their own."""

    __tablename__ = "schedules"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), default=None, index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    # [{"name", "rotation_id" | "user_ids" | "calendar_id", "restrictions": [...]}], lowest first.
    layers: Mapped[list[dict[str, Any]]] = mapped_column(JSONText(), server_default="[]")
    # When the owners were last told that nobody will be on call within 14 days; NULL while the
    # schedule has someone throughout.
    gap_noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    gap_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Handoff notices have been sent for every change of who is on call before this instant.
    handoffs_checked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Set when a change moved `handoffs_checked_until` back (oncall/changes.py): the notices
    # already sent for handoffs before this instant are compared with what now happens, and a
    # handoff that no longer happens is corrected (oncall/handoffs.py).
    handoffs_recheck_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OverrideKind(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    REPLACE = "replace"


class ScheduleOverride(Base):
    __tablename__ = "schedule_overrides"
    __table_args__ = (Index("ix_schedule_overrides_schedule_ends", "schedule_id", "ends_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    schedule_id: Mapped[str] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    # add: who is added; remove: who is removed; replace: who takes over.
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # replace: who is replaced.
    replaces_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ScheduleTemporary(Base):
    """A period (holidays) in which fixed shifts replace the schedule's layers."""

    __tablename__ = "schedule_temporaries"
    __table_args__ = (Index("ix_schedule_temporaries_schedule_ends", "schedule_id", "ends_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    schedule_id: Mapped[str] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # [{"user_id", "starts_at", "ends_at"}] in ISO 8601 UTC.
    shifts: Mapped[list[dict[str, Any]]] = mapped_column(JSONText())
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CalendarFeed(Base):
    """An external iCal calendar a schedule layer reads: fetched now and then, the last good copy
    kept for when a fetch fails."""

    __tablename__ = "calendar_feeds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    # [{"user_id", "starts_at", "ends_at", "summary"}]: the events of the last good copy that
    # name a member, within the window fetched.
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSONText(), server_default="[]")
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_good_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # Fetches failed in a row since the last good one: the next waits longer for each.
    failures: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    next_fetch_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CalendarTokenKind(StrEnum):
    PERSON = "person"
    SCHEDULE = "schedule"


class CalendarToken(Base):
    """A secret, revocable address of an iCal feed of shifts; only an HMAC digest is kept."""

    __tablename__ = "calendar_tokens"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[str] = mapped_column(String(40))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class MemberTextStatus(StrEnum):
    QUEUED = "queued"
    # Written and committed before the provider hears of it; found again after its deadline,
    # it is settled as unknown and never sent again.
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    # The text gate refused it (opted out, unverified, screened out, no provider that texts).
    NOT_SENT = "not_sent"


class MemberText(Base):
    """A text to a member that is not about an alert (a handoff notice): queued with the notice
    it repeats, sent once by the worker (engine/member_texting.py), never counted against call
    caps and never retried."""

    __tablename__ = "member_texts"
    __table_args__ = (
        UniqueConstraint("org_id", "key", name="uq_member_texts_org_key"),
        Index("ix_member_texts_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The notice it repeats, "<kind>:<period>": one text per notice, whatever happens.
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    to_number: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    provider: Mapped[str | None] = mapped_column(String(40), default=None)
    message_id: Mapped[str | None] = mapped_column(String(200), default=None)
    # Not sent after this (the handoff it tells of is long past): a stale text misleads.
    send_before: Mapped[datetime] = mapped_column(UTCDateTime())
    sending_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
