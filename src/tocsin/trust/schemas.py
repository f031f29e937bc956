"""Request and response bodies of the trust API: do-not-call, enforcement, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tocsin.trust.enforcement import ActionKind, ActionScope


class DoNotCallIn(BaseModel):
    number: str = Field(max_length=64, description="E.164 (+CC...), or national with `region`")
    region: str | None = Field(default=None, min_length=2, max_length=2)


class DoNotCallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    phone_e164: str
    source: str
    actor_type: str
    actor_id: str | None
    attempt_id: str | None
    created_at: datetime


class DoNotCallAdded(DoNotCallOut):
    calls_cancelled: int


class EnforcementIn(BaseModel):
    kind: ActionKind
    scope: ActionScope
    target: str = Field(
        max_length=64, description="The user, organization or endpoint id, or an E.164 number"
    )
    reason: str = Field(min_length=1, max_length=2000)
    ends_at: datetime | None = Field(
        default=None, description="When a suspension ends; none for an open-ended one"
    )


class EnforcementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
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
    created_at: datetime


class EnforcementTaken(EnforcementOut):
    calls_cancelled: int


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    actor_type: str
    actor_id: str | None
    action: str
    target_type: str | None
    target_id: str | None
    details: Any
    ip_address: str | None
    created_at: datetime
