"""Request and response bodies of the endpoints and contacts API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter

from tocsin.endpoints.models import RoutingMode
from tocsin.http.api.schemas.common import CreatedAt, OwnId, UpdatedAt, shown
from tocsin.http.api.schemas.fields import (
    LANGUAGE_LIST,
    Flag,
    Id,
    LanguageOrEmpty,
    Name,
    Region,
    described_by,
)
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


_PHONE = "E.164 (+CC...), or national with `region`; screened before it is saved"
_REGION = "The country a national number belongs to; absent: the organization's home country"


class ContactIn(BaseModel):
    model_config = shown({"name": "Ada on call", "phone": "+447400123456"})

    name: Name = Field(description="Who answers this number")
    phone: str = Field(max_length=64, description=_PHONE)
    region: Region | None = Field(default=None, description=_REGION)
    language: LanguageOrEmpty | None = Field(
        default=None,
        description="The language of the fixed prompts of calls to this contact (menu, "
        f"confirmations; the alert is read as written): one of {LANGUAGE_LIST}. Omitted or "
        "empty: the organization's",
    )


class ContactPatch(BaseModel):
    model_config = shown({"phone": "07400 123457", "region": "GB"})

    name: Name | None = Field(default=None, description="A new name; absent: unchanged")
    phone: str | None = Field(
        default=None,
        max_length=64,
        description=f"A new number ({_PHONE}); it must be verified again",
    )
    region: Region | None = Field(default=None, description=_REGION)
    language: LanguageOrEmpty | None = Field(
        default=None,
        description=f"One of {LANGUAGE_LIST}; an empty string goes back to the organization's",
    )


class ContactOut(BaseModel):
    model_config = shown(
        {
            "id": "ct_01m8ycrxap78197genyejsdfa4",
            "name": "Ada on call",
            "phone_e164": "+447400123456",
            "number_state": "verified",
            "created_at": "2025-01-01T12:00:00Z",
            "updated_at": "2025-01-01T12:00:00Z",
            "blocked_at": None,
            "blocked_reason": None,
        },
        from_attributes=True,
    )

    id: OwnId
    name: str = Field(description="Who answers this number")
    phone_e164: str = Field(description="The number, E.164")
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
    language: str | None = Field(
        None,
        description="The language of its calls' fixed prompts; null: the organization's",
    )


_REQUIRE_KEY = "Whether the webhook needs an API key (X-Alert-Key); false: anyone with the URL"
_ROUTING = (
    "Who is called when no rule matches: `primary` (the first contact, then the next if "
    "unanswered) or `all` (every contact at once)"
)
_CONTACT_IDS = "The contacts it calls, in order; each must be verified and callable"


class EndpointIn(BaseModel):
    model_config = shown(
        {
            "name": "Production",
            "routing": "primary",
            "contact_ids": ["ct_01m8ycrxap78197genyejsdfa4"],
        }
    )

    name: Name = Field(description="The endpoint's name, e.g. the system that sends to it")
    require_key: Flag = Field(default=True, description=_REQUIRE_KEY)
    routing: RoutingMode = Field(default=RoutingMode.PRIMARY, description=_ROUTING)
    # Each once: checked with the rest of the endpoint (`duplicate_contact`).
    contact_ids: list[Id] = Field(
        default_factory=list,
        max_length=50,
        json_schema_extra={"uniqueItems": True},
        description=_CONTACT_IDS,
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
    model_config = shown({"routing": "all", "template": "{{ title }} on {{ labels.host }}"})

    name: Name | None = Field(default=None, description="A new name; absent: unchanged")
    require_key: Flag | None = Field(default=None, description=_REQUIRE_KEY)
    routing: RoutingMode | None = Field(default=None, description=_ROUTING)
    contact_ids: list[Id] | None = Field(
        default=None,
        max_length=50,
        json_schema_extra={"uniqueItems": True},
        description=f"{_CONTACT_IDS}; absent: unchanged",
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
    model_config = shown(
        {
            "id": "ep_01m8ycrxap78197genycv3nvhg",
            "name": "Production",
            "require_key": True,
            "routing": "primary",
            "contact_ids": ["ct_01m8ycrxap78197genyejsdfa4"],
            "rules": [],
            "template": None,
            "caller_id_id": None,
            "webhook_url": "https://tocsin.example.com/v1/hooks/ep_01m8ycrxap78197genycv3nvhg",
            "created_at": "2025-01-01T12:00:00Z",
            "updated_at": "2025-01-01T12:00:00Z",
            "project_id": None,
        }
    )

    id: OwnId
    name: str = Field(description="The endpoint's name")
    require_key: bool = Field(description=_REQUIRE_KEY)
    routing: RoutingMode = Field(description=_ROUTING)
    contact_ids: list[str] = Field(description="The contacts it calls, in order")
    rules: list[dict[str, Any]] = Field(description=RULES_DESCRIPTION)
    template: str | None = Field(description=TEMPLATE_DESCRIPTION)
    caller_id_id: str | None = Field(
        default=None, description="The proven caller ID its calls present; null: each account's"
    )
    webhook_url: str = Field(description="Where senders send its alerts")
    created_at: CreatedAt
    updated_at: UpdatedAt
    project_id: str | None = Field(
        None, description="The project it belongs to (PUT .../endpoints/{id}/project moves it)"
    )


class PreviewCall(BaseModel):
    contact_id: str = Field(description="The contact called")
    phone_e164: str = Field(description="Its number, E.164")


class PreviewOut(BaseModel):
    """What a webhook with this body would do, without doing it."""

    model_config = shown(
        {
            "source": "alertmanager",
            "title": "HighErrorRate on api-1",
            "severity": "critical",
            "dedup_key": "am:c0ffee",
            "route": {"action": "call_primary", "rule": None},
            "steps": [{"type": "call", "contact_ids": ["ct_01m8ycrxap78197genyejsdfa4"]}],
            "first_calls": [
                {"contact_id": "ct_01m8ycrxap78197genyejsdfa4", "phone_e164": "+447400123456"}
            ],
            "spoken_text": "Critical alert from Alertmanager: HighErrorRate on api-1.",
            "template_problem": None,
        }
    )

    source: str = Field(description="The sender recognised, or `generic`")
    title: str = Field(description="The alert's title as read")
    severity: str = Field(description="Its severity, normalised")
    dedup_key: str = Field(description="The key repeats of it would share")
    route: dict[str, Any] = Field(description="The rule that matched (if any) and its action")
    steps: list[dict[str, Any]] = Field(description="The paging plan it would follow")
    first_calls: list[PreviewCall] = Field(description="Who the first step would call")
    spoken_text: str = Field(description="What the call would say")
    template_problem: str | None = Field(
        description="Why the endpoint's template could not be used (the default was), if so"
    )
