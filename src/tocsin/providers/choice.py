"""Which providers place an organization's calls, in the order to try them.

The chain for an organization, from what it and the operator configured:

- its enabled provider accounts by priority, followed by the platform's real providers as the
  last resort (a page that no account of its own could place still goes out);
- with accounts that are all disabled or unusable: the platform's real providers only, and the
  owners are told (`fallback`); never the simulator, whose keypresses are made up;
- with no accounts at all: the platform's providers (real, or the simulator when the operator
  chose it).

Each choice carries the caller ID a call through it presents: for an organization's account the
proven caller ID chosen for it or for the call's endpoint (`providers.caller_ids`), for the
platform's providers the platform's own number. An account with no caller ID it may present is
passed over (`ProviderChain.passed_over`, with the reason, which the worker records loudly): it
is never given the platform's number. When that leaves no provider at all, the call is blocked
as `caller_id_missing`.

A chain never mixes the simulator with a real provider. An empty chain means nobody can be
called: the worker fails the attempt loudly as `no_provider`.

Credentials are opened only here, just before a provider is built, and built providers are
cached until their row changes. A provider replaced that way is kept until the worker that runs
calls closes it (`retired`), because it may own sockets and tasks on the worker's event loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from tocsin.core.errors import TocsinError
from tocsin.core.secretbox import SecretBox
from tocsin.providers.caller_ids import CALLER_ID_MISSING, presented
from tocsin.providers.models import ProviderAccount
from tocsin.providers.platform import PlatformProvider
from tocsin.telephony.base import Provider
from tocsin.telephony.callbacks import CallbackAdapter, callback_adapter
from tocsin.telephony.factory import BuildContext, ProviderFactory
from tocsin.telephony.inbound import TextAdapter, text_adapter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProviderChoice:
    # The organization's provider account; None for one of the platform's providers.
    account_id: str | None
    provider: Provider
    # The platform provider's configured name, when it is one.
    platform_name: str | None = None
    # The number a call or text through it presents (see the module docstring).
    caller_id: str = ""

    @property
    def simulated(self) -> bool:
        return self.provider.capabilities.simulated

    @property
    def identity(self) -> tuple[str | None, str | None]:
        """What an attempt records of the provider that placed it (`placed_by`)."""
        return self.account_id, self.platform_name


@dataclass(frozen=True)
class PassedOver:
    """An organization's account that may place no call now: it has no caller ID it may
    present. Kept in the chain so the callbacks and hang-ups of its earlier calls still work."""

    choice: ProviderChoice
    reason: str


@dataclass(frozen=True)
class ProviderChain:
    # The providers that may place the call, in the order to try them.
    choices: list[ProviderChoice] = field(default_factory=list)
    # Why the organization's own accounts are passed over although it has some; its owners
    # are told. None when nothing is wrong.
    fallback: str | None = None
    passed_over: list[PassedOver] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.choices)

    @property
    def every(self) -> list[ProviderChoice]:
        """Every provider built for the organization, those passed over included: what may
        have placed a call already (callbacks, hang-ups, reconciliation)."""
        return [*self.choices, *(passed.choice for passed in self.passed_over)]

    @property
    def caller_id_missing(self) -> bool:
        """Nobody can place the call because the accounts that could have lack a caller ID."""
        return not self.choices and bool(self.passed_over)

    def callback_adapter(
        self, kind: str, placed_by: tuple[str | None, str | None] | None
    ) -> CallbackAdapter | None:
        """What checks a callback of `kind`, with its account's credentials: the provider that
        placed the call once an attempt records which one did (`placed_by`), else the first of
        the kind in the chain (a callback can beat the worker's record of who took the call)."""
        for choice in self.every:
            adapter = callback_adapter(choice.provider)
            if adapter is None or choice.provider.name != kind:
                continue
            if placed_by is None or choice.identity == placed_by:
                return adapter
        return None

    def text_adapter(self, kind: str) -> TextAdapter | None:
        """What checks and answers texts delivered by a provider of `kind`: the first of the
        kind in the chain."""
        for choice in self.choices:
            adapter = text_adapter(choice.provider)
            if adapter is not None and choice.provider.name == kind:
                return adapter
        return None


class ProviderChoices(Protocol):
    def choices_for(
        self, session: Session, org_id: str, endpoint_caller_id: str | None = None
    ) -> ProviderChain: ...

    def platform_chain(self) -> ProviderChain: ...

    def account_choice(self, session: Session, account_id: str) -> ProviderChoice | None: ...

    def retired(self) -> list[Provider]: ...

    def built(self) -> list[Provider]: ...


def _without_mixing(choices: Sequence[ProviderChoice]) -> list[ProviderChoice]:
    """A simulator next to a real provider is dropped: its made-up outcome must never stand in
    for a call a real provider could place."""
    if any(not choice.simulated for choice in choices):
        return [choice for choice in choices if not choice.simulated]
    return list(choices)


class FixedProvider:
    """Every organization calls through one provider, as the platform's (tests and
    benchmarks)."""

    def __init__(self, provider: Provider, *, caller_id: str) -> None:
        self._chain = ProviderChain([ProviderChoice(None, provider, provider.name, caller_id)])

    def choices_for(
        self, session: Session, org_id: str, endpoint_caller_id: str | None = None
    ) -> ProviderChain:
        return self._chain

    def platform_chain(self) -> ProviderChain:
        return self._chain

    def account_choice(self, session: Session, account_id: str) -> ProviderChoice | None:
        return None

    def retired(self) -> list[Provider]:
        return []

    def built(self) -> list[Provider]:
        # The caller made the provider and closes it.
        return []


# Read before every call.
_ACCOUNTS = (
    select(ProviderAccount)
    .where(ProviderAccount.org_id == bindparam("org_id"))
    .order_by(ProviderAccount.priority)
)


class ProviderDirectory:
    def __init__(
        self,
        *,
        platform: Sequence[PlatformProvider],
        factory: ProviderFactory,
        box: SecretBox,
        context: BuildContext,
        platform_caller_id: str,
    ) -> None:
        """`platform_caller_id` is the platform's own number (TOCSIN_CALLER_ID), which its
        providers present unless the operator gave a SIP trunk a `caller_id` of its own."""
        self._factory = factory
        self._box = box
        self._context = context
        # The operator's providers may reach any host; organizations' accounts only those
        # the context's host policy allows.
        operator = replace(context, hosts=None)
        self._platform = [
            ProviderChoice(
                None,
                factory.build(spec.kind, spec.settings, spec.credentials, operator),
                spec.name,
                str(spec.settings.get("caller_id") or platform_caller_id),
            )
            for spec in platform
        ]
        # (organization, account, version) -> provider
        self._built: dict[tuple[str, str, str], Provider] = {}
        self._retired: list[Provider] = []
        self._lock = threading.Lock()

    def platform_chain(self) -> ProviderChain:
        """The platform's own providers, for messages that belong to no organization."""
        return ProviderChain(list(self._platform))

    @property
    def platform_providers(self) -> list[Provider]:
        return [choice.provider for choice in self._platform]

    def choices_for(
        self, session: Session, org_id: str, endpoint_caller_id: str | None = None
    ) -> ProviderChain:
        """The organization's chain of providers (see the module docstring);
        `endpoint_caller_id` is the caller ID chosen by the endpoint of the call, if any."""
        accounts = session.scalars(_ACCOUNTS, {"org_id": org_id}).all()
        self._retire_unused(org_id, {a.id for a in accounts if a.enabled})
        enabled = [account for account in accounts if account.enabled]
        shown = presented(session, enabled, endpoint_choice=endpoint_caller_id)
        own: list[ProviderChoice] = []
        passed_over: list[PassedOver] = []
        for account in enabled:
            try:
                provider = self._provider(account)
            except TocsinError as error:
                # Unreadable credentials (the secret key changed) or a configuration the code
                # no longer accepts: skip it, so the next account can still place the call.
                log.error("provider account %s cannot be used: %s", account.id, error.message)
                continue
            caller = shown[account.id]
            choice = ProviderChoice(account.id, provider, caller_id=caller.number or "")
            if caller.number is None:
                log.error("provider account %s passed over: %s", account.id, caller.problem)
                passed_over.append(PassedOver(choice, caller.problem or "no caller ID"))
            else:
                own.append(choice)
        real_platform = [choice for choice in self._platform if not choice.simulated]
        if own:
            if all(choice.simulated for choice in own):
                return ProviderChain(own, passed_over=passed_over)
            chain = _without_mixing([*own, *real_platform])
            return ProviderChain(chain, passed_over=passed_over)
        if accounts:
            return ProviderChain(
                real_platform, fallback=_fallback(accounts, passed_over), passed_over=passed_over
            )
        return ProviderChain(list(self._platform))

    def account_choice(self, session: Session, account_id: str) -> ProviderChoice | None:
        """One provider account, enabled or not: a number that an organization stopped using
        for calls still receives texts, and their STOPs must be honoured. None for no such
        account or one whose credentials cannot be read."""
        account = session.get(ProviderAccount, account_id)
        if account is None:
            return None
        try:
            return ProviderChoice(account.id, self._provider(account))
        except TocsinError as error:
            log.error("provider account %s cannot be used: %s", account.id, error.message)
            return None

    def retired(self) -> list[Provider]:
        """Providers replaced since the last call, for their owner to close; each is handed
        out once."""
        with self._lock:
            retired, self._retired = self._retired, []
        return retired

    def built(self) -> list[Provider]:
        """Every provider built so far, the platform's included, for closing at shutdown."""
        with self._lock:
            return [*self.platform_providers, *self._built.values(), *self._retired]

    def _retire_unused(self, org_id: str, enabled: set[str]) -> None:
        """Hand the providers of accounts that were disabled or deleted to `retired`."""
        with self._lock:
            for key in [k for k in self._built if k[0] == org_id and k[1] not in enabled]:
                self._retired.append(self._built.pop(key))

    def _provider(self, account: ProviderAccount) -> Provider:
        version = (account.org_id, account.id, account.updated_at.isoformat())
        with self._lock:
            provider = self._built.get(version)
            if provider is None:
                provider = self._factory.build(
                    account.kind,
                    account.settings,
                    self._box.open(account.sealed_credentials),
                    self._context,
                )
                for key in [k for k in self._built if k[1] == account.id]:
                    self._retired.append(self._built.pop(key))
                self._built[version] = provider
            return provider


def _fallback(accounts: Sequence[ProviderAccount], passed_over: Sequence[PassedOver]) -> str:
    """Why none of the organization's accounts takes the call."""
    if not any(account.enabled for account in accounts):
        return "every provider account of the organization is disabled"
    if passed_over:
        return (
            "no provider account of the organization has a proven caller ID chosen "
            f"({CALLER_ID_MISSING})"
        )
    return "no provider account of the organization can be used"
