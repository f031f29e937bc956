"""A call through each REST provider speaks the organization's language: the words are the
language's, and the provider is told the language (Twilio `<Say language>`, Plivo `<Speak
language>`, Telnyx speak `language`, Vonage talk `language`) with a voice that speaks it, which
the provider fakes check as the providers would (tests/telephony/rest/fakes.py). A language the
provider's voices do not speak (Ukrainian on Plivo) is said in English rather than mispronounced.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import seeded
from tests.factories import ok
from tests.telephony.rest.fakes import (
    FakePlivo,
    FakeTelnyx,
    FakeTwilio,
    FakeVonage,
    check_plivo_speak,
    check_twilio_say,
    parse_xml,
    telnyx_speech_refusal,
)
from tocsin.core.clock import ManualClock
from tocsin.engine.settings import WorkerSettings
from tocsin.engine.worker import Worker
from tocsin.paging.models import Alert
from tocsin.runtime import Runtime
from tocsin.telephony.base import Provider
from tocsin.telephony.prompts import CATALOGUE, LANGUAGES
from tocsin.telephony.rest import (
    PlivoConfig,
    PlivoProvider,
    RestProviders,
    TelnyxConfig,
    TelnyxProvider,
    TwilioConfig,
    TwilioProvider,
    VonageConfig,
    VonageProvider,
)

PHONE = "+447400123456"
TITLE = "Disk full on db1"


def _dial_in(
    client: TestClient, runtime: Runtime, clock: ManualClock, provider: Provider, language: str
) -> str:
    """An organization speaking `language` fires an alert, which a worker dials through
    `provider`; returns the alert id."""
    tenant = seeded.tenant(runtime, phone=PHONE)
    url = f"/v1/orgs/{tenant.org_id}"
    ok(client.patch(url, json={"language": language}, headers=tenant.auth))
    body = ok(
        client.post(
            f"/v1/hooks/{tenant.endpoint_id}",
            headers=tenant.alert_key,
            json={"title": TITLE, "severity": "critical"},
        ),
        202,
    )
    settings = WorkerSettings(lease=timedelta(seconds=60), caller_id="+447400000001")
    worker = Worker(runtime.database, provider, clock=clock, settings=settings, worker_id="w1")
    assert asyncio.run(worker.run_until_idle()) == 1
    alert_id: str = body["alert_id"]
    return alert_id


def _acknowledged(runtime: Runtime, alert_id: str) -> bool:
    with runtime.database.read() as session:
        alert = session.get(Alert, alert_id)
        return alert is not None and alert.status == "acknowledged"


def _said(document: str, element: str) -> tuple[str, dict[str, str]]:
    [said] = parse_xml(document).iter(element)
    return said.text or "", dict(said.attrib)


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    fake = FakeTwilio("AC" + "1" * 32, "twilio-auth-token")
    with fake.running():
        yield fake


@pytest.mark.parametrize("code", LANGUAGES)
def test_twilio_says_the_prompts_in_the_language_with_a_voice_that_speaks_it(
    client: TestClient, runtime: Runtime, clock: ManualClock, twilio_api: FakeTwilio, code: str
) -> None:
    config = TwilioConfig(
        twilio_api.account_sid, twilio_api.auth_token, api_base_url=twilio_api.url
    )
    provider = TwilioProvider(config, public_base_url=runtime.settings.public_base_url)
    client.app.state.rest_providers = RestProviders(twilio=provider)  # type: ignore[attr-defined]
    alert_id = _dial_in(client, runtime, clock, provider, code)
    words = CATALOGUE[code]

    phone = twilio_api.phone(client)
    text, attributes = _said(phone.answer(), "Say")
    # The alert as its template writes it, then the menu in the language.
    assert TITLE in text
    assert text.endswith(words.menu)
    expected = {"voice": "alice"} if code == "en" else {"language": words.locale}
    assert expected.items() <= attributes.items()
    if code == "uk":
        assert attributes["voice"] == "Google.uk-UA-Standard-A"
    confirmed = phone.press("1")
    assert _said(confirmed.text, "Say")[0] == words.acknowledged
    assert _acknowledged(runtime, alert_id)


@pytest.fixture
def plivo_api() -> Iterator[FakePlivo]:
    fake = FakePlivo("MAFAKEAUTHID0000", "plivo-auth-token")
    with fake.running():
        yield fake


@pytest.mark.parametrize("code", LANGUAGES)
def test_plivo_speaks_the_prompts_in_the_language_or_english_when_it_has_no_voice_for_it(
    client: TestClient, runtime: Runtime, clock: ManualClock, plivo_api: FakePlivo, code: str
) -> None:
    config = PlivoConfig(plivo_api.auth_id, plivo_api.auth_token, api_base_url=plivo_api.url)
    provider = PlivoProvider(config, public_base_url=runtime.settings.public_base_url)
    client.app.state.rest_providers = RestProviders(plivo=provider)  # type: ignore[attr-defined]
    alert_id = _dial_in(client, runtime, clock, provider, code)
    # Plivo's voices have no Ukrainian.
    words = CATALOGUE["en" if code == "uk" else code]

    phone = plivo_api.phone(client)
    text, attributes = _said(phone.answer(), "Speak")
    assert TITLE in text
    assert text.endswith(words.menu)
    assert attributes == {"voice": "WOMAN", "language": words.locale}
    confirmed = phone.press("1")
    assert _said(confirmed.text, "Speak") == (
        words.acknowledged,
        {"voice": "WOMAN", "language": words.locale},
    )
    assert _acknowledged(runtime, alert_id)


def test_plivos_configured_language_speaks_its_own_language_only(
    client: TestClient, runtime: Runtime, clock: ManualClock, plivo_api: FakePlivo
) -> None:
    config = PlivoConfig(
        plivo_api.auth_id, plivo_api.auth_token, api_base_url=plivo_api.url, language="pt-BR"
    )
    provider = PlivoProvider(config, public_base_url=runtime.settings.public_base_url)
    client.app.state.rest_providers = RestProviders(plivo=provider)  # type: ignore[attr-defined]
    _dial_in(client, runtime, clock, provider, "pt")
    _, attributes = _said(plivo_api.phone(client).answer(), "Speak")
    assert attributes["language"] == "pt-BR"


@pytest.fixture
def telnyx_api() -> Iterator[FakeTelnyx]:
    fake = FakeTelnyx("KEYtelnyx-api-key")
    with fake.running():
        yield fake


@pytest.mark.parametrize("code", LANGUAGES)
def test_telnyx_is_told_the_language_of_each_command(
    client: TestClient, runtime: Runtime, clock: ManualClock, telnyx_api: FakeTelnyx, code: str
) -> None:
    config = TelnyxConfig(
        api_key=telnyx_api.api_key,
        connection_id="1494404757140276705",
        public_key=telnyx_api.public_key,
        api_base_url=telnyx_api.url,
    )
    provider = TelnyxProvider(config, public_base_url=runtime.settings.public_base_url)
    client.app.state.rest_providers = RestProviders(telnyx=provider)  # type: ignore[attr-defined]
    alert_id = _dial_in(client, runtime, clock, provider, code)
    words = CATALOGUE[code]
    speech: dict[str, Any] = (
        {"voice": "Azure.uk-UA-PolinaNeural"}
        if code == "uk"
        else {"voice": "female", "language": words.locale}
    )

    phone = telnyx_api.phone(client, clock)
    assert phone.send("call.answered").status_code == 204
    # The fake refuses a voice and language Telnyx has no speech for, as Telnyx does.
    [(action, gather)] = telnyx_api.commands
    assert action == "gather_using_speak"
    assert gather["payload"].endswith(words.menu)
    assert speech.items() <= gather.items()
    assert ("language" in gather) is (code != "uk")
    assert phone.press("1").status_code == 204
    action, speak = telnyx_api.commands[-1]
    assert (action, speak["payload"]) == ("speak", words.acknowledged)
    assert speech.items() <= speak.items()
    assert _acknowledged(runtime, alert_id)


@pytest.fixture
def vonage_api() -> Iterator[FakeVonage]:
    fake = FakeVonage(
        "aaaaaaaa-bbbb-cccc-dddd-0123456789ab", "vonage-signature-secret-0123456789abcdef"
    )
    with fake.running():
        yield fake


@pytest.mark.parametrize("code", LANGUAGES)
def test_vonage_talks_in_the_language(
    client: TestClient, runtime: Runtime, clock: ManualClock, vonage_api: FakeVonage, code: str
) -> None:
    config = VonageConfig(
        application_id=vonage_api.application_id,
        private_key_pem=vonage_api.private_key_pem,
        signature_secret=vonage_api.signature_secret,
        api_base_url=vonage_api.url,
    )
    provider = VonageProvider(config, public_base_url=runtime.settings.public_base_url, clock=clock)
    client.app.state.rest_providers = RestProviders(vonage=provider)  # type: ignore[attr-defined]
    alert_id = _dial_in(client, runtime, clock, provider, code)
    words = CATALOGUE[code]

    phone = vonage_api.phone(client, clock)
    talk, _ = phone.answer()
    assert talk["text"].endswith(words.menu)
    assert talk["language"] == words.locale
    assert phone.press("1").json() == [
        {"action": "talk", "text": words.acknowledged, "language": words.locale, "style": 0}
    ]
    assert _acknowledged(runtime, alert_id)


def test_the_fakes_refuse_speech_their_provider_has_no_voice_for() -> None:
    """What the tests above lean on: a wrong voice or language fails in the fakes."""
    with pytest.raises(AssertionError):
        check_plivo_speak('<Response><Speak voice="WOMAN" language="uk-UA">x</Speak></Response>')
    with pytest.raises(AssertionError):
        check_twilio_say('<Response><Say voice="alice" language="uk-UA">x</Say></Response>')
    with pytest.raises(AssertionError):
        check_twilio_say('<Response><Say voice="man" language="es-ES">x</Say></Response>')
    assert telnyx_speech_refusal({"voice": "female", "language": "uk-UA"}) is not None
    assert telnyx_speech_refusal({"voice": "female", "language": "es-ES"}) is None
