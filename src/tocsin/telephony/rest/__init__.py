"""Telephony through providers' REST APIs: Twilio, Plivo, Telnyx Call Control, Vonage Voice.

Each provider places the call with one HTTP request and then learns what happens from signed
callbacks to `/v1/telephony/{provider}/...` (see `tocsin.http.callbacks`). The callback
routes ask `app.state.rest_providers` (any `paging.callback_providers.CallbackProviders`:
`RestProviders` for server-wide credentials; by default the organizations' provider accounts)
which provider, and so which credentials, check a callback. `builders.register_rest_providers`
adds the four kinds to a `ProviderFactory` for provider accounts. Every provider must be built
with the same `public_base_url` as `Settings.public_base_url`, because signatures cover the URL
the provider was given.
"""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.telephony.rest.plivo import PlivoConfig, PlivoProvider
from tocsin.telephony.rest.telnyx import TelnyxConfig, TelnyxProvider
from tocsin.telephony.rest.twilio import TwilioConfig, TwilioProvider
from tocsin.telephony.rest.vonage import VonageConfig, VonageProvider

RestProvider = TwilioProvider | PlivoProvider | TelnyxProvider | VonageProvider


@dataclass(frozen=True)
class RestProviders:
    """The REST providers this deployment has credentials for; None means not configured, and
    callbacks for it are refused."""

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

    def provider_for(
        self, session: object, kind: str, idempotency_key: str | None
    ) -> RestProvider | None:
        """Server-wide credentials: the same provider for every attempt of a kind."""
        return self.get(kind)


__all__ = [
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
]
