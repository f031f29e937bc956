"""Request and response bodies of the trust API: do-not-call, enforcement, the audit log,
number verification and consent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tocsin.http.api.schemas.common import CreatedAt, OwnId, UpdatedAt, shown
from tocsin.http.api.schemas.fields import SOMETHING, Region
from tocsin.numbers.models import NumberVerification
from tocsin.numbers.verification import Channel
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.trust.appeals import Decision
from tocsin.trust.models import CaseStatus

_REGION = "The country of a national number; absent: the organization's home country"
_WHO = "Who did it: user, api_key, public, system..."


class DoNotCallIn(BaseModel):
    model_config = shown({"number": "+447400123456"})

    number: str = Field(max_length=64, description="E.164 (+CC...), or national with `region`")
    region: Region | None = Field(default=None, description=_REGION)


_DNC = {
    "id": "dnc_01m8ycrxap78197genycv3nvhg",
    "phone_e164": "+447400123456",
    "source": "api",
    "actor_type": "user",
    "actor_id": "usr_01m8ycrxap78197genycv3nvhg",
    "attempt_id": None,
    "created_at": "2025-01-01T12:00:00Z",
    "lifted_at": None,
}


class DoNotCallOut(BaseModel):
    model_config = shown(_DNC, from_attributes=True)

    id: OwnId
    phone_e164: str = Field(description="The number, E.164")
    source: str = Field(
        description="How it got here: `api`, `cli`, `dashboard`, `keypad` (9 on a call)"
    )
    actor_type: str = Field(description=_WHO)
    actor_id: str | None = Field(description="Their id, if any")
    attempt_id: str | None = Field(description="The call on which 9 was pressed, if so")
    created_at: CreatedAt
    lifted_at: datetime | None = Field(
        description="When the number's owner verified it again, which lifts the entry"
    )


class DoNotCallAdded(DoNotCallOut):
    model_config = shown({**_DNC, "calls_cancelled": 0}, from_attributes=True)

    calls_cancelled: int = Field(description="Pending calls to the number it cancelled")


class EnforcementIn(BaseModel):
    # A termination never ends: checked as the action is taken (`invalid_end`).
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"kind": {"const": ActionKind.TERMINATION.value}}},
            "then": {"properties": {"ends_at": {"type": "null"}}},
            "examples": [
                {
                    "kind": "suspension",
                    "scope": "organization",
                    "target": "org_01m8ycrxap78197genyejsdfa4",
                    "reason": "Calls to numbers that did not consent",
                    "ends_at": "2025-01-08T12:00:00Z",
                }
            ],
        }
    )

    kind: ActionKind = Field(description="warning, suspension or termination")
    scope: ActionScope = Field(
        description="What it applies to: user, organization, endpoint, number"
    )
    target: str = Field(
        max_length=64, description="The user, organization or endpoint id, or an E.164 number"
    )
    reason: str = Field(
        min_length=1,
        max_length=2000,
        json_schema_extra={"pattern": SOMETHING},
        description="Why; shown to the organization's owners",
    )
    ends_at: datetime | None = Field(
        default=None, description="When a suspension ends; none for an open-ended one"
    )


_ACTION = {
    "id": "enf_01m8ycrxap78197genycv3nvhg",
    "kind": "suspension",
    "scope": "organization",
    "target_id": "org_01m8ycrxap78197genyejsdfa4",
    "org_id": "org_01m8ycrxap78197genyejsdfa4",
    "reason": "Calls to numbers that did not consent",
    "actor_type": "user",
    "actor_id": "usr_01m8ycrxap78197genycv3nvhg",
    "starts_at": "2025-01-01T12:00:00Z",
    "ends_at": "2025-01-08T12:00:00Z",
    "lifted_at": None,
    "created_at": "2025-01-01T12:00:00Z",
}


class EnforcementOut(BaseModel):
    model_config = shown(_ACTION, from_attributes=True)

    id: OwnId
    kind: str = Field(description="warning, suspension or termination")
    scope: str = Field(description="user, organization, endpoint or number")
    target_id: str = Field(description="The id or number it applies to")
    org_id: str | None = Field(description="The organization concerned, if one")
    reason: str = Field(description="Why")
    actor_type: str = Field(description=_WHO)
    actor_id: str | None = Field(description="Their id, if any")
    starts_at: datetime = Field(description="When it began")
    ends_at: datetime | None = Field(description="When it ends; null: until lifted")
    lifted_at: datetime | None = Field(description="When it was lifted early")
    created_at: CreatedAt


class EnforcementTaken(EnforcementOut):
    model_config = shown({**_ACTION, "calls_cancelled": 3}, from_attributes=True)

    calls_cancelled: int = Field(description="Pending calls it cancelled")


class AuditEventOut(BaseModel):
    model_config = shown(
        {
            "id": "aud_01m8ycrxap78197genycv3nvhg",
            "actor_type": "user",
            "actor_id": "usr_01m8ycrxap78197genycv3nvhg",
            "action": "contact.created",
            "target_type": "contact",
            "target_id": "ct_01m8ycrxap78197genyejsdfa4",
            "details": {"phone_e164": "+447400123456"},
            "ip_address": "203.0.113.7",
            "created_at": "2025-01-01T12:00:00Z",
        },
        from_attributes=True,
    )

    id: OwnId
    actor_type: str = Field(description=_WHO)
    actor_id: str | None = Field(description="Their id, if any")
    action: str = Field(description="What happened, e.g. `contact.created`")
    target_type: str | None = Field(description="What it happened to")
    target_id: str | None = Field(description="Its id")
    details: Any = Field(description="More about it, by action")
    ip_address: str | None = Field(description="The address the request came from")
    created_at: CreatedAt


class VerificationIn(BaseModel):
    model_config = shown({"channel": "sms"})

    channel: Channel = Field(
        default=Channel.CALL, description="`call` reads the code aloud; `sms` texts it"
    )


class VerificationOut(BaseModel):
    model_config = shown(
        {
            "verification_id": "ver_01m8ycrxap78197genycv3nvhg",
            "phone_e164": "+447400123456",
            "channel": "call",
            "expires_at": "2025-01-01T12:10:00Z",
        }
    )

    verification_id: str = Field(description="Give it with the code")
    phone_e164: str = Field(description="The number the code went to")
    channel: Channel = Field(description="`call` (read aloud) or `sms`")
    expires_at: datetime = Field(description="When the code stops working")

    @classmethod
    def of(cls, row: NumberVerification) -> VerificationOut:
        return cls(
            verification_id=row.id,
            phone_e164=row.phone_e164,
            channel=Channel(row.channel),
            expires_at=row.expires_at,
        )


class CodeIn(BaseModel):
    model_config = shown({"code": "482913"})

    code: str = Field(min_length=1, max_length=20, description="The 6-digit code")
    verification_id: str | None = Field(
        default=None, max_length=40, description="Which code; the latest one sent if absent"
    )


class ConsentOut(BaseModel):
    """The record that a number's owner agreed to be called: the proof Tocsin keeps."""

    model_config = shown(
        {
            "id": "cns_01m8ycrxap78197genycv3nvhg",
            "phone_e164": "+447400123456",
            "contact_id": "ct_01m8ycrxap78197genyejsdfa4",
            "verification_id": "ver_01m8ycrxap78197genycv3nvhg",
            "method": "call",
            "actor_type": "user",
            "actor_id": "usr_01m8ycrxap78197genycv3nvhg",
            "ip_address": "203.0.113.7",
            "user_agent": "curl/8.5.0",
            "policy_version": "2025-01-01",
            "created_at": "2025-01-01T12:00:00Z",
            "withdrawn_at": None,
            "withdrawn_reason": None,
        },
        from_attributes=True,
    )

    id: OwnId
    phone_e164: str = Field(description="The number")
    contact_id: str | None = Field(description="The contact it was verified for, if any")
    verification_id: str = Field(description="The code that proved it")
    method: str = Field(description="How the code reached the number: call or sms")
    actor_type: str = Field(description="Who typed the code in: " + _WHO)
    actor_id: str | None = Field(description="Their id, if any")
    ip_address: str | None = Field(description="The address the code was typed in from")
    user_agent: str | None = Field(description="The browser or program it was typed in with")
    policy_version: str = Field(description="The acceptable-use policy in force then")
    created_at: CreatedAt
    withdrawn_at: datetime | None = Field(description="When it was withdrawn (9 on a call...)")
    withdrawn_reason: str | None = Field(description="Why it was withdrawn")


class PublicOptOutIn(BaseModel):
    model_config = shown({"number": "+447400123456", "channel": "call"})

    number: str = Field(max_length=64, description="Your number, E.164 (+CC...) or with `region`")
    region: Region | None = Field(default=None, description="The country of a national number")
    channel: Channel = Field(
        default=Channel.CALL, description="`call` reads the code aloud; `sms` texts it"
    )


class PublicCodeIn(BaseModel):
    model_config = shown({"verification_id": "ver_01m8ycrxap78197genycv3nvhg", "code": "482913"})

    verification_id: str = Field(max_length=40, description="From the request's answer")
    code: str = Field(min_length=1, max_length=20, description="The code the number received")


class PublicOptOutOut(BaseModel):
    model_config = shown(
        {
            "phone_e164": "+447400123456",
            "opted_out_at": "2025-01-01T12:05:00Z",
            "calls_cancelled": 0,
        }
    )

    phone_e164: str = Field(description="The number no organization here calls any more")
    opted_out_at: datetime = Field(description="Since when")
    calls_cancelled: int = Field(description="Pending calls to it that were cancelled")


class AbuseReportIn(BaseModel):
    model_config = shown(
        {
            "caller_id": "+442079460000",
            "seen_at": "2025-01-01T03:12:00+00:00",
            "description": "A recorded voice about a server woke me at 3 am; I never signed up",
            "your_number": "+447400123456",
        }
    )

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
    description: str = Field(min_length=1, max_length=5000, description="What happened")
    contact: str | None = Field(
        default=None, max_length=200, description="How to reach you, if you want an answer"
    )
    your_number: str | None = Field(
        default=None, max_length=64, description="The number that was called, to find the call"
    )
    region: Region | None = Field(default=None, description="Country for national numbers")


class AbuseReportReceived(BaseModel):
    model_config = shown(
        {"reference": "case_01m8ycrxap78197genycv3nvhg", "received_at": "2025-01-01T12:00:00Z"}
    )

    reference: str = Field(description="The report's reference, to quote when writing again")
    received_at: datetime = Field(description="When it was received")


_CASE = {
    "id": "case_01m8ycrxap78197genycv3nvhg",
    "kind": "abuse_report",
    "status": "open",
    "org_id": "org_01m8ycrxap78197genyejsdfa4",
    "summary": "Unwanted call at 3 am",
    "details": {"caller_id": "+442079460000"},
    "action_id": None,
    "opened_by_type": "public",
    "opened_by_id": None,
    "assignee_id": None,
    "due_at": "2025-01-03T12:00:00Z",
    "overdue": False,
    "resolution": None,
    "resolved_at": None,
    "resolved_by": None,
    "created_at": "2025-01-01T12:00:00Z",
    "updated_at": "2025-01-01T12:00:00Z",
}


class CaseOut(BaseModel):
    model_config = shown(_CASE)

    id: OwnId
    kind: str = Field(description="What it is: e.g. `abuse_report`, `appeal`, `anomaly`")
    status: str = Field(description="open, resolved or dismissed")
    org_id: str | None = Field(description="The organization concerned, if known")
    summary: str = Field(description="One line about it")
    details: Any = Field(description="What was reported or found, by kind")
    action_id: str | None = Field(description="The enforcement action it concerns, if any")
    opened_by_type: str = Field(description="Who opened it: public, user, system...")
    opened_by_id: str | None = Field(description="Their id, if any")
    assignee_id: str | None = Field(description="The staff member handling it")
    due_at: datetime | None = Field(description="When it should be answered by")
    overdue: bool = Field(description="Whether it is past due and still open")
    resolution: str | None = Field(description="How it was settled")
    resolved_at: datetime | None = Field(description="When it was settled")
    resolved_by: str | None = Field(description="Who settled it")
    created_at: CreatedAt
    updated_at: UpdatedAt


class CaseDetailOut(CaseOut):
    model_config = shown({**_CASE, "history": []})

    history: list[AuditEventOut] = Field(description="What was done about it, oldest first")


class CasePatch(BaseModel):
    model_config = shown({"status": "resolved", "resolution": "Number verified; no action"})

    status: CaseStatus | None = Field(default=None, description="open, resolved or dismissed")
    assignee_id: str | None = Field(
        default=None, max_length=40, description="A user id; empty string unassigns"
    )
    note: str | None = Field(
        default=None, max_length=5000, description="A note for the case's history"
    )
    resolution: str | None = Field(
        default=None, max_length=5000, description="How it was settled, when closing it"
    )


class DecisionIn(BaseModel):
    model_config = shown({"decision": "grant", "note": "The numbers were the customer's own"})

    decision: Decision = Field(description="`grant` lifts the action; `uphold` keeps it")
    note: str = Field(min_length=1, max_length=5000, description="Why, told to the appellant")


class AppealIn(BaseModel):
    model_config = shown(
        {
            "action_id": "enf_01m8ycrxap78197genycv3nvhg",
            "statement": "Every number we call is our own staff's, verified by them",
        }
    )

    action_id: str = Field(max_length=40, description="The enforcement action appealed")
    statement: str = Field(min_length=1, max_length=5000, description="Why it should be lifted")


class AppealOut(BaseModel):
    model_config = shown(
        {
            "id": "case_01m8ycrxap78197genycv3nvhg",
            "action_id": "enf_01m8ycrxap78197genycv3nvhg",
            "status": "open",
            "statement": "Every number we call is our own staff's, verified by them",
            "due_at": "2025-01-03T12:00:00Z",
            "overdue": False,
            "resolution": None,
            "resolved_at": None,
            "created_at": "2025-01-01T12:00:00Z",
        }
    )

    id: OwnId
    action_id: str | None = Field(description="The enforcement action appealed")
    status: str = Field(description="open, resolved or dismissed")
    statement: str = Field(description="Why it should be lifted")
    due_at: datetime | None = Field(description="When it should be decided by")
    overdue: bool = Field(description="Whether it is past due and undecided")
    resolution: str | None = Field(description="The decision and its note")
    resolved_at: datetime | None = Field(description="When it was decided")
    created_at: CreatedAt
