"""Request and response bodies of the people and projects API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tocsin.http.api.schemas.common import CreatedAt, OwnId, UpdatedAt
from tocsin.http.api.schemas.fields import Count, Flag, Id, Name, Region, TimeZone
from tocsin.numbers.consent import NumberState
from tocsin.oncall.models import Method
from tocsin.oncall.people import Number, Person
from tocsin.oncall.projects import ProjectView
from tocsin.oncall.rules import MAX_DELAY_MINUTES, MAX_RULES


class NumberIn(BaseModel):
    name: Name = Field(description="What the member calls it: mobile, desk, home")
    phone: str = Field(max_length=64, description="E.164 (+CC...), or national with `region`")
    region: Region | None = None
    method: Literal[Method.VOICE, Method.SMS] = Field(
        default=Method.VOICE,
        description="`voice` (it is called) or `sms` (it is texted); e-mail is the account's",
    )


class NumberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    name: str
    phone_e164: str
    method: Method
    verified: bool = Field(description="The member verified it themself: only then is it used")
    number_state: NumberState
    blocked_reason: str | None
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


class RuleBody(BaseModel):
    method: Method
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
    rules: list[RuleBody] = Field(
        max_length=MAX_RULES,
        description="In order, e.g. call the mobile at 0, text it at 0, call the desk at 3; "
        "empty: the default (the first verified voice number, at once)",
    )


class RulesOut(BaseModel):
    rules: list[RuleBody]


class NotifyOut(BaseModel):
    method: Method
    contact_id: str | None
    phone_e164: str | None
    delay_minutes: int


class PersonOut(BaseModel):
    user_id: str
    display_name: str
    email: str
    email_verified: bool
    role: str
    numbers: list[NumberOut]
    rules: list[RuleBody]
    plan: list[NotifyOut] = Field(
        description="What paging the member does now: their rules over the ways they verified"
    )

    @classmethod
    def of(cls, person: Person) -> PersonOut:
        return cls(
            user_id=person.user_id,
            display_name=person.display_name,
            email=person.email,
            email_verified=person.email_verified,
            role=person.role,
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
    items: list[PersonOut]


class ProjectIn(BaseModel):
    name: Name
    description: str = Field(default="", max_length=2000)
    restricted: Flag = Field(
        default=False,
        description="Only the organization's owners and the project's editors may change it",
    )
    timezone: TimeZone | None = Field(
        default=None,
        description="The zone its endpoints' business-hours rules read; absent: the organization's",
    )


class ProjectPatch(BaseModel):
    name: Name | None = None
    description: str | None = Field(default=None, max_length=2000)
    restricted: Flag | None = None
    timezone: str | None = Field(
        default=None,
        max_length=64,
        description='An IANA time zone; "" goes back to the organization\'s',
    )


class ProjectMemberIn(BaseModel):
    user_id: Id
    can_edit: Flag = Field(default=False, description="May change a restricted project")


class ProjectMemberOut(BaseModel):
    user_id: str
    display_name: str
    can_edit: bool


class NamedOut(BaseModel):
    id: OwnId
    name: str


class ProjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    name: str
    description: str
    restricted: bool
    timezone: str | None = Field(
        description="The zone its endpoints' business-hours rules read; null: the organization's"
    )
    created_at: CreatedAt
    updated_at: UpdatedAt


class ProjectDetailOut(ProjectOut):
    members: list[ProjectMemberOut]
    endpoints: list[NamedOut]
    escalations: list[NamedOut]

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
    items: list[ProjectOut]


class ProjectChoice(BaseModel):
    project_id: Id | None = Field(description="The project it belongs to now; null for none")
