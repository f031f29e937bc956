"""Telephony through providers' REST APIs: Twilio, Plivo, Telnyx Call Control, Vonage Voice.

Each provider places the call with one HTTP request and then learns what happens from signed
callbacks to `/v1/telephony/{kind}/{hook}`, which its own `CallbackAdapter` (`provider.callbacks`,
next to its code) verifies, reads and answers; `tocsin.http.callbacks` serves them all through
one route, and `CALLBACK_KINDS` tells it which kinds and routes exist. Which account's
credentials check a callback is found by `tocsin.paging.callback_providers` (or, for
server-wide credentials, `RestProviders`). `builders.register_rest_providers` adds the four kinds
to a `ProviderFactory` for provider accounts. Every provider must be built with the same
`public_base_url` as `Settings.public_base_url`, because signatures cover the URL the provider
was given.
"""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.telephony.callbacks import CallbackAdapter, CallbackKind
from tocsin.telephony.inbound import ACCOUNT_PARAMETER, INBOUND_ROUTE, TextAdapter
from tocsin.telephony.rest import plivo, telnyx, twilio, vonage
from tocsin.telephony.rest.plivo import PlivoConfig, PlivoProvider
from tocsin.telephony.rest.telnyx import TelnyxConfig, TelnyxProvider
from tocsin.telephony.rest.twilio import TwilioConfig, TwilioProvider
from tocsin.telephony.rest.urls import callback_url
from tocsin.telephony.rest.vonage import VonageConfig, VonageProvider

SIMULATOR = "simulator"

RestProvider = TwilioProvider | PlivoProvider | TelnyxProvider | VonageProvider

CALLBACK_KINDS: dict[str, CallbackKind] = {
    kind.name: kind
    for kind in (twilio.CALLBACKS, plivo.CALLBACKS, telnyx.CALLBACKS, vonage.CALLBACKS)
}
# The kinds whose texts reach `/v1/telephony/{kind}/sms`: every REST provider, and the simulator
# in a format of its own (telephony/simulator_texts.py).
TEXT_KINDS = frozenset({*CALLBACK_KINDS, SIMULATOR})


def inbound_text_url(public_base_url: str, kind: str, account_id: str | None = None) -> str | None:
    """Where a provider of `kind` must deliver the texts sent to the numbers of the provider
    account `account_id` (of the platform's provider, without one); None for a kind that
    delivers none."""
    if kind not in TEXT_KINDS:
        return None
    query = {ACCOUNT_PARAMETER: account_id} if account_id else {}
    return callback_url(public_base_url, kind, INBOUND_ROUTE, **query)


@dataclass(frozen=True)
class RestProviders:
    """Server-wide credentials: one provider of each kind checks every callback of its kind;
    None means not configured, and callbacks for it are not found."""

    twilio: TwilioProvider | None = None
    plivo: PlivoProvider | None = None
    telnyx: TelnyxProvider | None = None
    vonage: VonageProvider | None = None

    def get(self, name: str) -> RestProvider | None:
        providers: dict[str, RestProvider | None] = {
            "twilio": self.twilio,
            "plivo": self.plivo,
            "telnyx": self.telnyx,
            "vonage": self.vonage,
        }
        return providers.get(name)

    def adapter_for(
        self, session: object, kind: str, idempotency_key: str | None
    ) -> CallbackAdapter | None:
        """The same adapter for every call of a kind, whatever the session and key."""
        provider = self.get(kind)
        return provider.callbacks if provider is not None else None

    def text_adapter_for(
        self, session: object, kind: str, account_id: str | None
    ) -> TextAdapter | None:
        """The same adapter for every text of a kind, whichever account it names."""
        provider = self.get(kind)
        return provider.inbound_texts if provider is not None else None


__all__ = [
    "CALLBACK_KINDS",
    "TEXT_KINDS",
    "PlivoConfig",
    "PlivoProvider",
    "RestProvider",
    "RestProviders",
    "TelnyxConfig",
    "TelnyxProvider",
    "TwilioConfig",
    "TwilioProvider",
    "VonageConfig",
    "VonageProvider",
    "inbound_text_url",
]
