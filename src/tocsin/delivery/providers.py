"""Which providers place an organization's calls, in the order to try them.

An organization without provider accounts uses the server's default provider (the simulator
unless configured otherwise). Credentials are opened only here, just before a provider is built,
and built providers are cached until their row changes.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.delivery.models import ProviderAccount
from tocsin.errors import TocsinError
from tocsin.secretbox import SecretBox
from tocsin.telephony.base import Provider
from tocsin.telephony.factory import BuildContext, ProviderFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProviderChoice:
    account_id: str | None  # None: the server's default provider
    provider: Provider


class ProviderChoices(Protocol):
    default: ProviderChoice

    def choices_for(self, session: Session, org_id: str) -> list[ProviderChoice]: ...


class FixedProvider:
    """Every organization calls through one provider (tests, and servers without accounts)."""

    def __init__(self, provider: Provider) -> None:
        self.default = ProviderChoice(None, provider)
        self._choices = [self.default]

    def choices_for(self, session: Session, org_id: str) -> list[ProviderChoice]:
        return self._choices


class ProviderDirectory:
    def __init__(
        self,
        *,
        default: Provider,
        factory: ProviderFactory,
        box: SecretBox,
        context: BuildContext,
    ) -> None:
        self.default = ProviderChoice(None, default)
        self._factory = factory
        self._box = box
        self._context = context
        self._built: dict[tuple[str, str], Provider] = {}
        self._lock = threading.Lock()

    def choices_for(self, session: Session, org_id: str) -> list[ProviderChoice]:
        """The organization's enabled providers by priority, or the server default."""
        accounts = session.scalars(
            select(ProviderAccount)
            .where(ProviderAccount.org_id == org_id, ProviderAccount.enabled.is_(True))
            .order_by(ProviderAccount.priority)
        ).all()
        if not accounts:
            return [self.default]
        choices = []
        for account in accounts:
            try:
                choices.append(ProviderChoice(account.id, self._provider(account)))
            except TocsinError as error:
                # Unreadable credentials (the secret key changed) or a configuration the code
                # no longer accepts: skip it, so the next account can still place the call.
                log.error("provider account %s cannot be used: %s", account.id, error.message)
        return choices

    def _provider(self, account: ProviderAccount) -> Provider:
        version = (account.id, account.updated_at.isoformat())
        with self._lock:
            provider = self._built.get(version)
            if provider is None:
                provider = self._factory.build(
                    account.kind,
                    account.settings,
                    self._box.open(account.sealed_credentials),
                    self._context,
                )
                self._built = {
                    key: value for key, value in self._built.items() if key[0] != account.id
                }
                self._built[version] = provider
            return provider
