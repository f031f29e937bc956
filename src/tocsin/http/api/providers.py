"""Provider accounts API: which telephony providers an organization calls through."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from tocsin.accounts.models import Role
from tocsin.db.session import Session
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import CreatedAt, OwnId, UpdatedAt, errors, listed, shown
from tocsin.http.api.schemas.fields import Count, Flag, ProviderName
from tocsin.providers import commands, queries
from tocsin.providers.caller_ids import caller_id_warning
from tocsin.providers.commands import MAX_PRIORITY
from tocsin.providers.models import ProviderAccount
from tocsin.runtime import every_provider
from tocsin.telephony.hosts import HostPolicy, looked_up_first
from tocsin.telephony.rest import inbound_text_url

router = APIRouter(
    prefix="/v1/orgs/{org_id}/providers",
    tags=["providers"],
    route_class=ApiRoute,
)


# The kinds are checked by the factory that builds an account's provider (`unknown_provider`).
PROVIDER_KINDS: list[JsonValue] = list(every_provider().kinds)


class ProviderAccountIn(BaseModel):
    model_config = shown(
        {
            "kind": "twilio",
            "name": "Twilio main",
            "priority": 1,
            "settings": {},
            "credentials": {
                "account_sid": "AC0123456789abcdef0123456789abcdef",
                "auth_token": "0123456789abcdef0123456789abcdef",
            },
        }
    )

    kind: str = Field(
        max_length=20,
        json_schema_extra={"enum": PROVIDER_KINDS},
        description="The provider: twilio, plivo, telnyx, vonage, sip or simulator",
    )
    name: ProviderName = Field(description="What the account is")
    priority: Count = Field(
        default=1,
        description="1 is tried first; the next on failure",
        json_schema_extra={"minimum": 1, "maximum": MAX_PRIORITY},
    )
    settings: dict[str, Any] = Field(
        default_factory=dict,
        description="The kind's settings (docs/providers); the credentials go apart",
    )
    credentials: dict[str, Any] = Field(
        default_factory=dict, description="Stored encrypted; never returned"
    )
    caller_id_id: str | None = Field(
        default=None,
        max_length=40,
        description="The proven caller ID its calls and texts present (see /caller-ids); "
        "without one the account places no call",
    )


class ProviderAccountPatch(BaseModel):
    model_config = shown({"enabled": False})

    name: ProviderName | None = Field(default=None, description="A new name; absent: unchanged")
    priority: Count | None = Field(
        description="1 is tried first; absent: unchanged",
        default=None,
        json_schema_extra={
            "anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_PRIORITY}, {"type": "null"}]
        },
    )
    enabled: Flag | None = Field(
        default=None, description="false: its calls go to the next account"
    )
    settings: dict[str, Any] | None = Field(
        default=None, description="All the settings anew; absent: unchanged"
    )
    credentials: dict[str, Any] | None = Field(
        default=None, description="All the credentials anew (stored encrypted); absent: unchanged"
    )
    caller_id_id: str | None = Field(
        default=None, max_length=40, description="A proven caller ID; an empty string clears it"
    )


class ProviderAccountOut(BaseModel):
    model_config = shown(
        {
            "id": "prv_01m8ycrxap78197genycv3nvhg",
            "kind": "twilio",
            "name": "Twilio main",
            "priority": 1,
            "enabled": True,
            "settings": {},
            "caller_id_id": "cid_01m8ycrxap78197genycv3nvhg",
            "warnings": [],
            "caller_ids_unproven": [],
            "created_at": "2025-01-01T12:00:00Z",
            "updated_at": "2025-01-01T12:00:00Z",
            "inbound_sms_url": "https://tocsin.example.com/v1/telephony/twilio/sms_01m8yc",
        },
        from_attributes=True,
    )

    id: OwnId
    kind: str = Field(description="The provider")
    name: str = Field(description="What the account is")
    priority: int = Field(description="1 is tried first; the next on failure")
    enabled: bool = Field(description="Whether calls go through it")
    settings: dict[str, Any] = Field(description="The kind's settings (never the credentials)")
    caller_id_id: str | None = Field(description="The proven caller ID it presents")
    # Said whenever the account's calls would be passed over: no proven caller ID to present.
    warnings: list[str] = Field(
        default_factory=list,
        description="Why its calls would be passed over, e.g. no proven caller ID to present",
    )
    caller_ids_unproven: list[str] = Field(
        default_factory=list,
        description="Caller IDs this account's own records had proved that are proven no longer "
        "because its settings or credentials changed (check them again, or prove them by a code)",
    )
    created_at: CreatedAt
    updated_at: UpdatedAt
    inbound_sms_url: str | None = Field(
        default=None,
        description="Where to have the provider deliver texts sent to this account's numbers "
        "(its inbound-message webhook), so that STOP, HELP and START are honoured and replies "
        "to alert texts acknowledge or resolve; null for a kind that delivers none",
    )

    @classmethod
    def of(
        cls,
        session: Session,
        account: ProviderAccount,
        public_base_url: str,
        unproven: list[str] | None = None,
    ) -> ProviderAccountOut:
        out = cls.model_validate(account)
        out.inbound_sms_url = inbound_text_url(public_base_url, account.kind, account.id)
        warning = caller_id_warning(session, account)
        out.warnings = [warning] if warning is not None and account.enabled else []
        out.caller_ids_unproven = unproven or []
        out.warnings += [
            f"the caller ID {number} is no longer proven: it was proven by this account's "
            "records, and its settings or credentials changed; check it again or prove it by a code"
            for number in out.caller_ids_unproven
        ]
        return out


class ProviderAccountListOut(BaseModel):
    """Every account of the organization; not a page, since there are few."""

    model_config = ConfigDict(json_schema_extra=listed)

    items: list[ProviderAccountOut] = Field(description="Every account, by priority")


@router.post(
    "",
    status_code=201,
    response_model=ProviderAccountOut,
    summary="Add a provider account",
    responses=errors(
        (409, "priority_taken", "another account has this priority"),
        (422, "invalid_provider_config", "twilio: account_sid is required"),
    ),
)
def create(
    org_id: str, body: ProviderAccountIn, caller: Caller = Depends(get_caller)
) -> ProviderAccountOut:
    """The organization's own telephony account, through which its calls go before the platform's.
    Admins and owners, signed in (keys may not touch credentials)."""
    runtime = caller.runtime
    now = runtime.clock.now()

    def save(hosts: HostPolicy) -> ProviderAccountOut:
        with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
            account = commands.create_account(
                session,
                org_id=org_id,
                kind=body.kind,
                name=body.name,
                priority=body.priority,
                settings=body.settings,
                credentials=body.credentials,
                factory=runtime.provider_factory,
                box=runtime.credentials_box,
                context=runtime.build_context.reaching(hosts),
                actor=access.actor,
                now=now,
                caller_id_id=body.caller_id_id,
            )
            return ProviderAccountOut.of(session, account, runtime.settings.public_base_url)

    return looked_up_first(runtime.provider_hosts, save)


@router.get("", response_model=ProviderAccountListOut, summary="List provider accounts")
def list_accounts(org_id: str, caller: Caller = Depends(get_caller)) -> ProviderAccountListOut:
    """The organization's accounts, without their credentials. Admins and owners, signed in (keys
    may not touch credentials)."""
    base_url = caller.runtime.settings.public_base_url
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=False) as (session, _):
        accounts = queries.list_accounts(session, org_id=org_id)
        return ProviderAccountListOut(
            items=[ProviderAccountOut.of(session, a, base_url) for a in accounts]
        )


@router.patch(
    "/{account_id}",
    response_model=ProviderAccountOut,
    summary="Update a provider account",
    responses=errors(
        (404, "provider_not_found", "provider account not found"),
        (409, "priority_taken", "another account has this priority"),
        (422, "invalid_provider_config", "twilio: account_sid is required"),
    ),
)
def update(
    org_id: str, account_id: str, body: ProviderAccountPatch, caller: Caller = Depends(get_caller)
) -> ProviderAccountOut:
    """Admins and owners, signed in (keys may not touch credentials)."""
    runtime = caller.runtime
    now = runtime.clock.now()

    def save(hosts: HostPolicy) -> ProviderAccountOut:
        with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
            change = commands.update_account(
                session,
                org_id=org_id,
                account_id=account_id,
                factory=runtime.provider_factory,
                box=runtime.credentials_box,
                context=runtime.build_context.reaching(hosts),
                actor=access.actor,
                now=now,
                name=body.name,
                priority=body.priority,
                enabled=body.enabled,
                settings=body.settings,
                credentials=body.credentials,
                caller_id_id=body.caller_id_id,
            )
            return ProviderAccountOut.of(
                session, change.account, runtime.settings.public_base_url, change.unproven
            )

    return looked_up_first(runtime.provider_hosts, save)


@router.delete(
    "/{account_id}",
    status_code=204,
    summary="Remove a provider account",
    responses=errors((404, "provider_not_found", "provider account not found")),
)
def delete(org_id: str, account_id: str, caller: Caller = Depends(get_caller)) -> None:
    """Its calls go to the next account, or the platform's. Admins and owners, signed in (keys may
    not touch credentials)."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        commands.delete_account(
            session, org_id=org_id, account_id=account_id, actor=access.actor, now=now
        )
