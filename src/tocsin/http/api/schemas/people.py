"""Request and response bodies of the people and projects API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tocsin.http.api.schemas.common import CreatedAt, OwnId, UpdatedAt, listed, shown
from tocsin.http.api.schemas.fields import (
    LANGUAGE_LIST,
    Count,
    Flag,
    Id,
    LanguageOrEmpty,
    Name,
    Region,
    TimeZone,
)
from tocsin.numbers.consent import NumberState
from tocsin.oncall.models import Method
from tocsin.oncall.people import Number, Person
from tocsin.oncall.projects import ProjectView
from tocsin.oncall.rules import MAX_DELAY_MINUTES, MAX_RULES


class NumberIn(BaseModel):
    model_config = shown({"name": "mobile", "phone": "+447400123456", "method": "voice"})

    name: Name = Field(description="What the member calls it: mobile, desk, home")
    phone: str = Field(max_length=64, description="E.164 (+CC...), or national with `region`")
    region: Region | None = Field(default=None, description="The country of a national number")
    method: Literal[Method.VOICE, Method.SMS] = Field(
        default=Method.VOICE,
        description="`voice` (it is called) or `sms` (it is texted); e-mail is the account's",
    )


class NumberOut(BaseModel):
    model_config = shown(
        {
            "id": "ct_01m8ycrxap78197genyejsdfa4",
            "name": "mobile",
            "phone_e164": "+447400123456",
            "method": "voice",
            "verified": True,
            "number_state": "verified",
            "blocked_reason": None,
            "created_at": "2025-01-01T12:00:00Z",
        },
        from_attributes=True,
    )

    id: OwnId
    name: str = Field(description="What the member calls it")
    phone_e164: str = Field(description="The number, E.164")
    method: Method = Field(description="voice or sms")
    verified: bool = Field(description="The member verified it themself: only then is it used")
    number_state: NumberState = Field(
        description=("Whether it may be called: verified, unverified, do_not_call or opted_out"),
    )
    blocked_reason: str | None = Field(description="Why no call goes to it now, if so")
    created_at: CreatedAt

    @classmethod
    def of(cls, number: Number) -> NumberOut:
        return cls(
            id=number.id,
            name=number.name,
            phone_e164=number.phone_e164,
            method=Method(number.channel),
            verified=number.verified,
            number_state=number.number_state,
            blocked_reason=number.blocked_reason,
            created_at=number.created_at,
        )


class PersonSettingsIn(BaseModel):
    model_config = shown({"language": "es"})

    language: LanguageOrEmpty = Field(
        description="The language of the fixed prompts (menu, confirmations) of calls paging "
        f"the member: one of {LANGUAGE_LIST}; an empty string goes back to the organization's"
    )


class PersonSettingsOut(BaseModel):
    language: str | None = Field(
        description="The member's language; null: the organization's",
    )


class RuleBody(BaseModel):
    method: Method = Field(description="voice, sms or email")
    contact_id: Id | None = Field(
        default=None, description="One of the member's own numbers on `method`; none for email"
    )
    delay_minutes: Count = Field(
        default=0,
        ge=0,
        le=MAX_DELAY_MINUTES,
        description="Minutes after the step pages the member",
    )


class RulesIn(BaseModel):
    model_config = shown(
        {
            "rules": [
                {
                    "method": "voice",
                    "contact_id": "ct_01m8ycrxap78197genyejsdfa4",
                    "delay_minutes": 0,
                },
                {
                    "method": "sms",
                    "contact_id": "ct_01m8ycrxap78197genyejsdfa4",
                    "delay_minutes": 0,
                },
            ]
        }
    )

    rules: list[RuleBody] = Field(
        max_length=MAX_RULES,
        description="In order, e.g. call the mobile at 0, text it at 0, call the desk at 3; "
        "empty: the default (the first verified voice number, at once)",
    )


class RulesOut(BaseModel):
    model_config = shown(
        {
            "rules": [
                {
                    "method": "voice",
                    "contact_id": "ct_01m8ycrxap78197genyejsdfa4",
                    "delay_minutes": 0,
                }
            ]
        }
    )

    rules: list[RuleBody] = Field(description="The member's rules, in order; empty: the default")


class NotifyOut(BaseModel):
    method: Method = Field(description="voice, sms or email")
    contact_id: str | None = Field(description="The number used, if any")
    phone_e164: str | None = Field(description="Its number, E.164")
    delay_minutes: int = Field(description="Minutes after the step pages the member")


class PersonOut(BaseModel):
    model_config = shown(
        {
            "user_id": "usr_01m8ycrxap78197genycv3nvhg",
            "display_name": "Ada",
            "email": "ada@example.com",
            "email_verified": True,
            "role": "owner",
            "numbers": [
                {
                    "id": "ct_01m8ycrxap78197genyejsdfa4",
                    "name": "mobile",
                    "phone_e164": "+447400123456",
                    "method": "voice",
                    "verified": True,
                    "number_state": "verified",
                    "blocked_reason": None,
                    "created_at": "2025-01-01T12:00:00Z",
                }
            ],
            "rules": [
                {
                    "method": "voice",
                    "contact_id": "ct_01m8ycrxap78197genyejsdfa4",
                    "delay_minutes": 0,
                }
            ],
            "plan": [
                {
                    "method": "voice",
                    "contact_id": "ct_01m8ycrxap78197genyejsdfa4",
                    "phone_e164": "+447400123456",
                    "delay_minutes": 0,
                }
            ],
        }
    )

    user_id: str = Field(description="The member's user id")
    display_name: str = Field(description="Their name")
    email: str = Field(description="Their address")
    email_verified: bool = Field(
        description=("Whether the address is verified (e-mail paging needs it)"),
    )
    role: str = Field(description="owner, admin or member")
    numbers: list[NumberOut] = Field(description="Their own numbers")
    rules: list[RuleBody] = Field(description="Their notification rules")
    plan: list[NotifyOut] = Field(
        description="What paging the member does now: their rules over the ways they verified"
    )
    language: str | None = Field(
        default=None,
        description="The language of the fixed prompts of calls paging the member; null: the "
        "organization's (a number's own language, set on the contact, comes first)",
    )

    @classmethod
    def of(cls, person: Person) -> PersonOut:
        return cls(
            user_id=person.user_id,
            display_name=person.display_name,
            email=person.email,
            email_verified=person.email_verified,
            role=person.role,
            language=person.language,
            numbers=[NumberOut.of(number) for number in person.numbers],
            rules=[
                RuleBody(method=r.method, contact_id=r.contact_id, delay_minutes=r.delay_minutes)
                for r in person.rules
            ],
            plan=[
                NotifyOut(
                    method=n.method,
                    contact_id=n.contact_id,
                    phone_e164=n.phone,
                    delay_minutes=n.delay_minutes,
                )
                for n in person.plan
            ],
        )


class PeopleOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=listed)

    items: list[PersonOut] = Field(description="Every member of the organization")


class ProjectIn(BaseModel):
    model_config = shown({"name": "Payments", "description": "The payments team's services"})

    name: Name = Field(description="The project's name, e.g. a team")
    description: str = Field(default="", max_length=2000, description="What it is for")
    restricted: Flag = Field(
        default=False,
        description="Only the organization's owners and the project's editors may change it",
    )
    timezone: TimeZone | None = Field(
        default=None,
        description="The zone its endpoints' business-hours rules read; absent: the organization's",
    )


class ProjectPatch(BaseModel):
    model_config = shown({"restricted": True})

    name: Name | None = Field(default=None, description="A new name; absent: unchanged")
    description: str | None = Field(default=None, max_length=2000, description="A new description")
    restricted: Flag | None = Field(
        default=None,
        description=("Whether only owners and its editors may change it"),
    )
    timezone: str | None = Field(
        default=None,
        max_length=64,
        description='An IANA time zone; "" goes back to the organization\'s',
    )


class ProjectMemberIn(BaseModel):
    model_config = shown({"user_id": "usr_01m8ycrxap78197genycv3nvhg", "can_edit": True})

    user_id: Id = Field(description="The member to add")
    can_edit: Flag = Field(default=False, description="May change a restricted project")


class ProjectMemberOut(BaseModel):
    user_id: str = Field(description="The member")
    display_name: str = Field(description="Their name")
    can_edit: bool = Field(description="Whether they may change it when restricted")


class NamedOut(BaseModel):
    id: OwnId
    name: str = Field(description="Its name")


class ProjectOut(BaseModel):
    model_config = shown(
        {
            "id": "prj_01m8ycrxap78197genycv3nvhg",
            "name": "Payments",
            "description": "The payments team's services",
            "restricted": False,
            "timezone": None,
            "created_at": "2025-01-01T12:00:00Z",
            "updated_at": "2025-01-01T12:00:00Z",
        },
        from_attributes=True,
    )

    id: OwnId
    name: str = Field(description="The project's name")
    description: str = Field(description="What it is for")
    restricted: bool = Field(description="Whether only owners and its editors may change it")
    timezone: str | None = Field(
        description="The zone its endpoints' business-hours rules read; null: the organization's"
    )
    created_at: CreatedAt
    updated_at: UpdatedAt


class ProjectDetailOut(ProjectOut):
    model_config = shown(
        {
            "id": "prj_01m8ycrxap78197genycv3nvhg",
            "name": "Payments",
            "description": "The payments team's services",
            "restricted": False,
            "timezone": None,
            "created_at": "2025-01-01T12:00:00Z",
            "updated_at": "2025-01-01T12:00:00Z",
            "members": [
                {
                    "user_id": "usr_01m8ycrxap78197genycv3nvhg",
                    "display_name": "Ada",
                    "can_edit": True,
                }
            ],
            "endpoints": [{"id": "ep_01m8ycrxap78197genycv3nvhg", "name": "Production"}],
            "escalations": [],
        }
    )

    members: list[ProjectMemberOut] = Field(description="Its members")
    endpoints: list[NamedOut] = Field(description="Its endpoints")
    escalations: list[NamedOut] = Field(description="Its escalation policies")

    @classmethod
    def of(cls, view: ProjectView) -> ProjectDetailOut:
        project = view.project
        return cls(
            id=project.id,
            name=project.name,
            description=project.description,
            restricted=project.restricted,
            timezone=project.timezone,
            created_at=project.created_at,
            updated_at=project.updated_at,
            members=[
                ProjectMemberOut(
                    user_id=m.user_id, display_name=m.display_name, can_edit=m.can_edit
                )
                for m in view.members
            ],
            endpoints=[NamedOut(id=e.id, name=e.name) for e in view.endpoints],
            escalations=[NamedOut(id=p.id, name=p.name) for p in view.policies],
        )


class ProjectsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=listed)

    items: list[ProjectOut] = Field(description="The organization's projects")


class ProjectChoice(BaseModel):
    model_config = shown({"project_id": "prj_01m8ycrxap78197genycv3nvhg"})

    project_id: Id | None = Field(description="The project it belongs to now; null for none")
