"""The contact table: a name and a number that an organization's endpoints may call, or one of a
member's own numbers (`user_id` set), through which on-call paging reaches that person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base, UTCDateTime


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    phone_e164: Mapped[str] = mapped_column(String(20))
    # The member whose number this is (oncall/): only they may verify it, and paging them uses
    # it through their notification rules. NULL: a number that is no one's in Tocsin (a desk).
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None, index=True
    )
    # voice: it may be called; sms: it takes texts (a member's notification rules say which).
    channel: Mapped[str] = mapped_column(String(10), server_default="voice", default="voice")
    # The language calls to this number speak; NULL: the organization's.
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when a change of the organization's calling policy put the number out of bounds
    # (organizations/rescreen.py), with the screen's reasons; no call goes to it until a later
    # change allows it again or the number is changed.
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    blocked_reason: Mapped[str | None] = mapped_column(Text, default=None)
