"""Proving a caller ID by a provider account's own records: read the account and the number in
one transaction (only an account that talks to its provider's own API host, or to one on the
operator's allowlist, can vouch: any other server may be the customer's), ask the provider's
API outside any transaction, record the answer in another. The adapter reports
`OwnershipCheck.error()` after that last one commits, so a refusal stays in the audit log."""

from __future__ import annotations

import asyncio
from typing import Protocol

from tocsin.callerids.commands import OwnershipCheck, record_ownership
from tocsin.core.actors import Actor
from tocsin.core.clock import Clock
from tocsin.core.errors import InvalidInput, TocsinError
from tocsin.core.secretbox import SecretBox
from tocsin.db.engine import Database
from tocsin.providers.caller_ids import get_caller_id
from tocsin.providers.queries import get_account
from tocsin.telephony.base import (
    NumberOwner,
    Provider,
    ProviderError,
    close_provider,
    number_owner,
)
from tocsin.telephony.factory import BuildContext, ProviderFactory
from tocsin.telephony.rest.builders import unofficial_api_hosts


class OwnershipServices(Protocol):
    """What asking a provider needs of the running process; `tocsin.runtime.Runtime` is one."""

    @property
    def database(self) -> Database: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def provider_factory(self) -> ProviderFactory: ...
    @property
    def credentials_box(self) -> SecretBox: ...
    @property
    def build_context(self) -> BuildContext: ...


class OwnershipUnavailable(TocsinError):
    status_code = 502
    default_code = "caller_id_check_failed"


async def check_with_provider(
    services: OwnershipServices,
    *,
    org_id: str,
    caller_id_id: str,
    account_id: str,
    actor: Actor,
) -> OwnershipCheck:
    """Ask the organization's provider account whether it owns the caller ID's number."""

    def read() -> tuple[str, Provider, NumberOwner]:
        with services.database.read() as session:
            caller_id = get_caller_id(session, org_id=org_id, caller_id_id=caller_id_id)
            account = get_account(session, org_id=org_id, account_id=account_id)
            elsewhere = unofficial_api_hosts(
                account.kind, account.settings, services.build_context.hosts
            )
            if elsewhere:
                # The customer may run that server: its answer proves nothing.
                raise InvalidInput(
                    f"this account sends its requests to {', '.join(elsewhere)}, not to "
                    f"{account.kind}'s own API, which alone can vouch for a number; prove the "
                    "caller ID by a code instead",
                    code="caller_id_check_host_not_official",
                    details={"hosts": elsewhere},
                )
            provider = services.provider_factory.build(
                account.kind,
                account.settings,
                services.credentials_box.open(account.sealed_credentials),
                services.build_context,
            )
            owner = number_owner(provider)
            if owner is None:
                raise InvalidInput(
                    f"a {account.kind} account cannot say which numbers it owns (Twilio, Plivo, "
                    "Telnyx and Vonage accounts can); prove the caller ID by a code instead",
                    code="caller_id_check_unsupported",
                )
            return caller_id.number, provider, owner

    number, provider, owner = await asyncio.to_thread(read)
    try:
        answer = await owner.owns_number(number)
    except ProviderError as error:
        raise OwnershipUnavailable(error.user_message) from error
    finally:
        await close_provider(provider)

    def record() -> OwnershipCheck:
        with services.database.write() as session:
            return record_ownership(
                session,
                org_id=org_id,
                caller_id_id=caller_id_id,
                account_id=account_id,
                owned=answer.owned,
                how=answer.how,
                actor=actor,
                now=services.clock.now(),
            )

    return await asyncio.to_thread(record)
