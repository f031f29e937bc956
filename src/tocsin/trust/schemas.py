"""Request and response bodies of the do-not-call API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


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
