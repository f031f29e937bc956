"""Request and response bodies of the endpoints and contacts API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from tocsin.endpoints.models import RoutingMode
from tocsin.http.api.schemas.common import CreatedAt, OwnId, UpdatedAt
from tocsin.http.api.schemas.fields import Flag, Id, Name, Region, described_by
from tocsin.messages.sandbox import MAX_TEMPLATE_CHARACTERS
from tocsin.numbers.consent import NumberState
from tocsin.routing.rules import MAX_RULES, Rule

RULES_DESCRIPTION = (
    "The scenario: ordered rules, first match wins, e.g. "
    '{"conditions": [{"field": "labels.team", "op": "in", "value": ["db"]}], '
    '"action": {"type": "call_escalation", "escalation_id": "esp_..."}}. '
    "When none matches, `routing` applies."
)
# Rules are checked by the command that saves them (endpoints/checks.py, `invalid_rules`), which
# also sees that an action names what its type needs.
RULE = described_by(TypeAdapter(Rule))
TEMPLATE_DESCRIPTION = (
    "Jinja2 template of what the call says; empty or absent: the default for the sender"
)


class ContactIn(BaseModel):
    name: Name
    phone: str = Field(max_length=64, description="E.164 (+CC...), or national with `region`")
    region: Region | None = None


class ContactPatch(BaseModel):
    name: Name | None = None
    phone: str | None = Field(default=None, max_length=64)
    region: Region | None = None


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    name: str
    phone_e164: str
    number_state: NumberState = Field(
        description="`verified` (may be called), `unverified` (its owner has not typed a code "
        "yet), `do_not_call` or `opted_out`"
    )
    created_at: CreatedAt
    updated_at: UpdatedAt
    blocked_at: datetime | None = Field(
        None, description="When a change of the calling policy put this number out of bounds"
    )
    blocked_reason: str | None = Field(None, description="Why no call goes to it now")


class EndpointIn(BaseModel):
    name: Name
    require_key: Flag = True
    routing: RoutingMode = RoutingMode.PRIMARY
    # Each once: checked with the rest of the endpoint (`duplicate_contact`).
    contact_ids: list[Id] = Field(
        default_factory=list, max_length=50, json_schema_extra={"uniqueItems": True}
    )
    rules: list[dict[str, Any]] = Field(
        default_factory=list,
        max_length=MAX_RULES,
        description=RULES_DESCRIPTION,
        json_schema_extra={"items": RULE},
    )
    template: str | None = Field(
        default=None, max_length=MAX_TEMPLATE_CHARACTERS, description=TEMPLATE_DESCRIPTION
    )
    caller_id_id: str | None = Field(
        default=None,
        max_length=40,
        description="A proven caller ID of the organization its calls present, through every "
        "provider account it is usable through; none: each account's own",
    )


class EndpointPatch(BaseModel):
    name: Name | None = None
    require_key: Flag | None = None
    routing: RoutingMode | None = None
    contact_ids: list[Id] | None = Field(
        default=None, max_length=50, json_schema_extra={"uniqueItems": True}
    )
    rules: list[dict[str, Any]] | None = Field(
        default=None,
        max_length=MAX_RULES,
        description=RULES_DESCRIPTION,
        json_schema_extra={
            "anyOf": [{"type": "array", "items": RULE, "maxItems": MAX_RULES}, {"type": "null"}]
        },
    )
    template: str | None = Field(
        default=None,
        max_length=MAX_TEMPLATE_CHARACTERS,
        description=f"{TEMPLATE_DESCRIPTION}; an empty string goes back to the default",
    )
    caller_id_id: str | None = Field(
        default=None,
        max_length=40,
        description="A proven caller ID its calls present; an empty string: each provider "
        "account's own",
    )


class EndpointOut(BaseModel):
    id: OwnId
    name: str
    require_key: bool
    routing: RoutingMode
    contact_ids: list[str]
    rules: list[dict[str, Any]]
    template: str | None
    caller_id_id: str | None = None
    webhook_url: str
    created_at: CreatedAt
    updated_at: UpdatedAt
    project_id: str | None = Field(
        None, description="The project it belongs to (PUT .../endpoints/{id}/project moves it)"
    )


class PreviewCall(BaseModel):
    contact_id: str
    phone_e164: str


class PreviewOut(BaseModel):
    """What a webhook with this body would do, without doing it."""

    source: str
    title: str
    severity: str
    dedup_key: str
    route: dict[str, Any]
    steps: list[dict[str, Any]]
    first_calls: list[PreviewCall]
    spoken_text: str
    template_problem: str | None
