"""Provider accounts API: which telephony providers an organization calls through."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from tocsin.accounts.models import Role
from tocsin.db.session import Session
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import CreatedAt, OwnId, UpdatedAt
from tocsin.http.api.schemas.fields import Count, Flag, ProviderName
from tocsin.providers import commands, queries
from tocsin.providers.caller_ids import caller_id_warning
from tocsin.providers.commands import MAX_PRIORITY
from tocsin.providers.models import ProviderAccount
from tocsin.runtime import every_provider
from tocsin.telephony.rest import inbound_text_url

router = APIRouter(
    prefix="/v1/orgs/{org_id}/providers",
    tags=["providers"],
    route_class=ApiRoute,
)


# The kinds are checked by the factory that builds an account's provider (`unknown_provider`).
PROVIDER_KINDS: list[JsonValue] = list(every_provider().kinds)


class ProviderAccountIn(BaseModel):
    kind: str = Field(max_length=20, json_schema_extra={"enum": PROVIDER_KINDS})
    name: ProviderName
    priority: Count = Field(
        default=1,
        description="1 is tried first; the next on failure",
        json_schema_extra={"minimum": 1, "maximum": MAX_PRIORITY},
    )
    settings: dict[str, Any] = Field(default_factory=dict)
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
    name: ProviderName | None = None
    priority: Count | None = Field(
        default=None,
        json_schema_extra={
            "anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_PRIORITY}, {"type": "null"}]
        },
    )
    enabled: Flag | None = None
    settings: dict[str, Any] | None = None
    credentials: dict[str, Any] | None = None
    caller_id_id: str | None = Field(
        default=None, max_length=40, description="A proven caller ID; an empty string clears it"
    )


class ProviderAccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    kind: str
    name: str
    priority: int
    enabled: bool
    settings: dict[str, Any]
    caller_id_id: str | None
    # Said whenever the account's calls would be passed over: no proven caller ID to present.
    warnings: list[str] = Field(default_factory=list)
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
    items: list[ProviderAccountOut]


@router.post("", status_code=201, response_model=ProviderAccountOut)
def create(
    org_id: str, body: ProviderAccountIn, caller: Caller = Depends(get_caller)
) -> ProviderAccountOut:
    runtime = caller.runtime
    now = runtime.clock.now()
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
            context=runtime.build_context,
            actor=access.actor,
            now=now,
            caller_id_id=body.caller_id_id,
        )
        return ProviderAccountOut.of(session, account, runtime.settings.public_base_url)


@router.get("", response_model=ProviderAccountListOut)
def list_accounts(org_id: str, caller: Caller = Depends(get_caller)) -> ProviderAccountListOut:
    base_url = caller.runtime.settings.public_base_url
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=False) as (session, _):
        accounts = queries.list_accounts(session, org_id=org_id)
        return ProviderAccountListOut(
            items=[ProviderAccountOut.of(session, a, base_url) for a in accounts]
        )


@router.patch("/{account_id}", response_model=ProviderAccountOut)
def update(
    org_id: str, account_id: str, body: ProviderAccountPatch, caller: Caller = Depends(get_caller)
) -> ProviderAccountOut:
    runtime = caller.runtime
    now = runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        change = commands.update_account(
            session,
            org_id=org_id,
            account_id=account_id,
            factory=runtime.provider_factory,
            box=runtime.credentials_box,
            context=runtime.build_context,
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


@router.delete("/{account_id}", status_code=204)
def delete(org_id: str, account_id: str, caller: Caller = Depends(get_caller)) -> None:
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        commands.delete_account(
            session, org_id=org_id, account_id=account_id, actor=access.actor, now=now
        )
