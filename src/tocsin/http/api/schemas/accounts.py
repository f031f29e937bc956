"""Request and response bodies of the accounts API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field

from tocsin.accounts.models import Role, Scope
from tocsin.http.api.schemas.common import CreatedAt, OwnId, shown
from tocsin.http.api.schemas.fields import (
    LANGUAGE_LIST,
    Email,
    EmailOrEmpty,
    Flag,
    Language,
    Name,
    NameOrEmpty,
    NewPassword,
    Region,
    TimeZone,
)
from tocsin.policy.numbers import CallingPolicy


class SignupIn(BaseModel):
    model_config = shown(
        {
            "email": "ada@example.com",
            "password": "correct horse battery staple",
            "display_name": "Ada",
            "organization_name": "Platform Ops",
            "country": "GB",
        }
    )

    email: Email = Field(description="The address to sign in with; a link to verify it is mailed")
    password: NewPassword
    display_name: NameOrEmpty = Field(default="", description="Empty: the address's name")
    organization_name: NameOrEmpty | None = Field(
        default=None, description="Empty or absent: named after you"
    )
    country: Region | None = Field(default=None, description="Home country")
    invite_code: str | None = Field(
        default=None,
        max_length=100,
        description="An invite's code: join its organization instead of making one",
    )


class LoginIn(BaseModel):
    model_config = shown({"email": "ada@example.com", "password": "correct horse battery staple"})

    email: str = Field(max_length=320, description="The account's address")
    password: str = Field(max_length=256, description="The account's password")
    totp_code: str | None = Field(
        default=None, max_length=20, description="The authenticator code, when two-step is on"
    )


class RefreshIn(BaseModel):
    model_config = shown({"refresh_token": "eyJhbGciOiJFZERTQSJ9.eyJ0eXAiOiJyZWZyZXNoIn0.c2ln"})

    refresh_token: str = Field(
        max_length=2000, description="The refresh token of the sign-in (from login or refresh)"
    )


class TokensOut(BaseModel):
    model_config = shown(
        {
            "access_token": "eyJhbGciOiJFZERTQSJ9.eyJ0eXAiOiJhY2Nlc3MifQ.c2ln",
            "refresh_token": "eyJhbGciOiJFZERTQSJ9.eyJ0eXAiOiJyZWZyZXNoIn0.c2ln",
            "token_type": "bearer",
            "expires_in": 900,
        }
    )

    access_token: str = Field(description="Send as `Authorization: Bearer <token>`")
    refresh_token: str = Field(
        description="Trade it for a new pair at POST /v1/auth/refresh; works once"
    )
    token_type: str = Field(default="bearer", description="Always `bearer`")
    expires_in: int = Field(description="Seconds until the access token expires")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    email: str = Field(description="The address to sign in with")
    display_name: str = Field(description="The person's name as others see it")
    created_at: CreatedAt
    email_verified_at: datetime | None = Field(
        description="When the address was proved by the link mailed to it; null until then"
    )

    @computed_field(description="Whether the address is verified")  # type: ignore[prop-decorator]
    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class VerifyEmailIn(BaseModel):
    model_config = shown({"token": "emv_01m8ycrxap78197genycv3nvhg.Zm9vYmFy"})

    token: str = Field(max_length=200, description="The token of the link mailed to the address")


class EmailVerifiedOut(BaseModel):
    model_config = shown({"email": "ada@example.com", "verified": True})

    email: str = Field(description="The account's address")
    verified: bool = Field(description="Whether the address is verified now")


class EmailChangeIn(BaseModel):
    model_config = shown(
        {"email": "ada@new.example.com", "password": "correct horse battery staple"}
    )

    email: Email = Field(description="The new address, unverified until its link is followed")
    password: str = Field(max_length=256, description="The current password, to confirm")


_ORG = {
    "id": "org_01m8ycrxap78197genyejsdfa4",
    "name": "Platform Ops",
    "slug": "platform-ops",
    "created_at": "2025-01-01T12:00:00Z",
    "timezone": "Europe/London",
    "plan": "free",
}


class OrgOut(BaseModel):
    model_config = shown(_ORG, from_attributes=True)

    id: OwnId
    name: str = Field(description="The organization's name")
    slug: str = Field(description="The name as a URL part, unique on the server")
    created_at: CreatedAt
    timezone: str = Field(description="IANA time zone; daily caps reset at its midnight")
    plan: str = Field(
        description="The plan the organization holds; see /billing for the one in force"
    )
    language: str = Field(
        description="The language of its calls' fixed prompts, unless a contact or member "
        "chose another"
    )


class OrgWithRoleOut(OrgOut):
    model_config = shown(
        {
            "id": "org_01m8ycrxap78197genyejsdfa4",
            "name": "Platform Ops",
            "slug": "platform-ops",
            "created_at": "2025-01-01T12:00:00Z",
            "timezone": "Europe/London",
            "plan": "free",
            "role": "owner",
        }
    )

    role: Role = Field(description="The caller's role in it: owner, admin or member")


class MeOut(BaseModel):
    model_config = shown(
        {
            "user": {
                "id": "usr_01m8ycrxap78197genycv3nvhg",
                "email": "ada@example.com",
                "display_name": "Ada",
                "created_at": "2025-01-01T12:00:00Z",
                "email_verified_at": "2025-01-01T12:05:00Z",
                "email_verified": True,
            },
            "organizations": [
                {
                    "id": "org_01m8ycrxap78197genyejsdfa4",
                    "name": "Platform Ops",
                    "slug": "platform-ops",
                    "created_at": "2025-01-01T12:00:00Z",
                    "timezone": "Europe/London",
                    "plan": "free",
                    "role": "owner",
                }
            ],
        }
    )

    user: UserOut = Field(description="The signed-in person")
    organizations: list[OrgWithRoleOut] = Field(description="Their organizations and roles")


class SignupAcceptedOut(BaseModel):
    """The same whether or not the address had an account."""

    model_config = shown(
        {
            "email": "ada@example.com",
            "message": "If this address was new, its account is made: sign in with its "
            "password (POST /v1/auth/login).",
        }
    )

    email: str = Field(description="The address, as Tocsin writes it")
    message: str = Field(description="What happens next, fit to show")


class OrgIn(BaseModel):
    name: Name = Field(description="The organization's name")


class OrgCreateIn(OrgIn):
    model_config = shown({"name": "Platform Ops", "country": "GB", "timezone": "Europe/London"})

    country: Region | None = Field(default=None, description="Home country")
    timezone: TimeZone = Field(default="UTC", description="Daily caps reset at its midnight")


class OrgUpdateIn(BaseModel):
    model_config = shown({"name": "Platform Operations", "timezone": "Europe/Dublin"})

    name: Name | None = Field(default=None, description="A new name; absent: unchanged")
    timezone: TimeZone | None = Field(
        default=None,
        description="A new time zone; absent: unchanged. It can change again after a while "
        "(`timezone_change_too_soon`)",
    )
    language: Language | None = Field(
        default=None,
        description="The language of the fixed prompts of the organization's calls (menu, "
        f"confirmations; alerts are read as their templates write them): one of "
        f"{LANGUAGE_LIST}. Contacts and members may choose their own",
    )


class CallingPolicyIn(BaseModel):
    model_config = shown(
        {"home_region": "GB", "international_enabled": True, "allowed_regions": ["IE", "FR"]}
    )

    home_region: Region | None = Field(
        default=None, description="The home country, whose numbers are national calls"
    )
    voice: str | None = Field(
        default=None,
        max_length=40,
        description="espeak-ng voice; an empty string restores the server's default",
    )
    international_enabled: Flag | None = Field(
        default=None, description="Whether numbers outside the home country may be called"
    )
    allowed_regions: list[Region] | None = Field(
        default=None,
        max_length=250,
        description="The countries abroad that may be called, when international calling is on",
    )


class CallingPolicyOut(BaseModel):
    model_config = shown(
        {
            "home_region": "GB",
            "international_enabled": True,
            "allowed_regions": ["IE", "FR"],
            "voice": None,
        }
    )

    home_region: str = Field(description="The home country, ISO 3166 alpha-2")
    international_enabled: bool = Field(description="Whether calls abroad are allowed")
    allowed_regions: list[str] = Field(description="The countries abroad that may be called")
    voice: str | None = Field(description="The espeak-ng voice of calls; null: the server's")

    @classmethod
    def of(cls, policy: CallingPolicy, voice: str | None) -> CallingPolicyOut:
        return cls(
            home_region=policy.home_region,
            international_enabled=policy.international_enabled,
            allowed_regions=list(policy.allowed_regions),
            voice=voice,
        )


class MemberOut(BaseModel):
    model_config = shown(
        {
            "user_id": "usr_01m8ycrxap78197genycv3nvhg",
            "email": "ada@example.com",
            "display_name": "Ada",
            "role": "owner",
            "created_at": "2025-01-01T12:00:00Z",
        }
    )

    user_id: str = Field(description="The member's user id")
    email: str = Field(description="The member's address")
    display_name: str = Field(description="The member's name")
    role: Role = Field(description="owner, admin or member")
    created_at: CreatedAt


class RoleIn(BaseModel):
    model_config = shown({"role": "admin"})

    role: Role = Field(description="The member's new role")


class InviteIn(BaseModel):
    # Never owner: checked with the rest of the invite (`invalid_role`).
    model_config = shown({"role": "member", "email": "ben@example.com"})

    role: Role = Field(
        default=Role.MEMBER,
        json_schema_extra={"enum": [Role.ADMIN.value, Role.MEMBER.value]},
        description="The role it gives: admin or member",
    )
    email: EmailOrEmpty | None = Field(default=None, description="Empty or absent: anyone")


class InviteOut(BaseModel):
    model_config = shown(
        {
            "id": "inv_01m8ycrxap78197genycv3nvhg",
            "role": "member",
            "email": "ben@example.com",
            "created_at": "2025-01-01T12:00:00Z",
            "expires_at": "2025-01-08T12:00:00Z",
            "used_at": None,
            "revoked_at": None,
        },
        from_attributes=True,
    )

    id: OwnId
    role: Role = Field(description="The role it gives")
    email: str | None = Field(description="The only address that may accept it; null: anyone")
    created_at: CreatedAt
    expires_at: datetime = Field(description="When it stops working")
    used_at: datetime | None = Field(description="When it was accepted")
    revoked_at: datetime | None = Field(description="When an admin revoked it")


class InviteCreatedOut(InviteOut):
    code: str = Field(description="The code to accept it with; shown only once")


class AcceptInviteIn(BaseModel):
    model_config = shown({"code": "inv_01m8ycrxap78197genycv3nvhg.c2VjcmV0"})

    code: str = Field(max_length=100, description="The invite's code")


class ApiKeyIn(BaseModel):
    model_config = shown({"name": "Alertmanager", "scopes": ["ingest"]})

    name: Name = Field(description="What the key is for")
    # At least one: checked with the rest of the key (`invalid_scope`).
    scopes: list[Scope] = Field(
        default_factory=lambda: [Scope.INGEST],
        json_schema_extra={"minItems": 1},
        description="What it may do: `ingest` (send alerts), `read`, `write`",
    )
    endpoint_id: str | None = Field(
        default=None,
        max_length=40,
        description="Bind it to one endpoint: it then reaches only that endpoint and its alerts",
    )


class ApiKeyOut(BaseModel):
    model_config = shown(
        {
            "id": "key_01m8ycrxap78197genycv3nvhg",
            "public_id": "tk_3fa9c2",
            "name": "Alertmanager",
            "scopes": ["ingest"],
            "endpoint_id": None,
            "created_at": "2025-01-01T12:00:00Z",
            "last_used_at": "2025-01-02T08:30:00Z",
            "revoked_at": None,
        },
        from_attributes=True,
    )

    id: OwnId
    public_id: str = Field(description="The key's visible prefix, to tell keys apart")
    name: str = Field(description="What the key is for")
    scopes: list[str] = Field(description="What it may do")
    endpoint_id: str | None = Field(description="The one endpoint it is bound to, if any")
    created_at: CreatedAt
    last_used_at: datetime | None = Field(description="When it was last used (to the hour)")
    revoked_at: datetime | None = Field(description="When it was revoked; it works no more")


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The full key. It is shown only once.")
