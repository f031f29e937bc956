"""Response bodies of the alerts API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    endpoint_id: str
    status: str
    severity: str
    source: str
    title: str
    message: str
    dedup_key: str
    repeat_count: int
    received_at: datetime
    last_received_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None


class CallAttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    attempt_no: int
    to_number: str
    caller_id: str
    provider: str
    # The platform provider that placed it, when no account of the organization did.
    platform_provider: str | None
    provider_call_id: str | None
    # Placed through the simulator: nobody was called, and no key was pressed by a person.
    simulated: bool
    status: str
    digits: str
    spoken_text: str
    error_code: str | None
    error_message: str | None
    created_at: datetime
    accepted_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None


class TimelineEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    action: str
    actor_type: str
    actor_id: str | None
    target_type: str | None
    target_id: str | None
    details: Any


class EscalationStateOut(BaseModel):
    """Where the alert's escalation stands: on which step, and until when it rests there."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    step: int
    steps: int
    round: int
    next_at: datetime | None
    ended_at: datetime | None
    plan: list[dict[str, Any]]


class CallJobOut(BaseModel):
    """One contact to reach in one step: its calls so far and what happens next. A call held
    by a per-number throttle shows `held_until` and why."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    contact_id: str | None
    to_number: str
    status: str
    outcome: str | None
    step: int | None
    round: int
    attempts: int
    next_attempt_at: datetime | None
    held_until: datetime | None
    hold_reason: str | None
    last_error: str | None


class AlertDetailOut(AlertOut):
    payload: Any
    escalation: EscalationStateOut | None
    jobs: list[CallJobOut]
    calls: list[CallAttemptOut]
    timeline: list[TimelineEntryOut]
