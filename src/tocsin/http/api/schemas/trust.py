"""Request and response bodies of the trust API: do-not-call, enforcement, the audit log,
number verification and consent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tocsin.http.api.schemas.common import CreatedAt, OwnId, UpdatedAt
from tocsin.http.api.schemas.fields import SOMETHING, Region
from tocsin.numbers.models import NumberVerification
from tocsin.numbers.verification import Channel
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.trust.appeals import Decision
from tocsin.trust.models import CaseStatus


class DoNotCallIn(BaseModel):
    number: str = Field(max_length=64, description="E.164 (+CC...), or national with `region`")
    region: Region | None = None


class DoNotCallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    phone_e164: str
    source: str
    actor_type: str
    actor_id: str | None
    attempt_id: str | None
    created_at: CreatedAt
    # When the number's owner verified it again, which lifts the entry.
    lifted_at: datetime | None


class DoNotCallAdded(DoNotCallOut):
    calls_cancelled: int


class EnforcementIn(BaseModel):
    # A termination never ends: checked as the action is taken (`invalid_end`).
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"kind": {"const": ActionKind.TERMINATION.value}}},
            "then": {"properties": {"ends_at": {"type": "null"}}},
        }
    )

    kind: ActionKind
    scope: ActionScope
    target: str = Field(
        max_length=64, description="The user, organization or endpoint id, or an E.164 number"
    )
    reason: str = Field(min_length=1, max_length=2000, json_schema_extra={"pattern": SOMETHING})
    ends_at: datetime | None = Field(
        default=None, description="When a suspension ends; none for an open-ended one"
    )


class EnforcementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    kind: str
    scope: str
    target_id: str
    org_id: str | None
    reason: str
    actor_type: str
    actor_id: str | None
    starts_at: datetime
    ends_at: datetime | None
    lifted_at: datetime | None
    created_at: CreatedAt


class EnforcementTaken(EnforcementOut):
    calls_cancelled: int


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    actor_type: str
    actor_id: str | None
    action: str
    target_type: str | None
    target_id: str | None
    details: Any
    ip_address: str | None
    created_at: CreatedAt


class VerificationIn(BaseModel):
    channel: Channel = Field(
        default=Channel.CALL, description="`call` reads the code aloud; `sms` texts it"
    )


class VerificationOut(BaseModel):
    verification_id: str
    phone_e164: str
    channel: Channel
    expires_at: datetime

    @classmethod
    def of(cls, row: NumberVerification) -> VerificationOut:
        return cls(
            verification_id=row.id,
            phone_e164=row.phone_e164,
            channel=Channel(row.channel),
            expires_at=row.expires_at,
        )


class CodeIn(BaseModel):
    code: str = Field(min_length=1, max_length=20, description="The 6-digit code")
    verification_id: str | None = Field(
        default=None, max_length=40, description="Which code; the latest one sent if absent"
    )


class ConsentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    phone_e164: str
    contact_id: str | None
    verification_id: str
    method: str
    actor_type: str
    actor_id: str | None
    ip_address: str | None
    user_agent: str | None
    policy_version: str
    created_at: CreatedAt
    withdrawn_at: datetime | None
    withdrawn_reason: str | None


class PublicOptOutIn(BaseModel):
    number: str = Field(max_length=64, description="Your number, E.164 (+CC...) or with `region`")
    region: Region | None = None
    channel: Channel = Channel.CALL


class PublicCodeIn(BaseModel):
    verification_id: str = Field(max_length=40)
    code: str = Field(min_length=1, max_length=20)


class PublicOptOutOut(BaseModel):
    phone_e164: str
    opted_out_at: datetime
    calls_cancelled: int


class AbuseReportIn(BaseModel):
    caller_id: str | None = Field(
        default=None,
        max_length=64,
        description="The number the call came from; leave it out, or give what the phone showed "
        '("Unknown", "Withheld"), when it showed no number',
    )
    seen_at: str = Field(
        max_length=64,
        description="When the call came, ISO 8601 with an offset, or local time with `timezone`",
    )
    timezone: str | None = Field(default=None, max_length=64, description="e.g. Europe/London")
    description: str = Field(min_length=1, max_length=5000)
    contact: str | None = Field(
        default=None, max_length=200, description="How to reach you, if you want an answer"
    )
    your_number: str | None = Field(
        default=None, max_length=64, description="The number that was called, to find the call"
    )
    region: Region | None = Field(default=None, description="Country for national numbers")


class AbuseReportReceived(BaseModel):
    reference: str
    received_at: datetime


class CaseOut(BaseModel):
    id: OwnId
    kind: str
    status: str
    org_id: str | None
    summary: str
    details: Any
    action_id: str | None
    opened_by_type: str
    opened_by_id: str | None
    assignee_id: str | None
    due_at: datetime | None
    overdue: bool
    resolution: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    created_at: CreatedAt
    updated_at: UpdatedAt


class CaseDetailOut(CaseOut):
    history: list[AuditEventOut]


class CasePatch(BaseModel):
    status: CaseStatus | None = None
    assignee_id: str | None = Field(
        default=None, max_length=40, description="A user id; empty string unassigns"
    )
    note: str | None = Field(default=None, max_length=5000)
    resolution: str | None = Field(default=None, max_length=5000)


class DecisionIn(BaseModel):
    decision: Decision
    note: str = Field(min_length=1, max_length=5000)


class AppealIn(BaseModel):
    action_id: str = Field(max_length=40)
    statement: str = Field(min_length=1, max_length=5000, description="Why it should be lifted")


class AppealOut(BaseModel):
    id: OwnId
    action_id: str | None
    status: str
    statement: str
    due_at: datetime | None
    overdue: bool
    resolution: str | None
    resolved_at: datetime | None
    created_at: CreatedAt
