"""Request and response bodies of the accounts API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field

from tocsin.accounts.models import Role, Scope
from tocsin.http.api.schemas.common import CreatedAt, OwnId
from tocsin.http.api.schemas.fields import (
    Email,
    EmailOrEmpty,
    Flag,
    Name,
    NameOrEmpty,
    NewPassword,
    Region,
    TimeZone,
)
from tocsin.policy.numbers import CallingPolicy


class SignupIn(BaseModel):
    email: Email
    password: NewPassword
    display_name: NameOrEmpty = Field(default="", description="Empty: the address's name")
    organization_name: NameOrEmpty | None = Field(
        default=None, description="Empty or absent: named after you"
    )
    country: Region | None = Field(default=None, description="Home country")
    invite_code: str | None = Field(default=None, max_length=100)


class LoginIn(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=256)
    totp_code: str | None = Field(
        default=None, max_length=20, description="The authenticator code, when two-step is on"
    )


class RefreshIn(BaseModel):
    refresh_token: str = Field(max_length=2000)


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    email: str
    display_name: str
    created_at: CreatedAt
    email_verified_at: datetime | None = Field(
        description="When the address was proved by the link mailed to it; null until then"
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class VerifyEmailIn(BaseModel):
    token: str = Field(max_length=200, description="The token of the link mailed to the address")


class EmailVerifiedOut(BaseModel):
    email: str
    verified: bool


class EmailChangeIn(BaseModel):
    email: Email
    password: str = Field(max_length=256, description="The current password, to confirm")


class OrgOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    name: str
    slug: str
    created_at: CreatedAt
    timezone: str
    plan: str = Field(
        description="The plan the organization holds; see /billing for the one in force"
    )


class OrgWithRoleOut(OrgOut):
    role: Role


class MeOut(BaseModel):
    user: UserOut
    organizations: list[OrgWithRoleOut]


class SignupAcceptedOut(BaseModel):
    """The same whether or not the address had an account."""

    email: str = Field(description="The address, as Tocsin writes it")
    message: str


class OrgIn(BaseModel):
    name: Name


class OrgCreateIn(OrgIn):
    country: Region | None = Field(default=None, description="Home country")
    timezone: TimeZone = Field(default="UTC", description="Daily caps reset at its midnight")


class OrgUpdateIn(BaseModel):
    name: Name | None = None
    timezone: TimeZone | None = None


class CallingPolicyIn(BaseModel):
    home_region: Region | None = None
    voice: str | None = Field(
        default=None,
        max_length=40,
        description="espeak-ng voice; an empty string restores the server's default",
    )
    international_enabled: Flag | None = None
    allowed_regions: list[Region] | None = Field(default=None, max_length=250)


class CallingPolicyOut(BaseModel):
    home_region: str
    international_enabled: bool
    allowed_regions: list[str]
    voice: str | None

    @classmethod
    def of(cls, policy: CallingPolicy, voice: str | None) -> CallingPolicyOut:
        return cls(
            home_region=policy.home_region,
            international_enabled=policy.international_enabled,
            allowed_regions=list(policy.allowed_regions),
            voice=voice,
        )


class MemberOut(BaseModel):
    user_id: str
    email: str
    display_name: str
    role: Role
    created_at: CreatedAt


class RoleIn(BaseModel):
    role: Role


class InviteIn(BaseModel):
    # Never owner: checked with the rest of the invite (`invalid_role`).
    role: Role = Field(
        default=Role.MEMBER, json_schema_extra={"enum": [Role.ADMIN.value, Role.MEMBER.value]}
    )
    email: EmailOrEmpty | None = Field(default=None, description="Empty or absent: anyone")


class InviteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    role: Role
    email: str | None
    created_at: CreatedAt
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


class InviteCreatedOut(InviteOut):
    code: str


class AcceptInviteIn(BaseModel):
    code: str = Field(max_length=100)


class ApiKeyIn(BaseModel):
    name: Name
    # At least one: checked with the rest of the key (`invalid_scope`).
    scopes: list[Scope] = Field(
        default_factory=lambda: [Scope.INGEST], json_schema_extra={"minItems": 1}
    )
    endpoint_id: str | None = Field(default=None, max_length=40)


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    public_id: str
    name: str
    scopes: list[str]
    endpoint_id: str | None
    created_at: CreatedAt
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The full key. It is shown only once.")
