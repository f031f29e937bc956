"""A test call through a REST provider says the test sentence: the provider asks Tocsin what to
say once the callee answers, in a signed callback naming the test call's key (`test/<id>`), and
hears the sentence in the call's language, with the language (and voice) the provider is told
for an alert's call, then the keypad menu; a key is answered as on an alert's call and changes
nothing. Unknown, forged and day-old callbacks are refused as for an alert's call."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests import rows, seeded
from tests.factories import make_tenant, ok
from tests.telephony.rest.fakes import FakePlivo, FakeTelnyx, FakeTwilio, FakeVonage, parse_xml
from tocsin.audit.log import SYSTEM
from tocsin.audit.models import AuditEvent
from tocsin.core.clock import ManualClock
from tocsin.organizations.provider_tests import prepare_account_test
from tocsin.paging.models import CallAttempt
from tocsin.providers.choice import FixedProvider
from tocsin.providers.models import ProviderTestCall
from tocsin.providers.test_call_answers import purge_test_calls
from tocsin.providers.test_calls import PreparedCall, prepare_test_call
from tocsin.runtime import Runtime
from tocsin.telephony.base import CallRequest, Provider
from tocsin.telephony.prompts import CATALOGUE
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
CALLER_ID = "+447400000001"


def _dial(prepared: PreparedCall) -> None:
    choice = prepared.choices[0]
    asyncio.run(choice.provider.dial(prepared.request_through(choice)))


def _test_call(
    runtime: Runtime,
    *,
    org_id: str | None,
    provider: Provider | None = None,
    language: str | None = None,
) -> PreparedCall:
    """`tocsin call test` (with `--org` when `org_id`): prepared, then dialled through the first
    provider, `provider` when given (every organization's and the platform's)."""
    providers = (
        FixedProvider(provider, caller_id=CALLER_ID)
        if provider is not None
        else runtime.provider_directory()
    )
    with runtime.database.write() as session:
        prepared = prepare_test_call(
            session,
            org_id=org_id,
            to=PHONE,
            region=None,
            providers=providers,
            settings=runtime.settings,
            actor=SYSTEM,
            now=runtime.clock.now(),
            language=language,
        )
    _dial(prepared)
    return prepared


def _audit_events(runtime: Runtime) -> int:
    with runtime.database.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def _attempts(runtime: Runtime) -> int:
    with runtime.database.read() as session:
        return session.scalar(select(func.count()).select_from(CallAttempt)) or 0


def _said(document: str, element: str) -> tuple[str, dict[str, str]]:
    [said] = parse_xml(document).iter(element)
    return said.text or "", dict(said.attrib)


# Through an organization's own account, as in production --------------------------------------


def _twilio_fake(sid_digit: str) -> FakeTwilio:
    return FakeTwilio("AC" + sid_digit * 32, f"twilio-auth-token-{sid_digit}")


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    fake = _twilio_fake("3")
    with fake.running():
        yield fake


def test_a_test_call_through_the_orgs_twilio_says_the_sentence_and_changes_nothing(
    client: TestClient, runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    tenant = make_tenant(client, phone=PHONE)
    account = twilio_api.provider_account(
        "Our Twilio", rows.proven_caller_id(runtime, tenant.org_id)
    )
    ok(client.post(f"/v1/orgs/{tenant.org_id}/providers", headers=tenant.auth, json=account), 201)
    _test_call(runtime, org_id=tenant.org_id)
    audited = _audit_events(runtime)

    phone = twilio_api.phone(client)
    assert phone.status("ringing").status_code == 204
    words = CATALOGUE["en"]
    assert _said(phone.answer(), "Say") == (f"{words.test_call} {words.menu}", {"voice": "alice"})
    assert _said(phone.press("1").text, "Say")[0] == words.acknowledged
    assert phone.status("completed").status_code == 204
    # The keys and the call's end were heard and recorded nowhere: a test acts on no alert.
    assert (_attempts(runtime), _audit_events(runtime)) == (0, audited)


def test_the_dashboards_test_of_an_account_is_checked_with_that_accounts_credentials(
    client: TestClient, runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    tenant = seeded.tenant(runtime, phone=PHONE)
    second = _twilio_fake("4")
    with second.running():
        for priority, fake in enumerate((twilio_api, second), start=1):
            account = rows.provider_account(
                runtime,
                tenant.org_id,
                "twilio",
                priority=priority,
                settings={"api_base_url": fake.url},
                credentials={"account_sid": fake.account_sid, "auth_token": fake.auth_token},
            )
        with runtime.database.write() as session:
            prepared = prepare_account_test(
                session,
                org_id=tenant.org_id,
                account_id=account,
                contact_id=tenant.contact_id,
                providers=runtime.provider_directory(),
                settings=runtime.settings,
                actor=SYSTEM,
                now=runtime.clock.now(),
            )
        _dial(prepared)
        # The second account placed it, not the first of the kind in the chain.
        assert (len(twilio_api.calls), len(second.calls)) == (0, 1)
        phone = second.phone(client)
        words = CATALOGUE["en"]
        assert _said(phone.answer(), "Say")[0] == f"{words.test_call} {words.menu}"
        assert phone.status("completed", token=twilio_api.auth_token).status_code == 403


def test_a_forged_callback_for_a_test_call_is_refused(
    client: TestClient, runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    tenant = seeded.tenant(runtime, phone=PHONE)
    rows.provider_account(
        runtime,
        tenant.org_id,
        "twilio",
        settings={"api_base_url": twilio_api.url},
        credentials={"account_sid": twilio_api.account_sid, "auth_token": twilio_api.auth_token},
    )
    _test_call(runtime, org_id=tenant.org_id)
    phone = twilio_api.phone(client)
    forged = phone.status("completed", token="not-the-auth-token")
    assert (forged.status_code, forged.json()["error"]["code"]) == (403, "invalid_signature")


def _refusal(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_an_unknown_or_day_old_test_key_is_refused_as_an_unknown_alert_key_is(
    client: TestClient, runtime: Runtime, clock: ManualClock, twilio_api: FakeTwilio
) -> None:
    tenant = seeded.tenant(runtime, phone=PHONE)
    rows.provider_account(
        runtime,
        tenant.org_id,
        "twilio",
        settings={"api_base_url": twilio_api.url},
        credentials={"account_sid": twilio_api.account_sid, "auth_token": twilio_api.auth_token},
    )
    config = TwilioConfig(
        twilio_api.account_sid, twilio_api.auth_token, api_base_url=twilio_api.url
    )
    provider = TwilioProvider(config, public_base_url=runtime.settings.public_base_url)

    def refusal_for(key: str) -> tuple[int, str]:
        asyncio.run(provider.dial(CallRequest(key, PHONE, CALLER_ID, "")))
        return _refusal(twilio_api.phone(client).status("completed"))

    # The organizations' accounts check callbacks: an unknown key finds no account to check it.
    unknown_alert = refusal_for("job_none/1")
    assert unknown_alert == (404, "provider_not_configured")
    assert refusal_for("test/tc_none") == unknown_alert
    # Server-wide credentials check them: the key is unknown once the signature is checked.
    client.app.state.rest_providers = RestProviders(twilio=provider)  # type: ignore[attr-defined]
    unknown_alert = refusal_for("job_none/1")
    assert unknown_alert == (404, "unknown_call")
    assert refusal_for("test/tc_none") == unknown_alert

    _test_call(runtime, org_id=tenant.org_id)
    clock.advance(timedelta(days=1).total_seconds())
    phone = twilio_api.phone(client)
    answer = phone._post(phone.call.request["Url"], {"CallStatus": "in-progress"})
    assert _refusal(answer) == unknown_alert
    with runtime.database.write() as session:
        assert purge_test_calls(session, now=clock.now()) == 1
        assert session.scalar(select(func.count()).select_from(ProviderTestCall)) == 0


# Each REST provider, with server-wide credentials -----------------------------------------------


@dataclass(frozen=True)
class Said:
    """What the callee heard on answer and after pressing 1, and the speech settings of the
    first (the provider's language attribute among them)."""

    prompt: str
    attributes: dict[str, Any]
    after_1: str


# Each drives the fake's phone: answer, press 1, hang up; the status callbacks must succeed.
Drive = Callable[[Any, TestClient, ManualClock], Said]


def _drive_twilio(fake: FakeTwilio, client: TestClient, clock: ManualClock) -> Said:
    phone = fake.phone(client)
    assert phone.status("ringing").status_code == 204
    prompt, attributes = _said(phone.answer(), "Say")
    after_1, _ = _said(phone.press("1").text, "Say")
    assert phone.status("completed").status_code == 204
    return Said(prompt, attributes, after_1)


def _drive_plivo(fake: FakePlivo, client: TestClient, clock: ManualClock) -> Said:
    phone = fake.phone(client)
    assert phone.rings().status_code == 204
    prompt, attributes = _said(phone.answer(), "Speak")
    after_1, _ = _said(phone.press("1").text, "Speak")
    assert phone.hangs_up().status_code == 204
    return Said(prompt, attributes, after_1)


def _drive_telnyx(fake: FakeTelnyx, client: TestClient, clock: ManualClock) -> Said:
    phone = fake.phone(client, clock)
    assert phone.send("call.answered").status_code == 204
    [(action, gather)] = fake.commands
    assert action == "gather_using_speak"
    assert phone.press("1").status_code == 204
    _, speak = fake.commands[-1]
    assert phone.hangs_up().status_code == 204
    return Said(gather["payload"], gather, speak["payload"])


def _drive_vonage(fake: FakeVonage, client: TestClient, clock: ManualClock) -> Said:
    phone = fake.phone(client, clock)
    assert phone.event("answered").status_code == 204
    talk, _ = phone.answer()
    [after_1] = phone.press("1").json()
    assert phone.event("completed").status_code == 204
    return Said(talk["text"], talk, after_1["text"])


@dataclass(frozen=True)
class Kind:
    fake: Callable[[], Any]
    provider: Callable[[Any, Runtime, ManualClock], Provider]
    drive: Drive
    # The speech settings an alert's call in the language has (test_call_languages_rest.py).
    speech: Callable[[str], dict[str, Any]]
    # Whether its voices speak Ukrainian.
    speaks_uk: bool = True


def _twilio(fake: FakeTwilio, runtime: Runtime, clock: ManualClock) -> Provider:
    config = TwilioConfig(fake.account_sid, fake.auth_token, api_base_url=fake.url)
    return TwilioProvider(config, public_base_url=runtime.settings.public_base_url)


def _plivo(fake: FakePlivo, runtime: Runtime, clock: ManualClock) -> Provider:
    config = PlivoConfig(fake.auth_id, fake.auth_token, api_base_url=fake.url)
    return PlivoProvider(config, public_base_url=runtime.settings.public_base_url)


def _telnyx(fake: FakeTelnyx, runtime: Runtime, clock: ManualClock) -> Provider:
    config = TelnyxConfig(
        api_key=fake.api_key,
        connection_id="1494404757140276705",
        public_key=fake.public_key,
        api_base_url=fake.url,
    )
    return TelnyxProvider(config, public_base_url=runtime.settings.public_base_url)


def _vonage(fake: FakeVonage, runtime: Runtime, clock: ManualClock) -> Provider:
    config = VonageConfig(
        application_id=fake.application_id,
        private_key_pem=fake.private_key_pem,
        signature_secret=fake.signature_secret,
        api_base_url=fake.url,
    )
    return VonageProvider(config, public_base_url=runtime.settings.public_base_url, clock=clock)


KINDS = {
    "twilio": Kind(
        lambda: _twilio_fake("5"),
        _twilio,
        _drive_twilio,
        lambda code: {"voice": "alice"} if code == "en" else {"language": CATALOGUE[code].locale},
    ),
    "plivo": Kind(
        lambda: FakePlivo("MAFAKEAUTHID0000", "plivo-auth-token"),
        _plivo,
        _drive_plivo,
        lambda code: {"voice": "WOMAN", "language": CATALOGUE[code].locale},
        speaks_uk=False,
    ),
    "telnyx": Kind(
        lambda: FakeTelnyx("KEYtelnyx-api-key"),
        _telnyx,
        _drive_telnyx,
        lambda code: (
            {"voice": "Azure.uk-UA-PolinaNeural"}
            if code == "uk"
            else {"voice": "female", "language": CATALOGUE[code].locale}
        ),
    ),
    "vonage": Kind(
        lambda: FakeVonage(
            "aaaaaaaa-bbbb-cccc-dddd-0123456789ab", "vonage-signature-secret-0123456789abcdef"
        ),
        _vonage,
        _drive_vonage,
        lambda code: {"language": CATALOGUE[code].locale},
    ),
}


@pytest.mark.parametrize("language", ["en", "es", "uk"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_rest_providers_test_call_says_the_sentence_in_its_language(
    client: TestClient, runtime: Runtime, clock: ManualClock, kind: str, language: str
) -> None:
    spec = KINDS[kind]
    with spec.fake().running() as fake:
        provider = spec.provider(fake, runtime, clock)
        client.app.state.rest_providers = RestProviders(**{kind: provider})  # type: ignore[attr-defined]
        prepared = _test_call(runtime, org_id=None, provider=provider, language=language)
        assert prepared.request.language == language
        audited = _audit_events(runtime)

        said = spec.drive(fake, client, clock)

    # Plivo has no Ukrainian voice: it says the English sentence, as it does a code.
    spoken = language if spec.speaks_uk or language != "uk" else "en"
    words = CATALOGUE[spoken]
    assert said.prompt == f"{words.test_call} {words.menu}"
    assert spec.speech(spoken).items() <= said.attributes.items()
    assert said.after_1 == words.acknowledged
    assert (_attempts(runtime), _audit_events(runtime)) == (0, audited)
