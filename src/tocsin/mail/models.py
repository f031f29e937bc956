"""The outbox: every message Tocsin means to send, written by commands in their transaction and
sent by the worker's mail module (engine/mailer.py), so a message is never lost to a crash or a
mail server that is down, and never sent from inside a request."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base, JSONText, UTCDateTime


class MailStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    # No longer wanted: a verification link for an address verified or changed meanwhile.
    CANCELLED = "cancelled"


class MailKind(StrEnum):
    NOTICE = "notice"
    EMAIL_VERIFICATION = "email_verification"
    EMAIL_CHANGED = "email_changed"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a name, not a secret)
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (a name, not a secret)
    # To the owner of an address someone tried to sign up with: a reset link, not an error.
    SIGN_UP_REPEATED = "sign_up_repeated"
    # To a member whose notification rules page them by e-mail (engine/texting.py).
    ALERT = "alert"


class OutboundEmail(Base):
    __tablename__ = "outbound_emails"
    __table_args__ = (
        # The mail module's one question: what is due now.
        Index("ix_outbound_emails_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # Extra headers, such as X-Tocsin-Notice: the notice's kind, for mail filters.
    headers: Mapped[Any] = mapped_column(JSONText(), nullable=True, default=None)
    notice_id: Mapped[str | None] = mapped_column(
        ForeignKey("notices.id", ondelete="CASCADE"), default=None, index=True
    )
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None, index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the mail module may take it next: now when written, later after a failure, and a
    # lease's length ahead while a worker is sending it (so a worker that dies mid-send leaves
    # it to the next).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Past this it is not sent at all: a link that no longer works, news that is stale.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
