"""Building REST providers from a provider account's settings and (sealed) credentials.

`register_rest_providers(factory)` adds the kinds twilio, plivo, telnyx and vonage to a
ProviderFactory. Identifiers and options go in settings; secrets go in credentials:

    twilio  credentials: account_sid, auth_token
            settings:    voice, api_base_url
    plivo   credentials: auth_id, auth_token
            settings:    voice, language, api_base_url
    telnyx  credentials: api_key
            settings:    connection_id, public_key (base64 Ed25519 from the portal), voice,
                         language, api_base_url
    vonage  credentials: application_id, private_key (PEM), signature_secret; api_key and
                         api_secret (optional: only to check which numbers the account owns)
            settings:    language, api_base_url, numbers_api_base_url

Every builder checks what it is given without network access and raises ProviderConfigError
naming the field at fault. For an organization's account (a context with a host policy), the
provider sends every request through `hosts.PublicHostsTransport`, and saving the account
checks that api_base_url is https and its host resolves only to public addresses.

`unofficial_api_hosts` says which of an account's API hosts are not its provider's own (nor on
the operator's allowlist): only the provider's own API can vouch that the account owns a number.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from tocsin.telephony.base import Provider
from tocsin.telephony.factory import BuildContext, ProviderConfigError, ProviderFactory, TextRules
from tocsin.telephony.hosts import HostPolicy, PublicHostsTransport
from tocsin.telephony.rest.plivo import PlivoConfig, PlivoProvider
from tocsin.telephony.rest.telnyx import TelnyxConfig, TelnyxProvider
from tocsin.telephony.rest.twilio import TwilioConfig, TwilioProvider
from tocsin.telephony.rest.vonage import VonageConfig, VonageProvider


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


# Each provider's own API hosts: the default base URLs of its config.
OFFICIAL_API_HOSTS: Mapping[str, frozenset[str]] = {
    "twilio": frozenset({_host(TwilioConfig.api_base_url)}),
    "plivo": frozenset({_host(PlivoConfig.api_base_url)}),
    "telnyx": frozenset({_host(TelnyxConfig.api_base_url)}),
    "vonage": frozenset(
        {_host(VonageConfig.api_base_url), _host(VonageConfig.numbers_api_base_url)}
    ),
}


def unofficial_api_hosts(
    kind: str, settings: Mapping[str, Any], hosts: HostPolicy | None
) -> list[str]:
    """The hosts the account's settings send API requests to that are neither the provider's
    own API hosts nor on the operator's allowlist (`hosts`); an unset URL is the official one."""
    official = OFFICIAL_API_HOSTS.get(kind, frozenset())
    found = []
    for name in ("api_base_url", "numbers_api_base_url"):
        url = settings.get(name)
        if not isinstance(url, str) or not url.strip():
            continue
        host = _host(url.strip())
        if host not in official and not (hosts is not None and hosts.on_allowlist(host)):
            found.append(host)
    return found


def _text(kind: str, where: str, values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ProviderConfigError(f"{kind} {where}: {name} is required")
    return value.strip()


def _optional(kind: str, credentials: Mapping[str, Any], name: str) -> str | None:
    if name not in credentials:
        return None
    return _text(kind, "credentials", credentials, name)


def _options(kind: str, settings: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Optional string settings; api_base_url must be an http(s) URL."""
    options: dict[str, Any] = {}
    for name in names:
        if name not in settings:
            continue
        options[name] = _text(kind, "settings", settings, name)
    for name in ("api_base_url", "numbers_api_base_url"):
        url = options.get(name)
        if url is not None and not url.startswith(("https://", "http://")):
            raise ProviderConfigError(f"{kind} settings: {name} must be an http(s) URL")
    return options


def _transport(context: BuildContext) -> PublicHostsTransport | None:
    """An organization's account reaches only the hosts its policy allows."""
    return PublicHostsTransport(context.hosts) if context.hosts is not None else None


def check_api_base_url(settings: Mapping[str, Any], context: BuildContext) -> None:
    """Before an organization's account is saved: api_base_url, if set, is https on a host
    that resolves only to public addresses (or is on the operator's allowlist)."""
    url = settings.get("api_base_url")
    if context.hosts is not None and url is not None:
        context.hosts.check_url(str(url).strip(), what="settings: api_base_url")


def build_twilio(
    settings: Mapping[str, Any], credentials: Mapping[str, Any], context: BuildContext
) -> Provider:
    config = TwilioConfig(
        account_sid=_text("twilio", "credentials", credentials, "account_sid"),
        auth_token=_text("twilio", "credentials", credentials, "auth_token"),
        **_options("twilio", settings, ("voice", "api_base_url")),
    )
    return TwilioProvider(
        config, public_base_url=context.public_base_url, transport=_transport(context)
    )


def build_plivo(
    settings: Mapping[str, Any], credentials: Mapping[str, Any], context: BuildContext
) -> Provider:
    config = PlivoConfig(
        auth_id=_text("plivo", "credentials", credentials, "auth_id"),
        auth_token=_text("plivo", "credentials", credentials, "auth_token"),
        **_options("plivo", settings, ("voice", "language", "api_base_url")),
    )
    return PlivoProvider(
        config, public_base_url=context.public_base_url, transport=_transport(context)
    )


def build_telnyx(
    settings: Mapping[str, Any], credentials: Mapping[str, Any], context: BuildContext
) -> Provider:
    public_key = _text("telnyx", "settings", settings, "public_key")
    try:
        raw = base64.b64decode(public_key, validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) != 32:
        raise ProviderConfigError("telnyx settings: public_key is not a base64 Ed25519 key")
    config = TelnyxConfig(
        api_key=_text("telnyx", "credentials", credentials, "api_key"),
        connection_id=_text("telnyx", "settings", settings, "connection_id"),
        public_key=public_key,
        **_options("telnyx", settings, ("voice", "language", "api_base_url")),
    )
    return TelnyxProvider(
        config, public_base_url=context.public_base_url, transport=_transport(context)
    )


def build_vonage(
    settings: Mapping[str, Any], credentials: Mapping[str, Any], context: BuildContext
) -> Provider:
    private_key = _text("vonage", "credentials", credentials, "private_key")
    try:
        key = load_pem_private_key(private_key.encode(), password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, RSAPrivateKey):
        raise ProviderConfigError("vonage credentials: private_key is not an RSA PEM key")
    config = VonageConfig(
        application_id=_text("vonage", "credentials", credentials, "application_id"),
        private_key_pem=private_key,
        signature_secret=_text("vonage", "credentials", credentials, "signature_secret"),
        api_key=_optional("vonage", credentials, "api_key"),
        api_secret=_optional("vonage", credentials, "api_secret"),
        **_options("vonage", settings, ("language", "api_base_url", "numbers_api_base_url")),
    )
    return VonageProvider(
        config,
        public_base_url=context.public_base_url,
        clock=context.clock,
        transport=_transport(context),
    )


def register_rest_providers(factory: ProviderFactory) -> None:
    factory.register("twilio", build_twilio, check_api_base_url)
    factory.register("plivo", build_plivo, check_api_base_url)
    factory.register("telnyx", build_telnyx, check_api_base_url)
    # A PEM key is lines of base64; it only signs tokens and never reaches a header itself.
    pem = TextRules(multiline=frozenset({"credentials.private_key"}))
    factory.register("vonage", build_vonage, check_api_base_url, pem)
