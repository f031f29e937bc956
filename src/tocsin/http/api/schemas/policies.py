"""Request and response bodies of the escalation policies API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tocsin.routing.steps import MAX_STEPS


class EscalationIn(BaseModel):
    name: str = Field(max_length=200)
    steps: list[dict[str, Any]] = Field(
        max_length=MAX_STEPS,
        description=(
            'In order: {"type": "call", "contact_ids": [...]}, {"type": "wait", "minutes": 5}, '
            'and last, optionally, {"type": "repeat", "times": 2}'
        ),
    )


class EscalationPatch(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    steps: list[dict[str, Any]] | None = Field(default=None, max_length=MAX_STEPS)


class EscalationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    steps: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime
