"""Which provider account checks a callback: found before the callback is verified, by reading.

A callback names its call by the idempotency key Tocsin gave the provider. For an attempt, the
organization's chain of providers says which accounts may have placed it; once the worker has
recorded the provider's call id, only the account that placed the call checks it
(`ProviderChain.callback_adapter`). A number-verification call has no attempt: the first account
of the callback's kind in the chain of the organization that sent the code checks it (the
platform's, for a public opt-out's code and for a code that proves a caller ID). A test call has
none either: the one account it went through when it names one (the dashboard's test of an
account), else the first of the kind in its organization's chain (the platform's without one).

A text sent to one of Tocsin's numbers names no call: its webhook URL names the organization's
provider account it arrived for (`?account=`), or nothing for the platform's own provider, and
that account's credentials check it (`text_adapter_for`).
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from tocsin.numbers.verification import Purpose
from tocsin.numbers.verification_calls import verification_for
from tocsin.paging.attempts import attempt_for_key
from tocsin.providers.choice import ProviderChain, ProviderChoices
from tocsin.providers.models import ProviderTestCall
from tocsin.providers.test_call_answers import placed_test_call
from tocsin.telephony.callbacks import CallbackAdapter, callback_adapter
from tocsin.telephony.inbound import TextAdapter, text_adapter


class CallbackProviders(Protocol):
    def adapter_for(
        self, session: Session, kind: str, idempotency_key: str | None
    ) -> CallbackAdapter | None:
        """The adapter, with the credentials that check it, for a callback of `kind` about the
        call with this key; None when no provider of that kind could have placed the call.
        `session` is a read transaction."""
        ...

    def text_adapter_for(
        self, session: Session, kind: str, account_id: str | None
    ) -> TextAdapter | None:
        """The adapter, with the credentials that check it, for a text delivered by a provider
        of `kind` for this provider account (None: the platform's); None when there is none."""
        ...


class AccountCallbackProviders:
    """Callback credentials from the organizations' provider accounts (and the platform's
    providers), through one directory and its cache of built providers."""

    def __init__(self, directory: ProviderChoices) -> None:
        self._directory = directory

    def adapter_for(
        self, session: Session, kind: str, idempotency_key: str | None
    ) -> CallbackAdapter | None:
        if idempotency_key is None:
            return None
        attempt = attempt_for_key(session, idempotency_key)
        if attempt is not None:
            chain = self._directory.choices_for(session, attempt.org_id)
            placed_by = attempt.placed_by if attempt.provider_call_id else None
            return chain.callback_adapter(kind, placed_by)
        test_call = placed_test_call(session, idempotency_key)
        if test_call is not None:
            return self._test_call_adapter(session, kind, test_call)
        sent_code = self._verification_chain(session, idempotency_key)
        return sent_code.callback_adapter(kind, None) if sent_code is not None else None

    def text_adapter_for(
        self, session: Session, kind: str, account_id: str | None
    ) -> TextAdapter | None:
        if account_id is None:
            return self._directory.platform_chain().text_adapter(kind)
        choice = self._directory.account_choice(session, account_id)
        if choice is None or choice.provider.name != kind:
            return None
        return text_adapter(choice.provider)

    def _test_call_adapter(
        self, session: Session, kind: str, test_call: ProviderTestCall
    ) -> CallbackAdapter | None:
        if test_call.account_id is not None:
            choice = self._directory.account_choice(session, test_call.account_id)
            if choice is None or choice.provider.name != kind:
                return None
            return callback_adapter(choice.provider)
        if test_call.org_id is None:
            return self._directory.platform_chain().callback_adapter(kind, None)
        return self._directory.choices_for(session, test_call.org_id).callback_adapter(kind, None)

    def _verification_chain(self, session: Session, key: str) -> ProviderChain | None:
        verification = verification_for(session, key)
        if verification is None:
            return None
        if verification.org_id is None or verification.purpose == Purpose.CALLER_ID:
            # A public opt-out's code, and a caller ID's, go through the platform's providers.
            return self._directory.platform_chain()
        return self._directory.choices_for(session, verification.org_id)
