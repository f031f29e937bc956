"""Issue 17, finding 14: a provider's settings and credentials are text that reaches SIP and
HTTP headers (a host, a user name, a token). A line break in any of them was saved and refused
only when a call built its first header. Now `ProviderFactory.check`, which saving an account
and starting the server run, refuses it and names the field; a PEM key may keep its lines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.telephony.rest.test_rest_builders import RSA_PEM, TELNYX_KEY
from tocsin.core.clock import ManualClock
from tocsin.telephony.factory import BuildContext, ProviderConfigError, ProviderFactory
from tocsin.telephony.rest.builders import register_rest_providers
from tocsin.telephony.setting_text import MAX_DEPTH
from tocsin.telephony.sip.builder import register_sip_provider

OPERATORS = BuildContext(
    clock=ManualClock(),
    data_dir=Path("/nonexistent"),
    public_base_url="https://t.example",
    hosts=None,
)
# A complete account of each kind, every string a value a header could carry.
COMPLETE: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "sip": (
        {
            "host": "sip.carrier.example",
            "transport": "tls",
            "from_domain": "calls.example",
            "caller_id": "+447400000001",
            "advertised_host": "203.0.113.5",
            "extra_headers": {"X-Customer": "ops"},
        },
        {"username": "tocsin", "password": "s3cret"},
    ),
    "twilio": ({"voice": "Polly.Amy"}, {"account_sid": "AC1", "auth_token": "t"}),
    "plivo": ({"voice": "WOMAN", "language": "en-GB"}, {"auth_id": "MA1", "auth_token": "t"}),
    "telnyx": ({"connection_id": "c1", "public_key": TELNYX_KEY}, {"api_key": "KEY1"}),
    "vonage": (
        {"language": "en-GB"},
        {
            "application_id": "app",
            "private_key": RSA_PEM,
            "signature_secret": "s",
            "api_key": "k",
            "api_secret": "secret",
        },
    ),
    "simulator": ({"outcome": "press:1", "numbers": {"+447400000009": "busy"}}, {"token": "t"}),
}
# Strings a header must never hold: each would end the line, or is no text at all.
BREAKS = ["\r\n", "\n", "\r", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\t"]


def factory() -> ProviderFactory:
    built = ProviderFactory()
    register_rest_providers(built)
    register_sip_provider(built)
    return built


def text_fields(kind: str) -> Iterator[tuple[str, str]]:
    """("settings" or "credentials", name) of each top-level string of the complete account."""
    settings, credentials = COMPLETE[kind]
    for part, values in (("settings", settings), ("credentials", credentials)):
        for name, value in values.items():
            if isinstance(value, str) and (kind, name) != ("vonage", "private_key"):
                yield part, name


CASES = [(kind, part, name) for kind in sorted(COMPLETE) for part, name in text_fields(kind)]


def with_value(kind: str, part: str, name: str, value: str) -> tuple[dict[str, Any], ...]:
    settings, credentials = (dict(values) for values in COMPLETE[kind])
    (settings if part == "settings" else credentials)[name] = value
    return settings, credentials


@pytest.mark.parametrize("kind", sorted(COMPLETE))
def test_complete_accounts_pass(kind: str) -> None:
    factory().check(kind, *COMPLETE[kind], OPERATORS)


@pytest.mark.parametrize(("kind", "part", "name"), CASES, ids=lambda v: str(v))
def test_a_line_break_in_any_string_is_refused_and_named(kind: str, part: str, name: str) -> None:
    original = COMPLETE[kind][0 if part == "settings" else 1][name]
    settings, credentials = with_value(kind, part, name, f"{original}\r\nX-Evil: 1")
    with pytest.raises(ProviderConfigError) as refused:
        factory().check(kind, settings, credentials, OPERATORS)
    assert refused.value.code == "control_character"
    assert refused.value.details == {"field": f"{part}.{name}"}
    assert f"{part}.{name}" in refused.value.message
    assert "\n" not in refused.value.message
    assert "X-Evil" not in refused.value.message


@pytest.mark.parametrize("bad", BREAKS, ids=repr)
def test_every_control_character_and_unicode_line_break_is_refused(bad: str) -> None:
    settings, credentials = with_value("sip", "credentials", "password", f"pass{bad}word")
    with pytest.raises(ProviderConfigError, match=r"credentials\.password"):
        factory().check("sip", settings, credentials, OPERATORS)


def test_keys_and_nested_values_are_checked_too() -> None:
    settings, credentials = COMPLETE["simulator"]
    nested = {**settings, "numbers": {"+447400000009\n": "busy"}}
    with pytest.raises(ProviderConfigError) as refused:
        factory().check("simulator", nested, credentials, OPERATORS)
    assert refused.value.details == {"field": "settings.numbers"}
    with pytest.raises(ProviderConfigError, match=r"credentials\.token"):
        factory().check("simulator", settings, {"token": ["a", "b\r\n"]}, OPERATORS)


def test_a_pem_key_keeps_its_lines_but_nothing_else() -> None:
    settings, credentials = COMPLETE["vonage"]
    assert "\n" in credentials["private_key"]
    factory().check("vonage", settings, credentials, OPERATORS)
    with_crlf = {**credentials, "private_key": credentials["private_key"].replace("\n", "\r\n")}
    factory().check("vonage", settings, with_crlf, OPERATORS)
    with_nul = {**credentials, "private_key": credentials["private_key"] + "\x00"}
    with pytest.raises(ProviderConfigError, match=r"credentials\.private_key"):
        factory().check("vonage", settings, with_nul, OPERATORS)
    # Only Vonage's key may: a `private_key` of another kind is one line like any other.
    with pytest.raises(ProviderConfigError, match=r"credentials\.private_key"):
        factory().check(
            "twilio", *with_value("twilio", "credentials", "private_key", "a\nb"), OPERATORS
        )


def test_an_extra_header_keeps_its_own_refusal() -> None:
    """SIP's header rule (printable ASCII, X- names) is stricter and has its own code."""
    settings, credentials = COMPLETE["sip"]
    broken = {**settings, "extra_headers": {"X-Ok": "a\r\nP-Asserted-Identity: <sip:1@x>"}}
    with pytest.raises(ProviderConfigError) as refused:
        factory().check("sip", broken, credentials, OPERATORS)
    assert refused.value.code == "sip_header_not_allowed"


def test_values_nested_without_end_are_refused_rather_than_walked() -> None:
    settings, credentials = COMPLETE["simulator"]
    deep: Any = "x"
    for _ in range(MAX_DEPTH + 1):
        deep = {"k": deep}
    with pytest.raises(ProviderConfigError) as refused:
        factory().check("simulator", {**settings, "extra": deep}, credentials, OPERATORS)
    assert refused.value.details == {"field": "settings.extra"}
