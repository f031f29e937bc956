"""The trust and safety case queue's table, the kinds and states a case has, and the opt-out
requests kept for review."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base, JSONText, UTCDateTime


class CaseKind(StrEnum):
    ABUSE_REPORT = "abuse_report"
    ANOMALY = "anomaly"
    APPEAL = "appeal"
    # Filed by the chargeback rule of the terms (trust/chargebacks.py), once per violation.
    CHARGEBACK = "chargeback"
    # Something billing could not do that staff must see, e.g. Paddle not cancelling the
    # subscription of a terminated organization.
    BILLING = "billing"
    # An opt-out request the public form did not send a code for (trust/public_forms.py).
    OPT_OUT_REQUEST = "opt_out_request"


class CaseStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class TrustCase(Base):
    """An item in the trust and safety queue: an abuse report, an anomaly, an appeal, or a
    violation of the chargeback rule.

    `fingerprint` lets a detector that fires again on the same pattern find its open case
    instead of filing another. `due_at` is the target for an answer (appeals).
    """

    __tablename__ = "trust_cases"
    __table_args__ = (
        Index("ix_trust_cases_status_id", "status", "id"),
        UniqueConstraint("fingerprint", name="uq_trust_cases_fingerprint"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    org_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    summary: Mapped[str] = mapped_column(String(300))
    details: Mapped[Any] = mapped_column(JSONText(), nullable=True, default=None)
    fingerprint: Mapped[str | None] = mapped_column(String(200), default=None)
    # The enforcement action an appeal is against, or one taken on the case.
    action_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    opened_by_type: Mapped[str] = mapped_column(String(20))
    opened_by_id: Mapped[str | None] = mapped_column(String(100), default=None)
    assignee_id: Mapped[str | None] = mapped_column(String(40), default=None)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolution: Mapped[str | None] = mapped_column(Text, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HeldOptOut(Base):
    """An opt-out request the public form answered without sending a code, kept for staff.

    The form answers it exactly as it answers a code sent (its id looks like a verification's,
    and a code typed for it is wrong, five times, then locked), so the form never tells anyone
    whether Tocsin calls a number. The request is filed on a case per number and day
    (`CaseKind.OPT_OUT_REQUEST`); staff who find it genuine stop calls to the number with a
    number-scope suspension.
    """

    __tablename__ = "held_opt_outs"
    __table_args__ = (Index("ix_held_opt_outs_phone_created", "phone_e164", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    phone_e164: Mapped[str] = mapped_column(String(20))
    # never_called, outside_region, number_budget, too_soon or platform_budget.
    reason: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    case_id: Mapped[str | None] = mapped_column(String(40), default=None)
    ip_address: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
    wrong_attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
