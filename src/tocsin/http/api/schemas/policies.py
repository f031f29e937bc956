"""Request and response bodies of the escalation policies API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, TypeAdapter

from tocsin.http.api.schemas.common import CreatedAt, OwnId, UpdatedAt, shown
from tocsin.http.api.schemas.fields import Name, described_by
from tocsin.routing.steps import MAX_STEPS, Step

# Steps are checked by the command that saves them (endpoints/checks.py, `invalid_steps`),
# which also sees that a repeat comes last and that the contacts are the organization's.
STEPS: dict[str, Any] = {
    "type": "array",
    "items": described_by(TypeAdapter(Step)),
    "minItems": 1,
    "maxItems": MAX_STEPS,
    "contains": {"type": "object", "properties": {"type": {"const": "call"}}},
}


_STEPS = (
    'In order: {"type": "call", "contact_ids": [...]}, {"type": "wait", "minutes": 5}, '
    'and last, optionally, {"type": "repeat", "times": 2}'
)
_EXAMPLE_STEPS = [
    {"type": "call", "contact_ids": ["ct_01m8ycrxap78197genyejsdfa4"]},
    {"type": "wait", "minutes": 5},
    {"type": "call", "contact_ids": ["ct_01m8ycrxap78197genyejsdfa5"]},
    {"type": "repeat", "times": 2},
]


class EscalationIn(BaseModel):
    model_config = shown({"name": "Database on-call", "steps": _EXAMPLE_STEPS})

    name: Name = Field(description="What it is for")
    steps: list[dict[str, Any]] = Field(
        max_length=MAX_STEPS,
        description=_STEPS,
        json_schema_extra=STEPS,
    )


class EscalationPatch(BaseModel):
    model_config = shown({"steps": _EXAMPLE_STEPS[:2]})

    name: Name | None = Field(default=None, description="A new name; absent: unchanged")
    steps: list[dict[str, Any]] | None = Field(
        default=None,
        max_length=MAX_STEPS,
        description=f"All the steps anew; absent: unchanged. {_STEPS}",
        json_schema_extra={"anyOf": [STEPS, {"type": "null"}]},
    )


class EscalationOut(BaseModel):
    model_config = shown(
        {
            "id": "esp_01m8ycrxap78197genycv3nvhg",
            "name": "Database on-call",
            "steps": _EXAMPLE_STEPS,
            "created_at": "2025-01-01T12:00:00Z",
            "updated_at": "2025-01-01T12:00:00Z",
            "project_id": None,
        },
        from_attributes=True,
    )

    id: OwnId
    name: str = Field(description="What it is for")
    steps: list[dict[str, Any]] = Field(description=_STEPS)
    created_at: CreatedAt
    updated_at: UpdatedAt
    project_id: str | None = Field(
        None, description="The project it belongs to (PUT .../escalations/{id}/project moves it)"
    )
