"""Provider accounts of the REST kinds: complete ones build, incomplete ones say what is wrong."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tocsin.core.clock import ManualClock
from tocsin.telephony.factory import BuildContext, ProviderConfigError, ProviderFactory
from tocsin.telephony.rest import PlivoProvider, TelnyxProvider, TwilioProvider, VonageProvider
from tocsin.telephony.rest.builders import register_rest_providers

CONTEXT = BuildContext(
    clock=ManualClock(),
    data_dir=Path("/nonexistent"),
    public_base_url="https://t.example",
    hosts=None,
)
TELNYX_KEY = base64.b64encode(
    Ed25519PrivateKey.generate()
    .public_key()
    .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
).decode()
RSA_PEM = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    .decode()
)
COMPLETE: dict[str, tuple[dict[str, Any], dict[str, Any], type]] = {
    "twilio": ({"voice": "Polly.Amy"}, {"account_sid": "AC1", "auth_token": "t"}, TwilioProvider),
    "plivo": ({}, {"auth_id": "MA1", "auth_token": "t"}, PlivoProvider),
    "telnyx": (
        {"connection_id": "c1", "public_key": TELNYX_KEY},
        {"api_key": "KEY1"},
        TelnyxProvider,
    ),
    "vonage": (
        {"api_base_url": "https://api-eu.vonage.com"},
        {"application_id": "app", "private_key": RSA_PEM, "signature_secret": "s"},
        VonageProvider,
    ),
}


def factory() -> ProviderFactory:
    built = ProviderFactory()
    register_rest_providers(built)
    return built


@pytest.mark.parametrize("kind", sorted(COMPLETE))
def test_a_complete_account_builds_its_provider(kind: str) -> None:
    settings, credentials, expected = COMPLETE[kind]
    provider = factory().build(kind, settings, credentials, CONTEXT)
    assert isinstance(provider, expected)
    assert provider.name == kind


@pytest.mark.parametrize("kind", sorted(COMPLETE))
def test_each_missing_credential_is_named(kind: str) -> None:
    settings, credentials, _ = COMPLETE[kind]
    for name in credentials:
        incomplete = {k: v for k, v in credentials.items() if k != name}
        with pytest.raises(ProviderConfigError, match=name):
            factory().build(kind, settings, incomplete, CONTEXT)


@pytest.mark.parametrize(
    ("kind", "settings", "credentials", "message"),
    [
        ("telnyx", {"connection_id": "c", "public_key": "bm90IGtleQ=="}, {"api_key": "k"},
         "public_key"),
        ("vonage", {}, {"application_id": "a", "private_key": "x", "signature_secret": "s"},
         "private_key"),
        ("twilio", {"api_base_url": "ftp://x"}, {"account_sid": "a", "auth_token": "t"},
         "api_base_url"),
    ],
)  # fmt: skip
def test_malformed_keys_and_urls_are_refused(
    kind: str, settings: dict[str, Any], credentials: dict[str, Any], message: str
) -> None:
    with pytest.raises(ProviderConfigError, match=message):
        factory().build(kind, settings, credentials, CONTEXT)
