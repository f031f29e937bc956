"""Request and response bodies of the escalation policies API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from tocsin.http.api.schemas.common import CreatedAt, OwnId, UpdatedAt
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


class EscalationIn(BaseModel):
    name: Name
    steps: list[dict[str, Any]] = Field(
        max_length=MAX_STEPS,
        description=(
            'In order: {"type": "call", "contact_ids": [...]}, {"type": "wait", "minutes": 5}, '
            'and last, optionally, {"type": "repeat", "times": 2}'
        ),
        json_schema_extra=STEPS,
    )


class EscalationPatch(BaseModel):
    name: Name | None = None
    steps: list[dict[str, Any]] | None = Field(
        default=None,
        max_length=MAX_STEPS,
        json_schema_extra={"anyOf": [STEPS, {"type": "null"}]},
    )


class EscalationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    name: str
    steps: list[dict[str, Any]]
    created_at: CreatedAt
    updated_at: UpdatedAt
    project_id: str | None = Field(
        None, description="The project it belongs to (PUT .../escalations/{id}/project moves it)"
    )
