"""A verification call through a REST provider: its callbacks have no attempt to move, so they
are answered with the sealed text of the verification, said once, and then a hang-up, in the
code's language as the provider is told it (or in English by a provider with no voice for it)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests import rows
from tests.factories import Tenant, make_tenant, ok
from tests.telephony.rest.fakes import FakePlivo, FakeTwilio, parse_xml
from tocsin.core.clock import ManualClock
from tocsin.numbers.models import NumberVerification
from tocsin.numbers.verification import spoken_code
from tocsin.numbers.verification_calls import seal_spoken_text, spoken_code_for
from tocsin.paging.models import CallAttempt
from tocsin.runtime import Runtime
from tocsin.telephony.base import CallRequest
from tocsin.telephony.prompts import CATALOGUE
from tocsin.telephony.rest import RestProviders, TwilioConfig, TwilioProvider

PHONE = "+447400123456"
CODE_TEXT = "Hello, this is Tocsin. Your verification code is 4, 1, 2. Again, your code is 4, 1, 2."


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    fake = FakeTwilio("AC" + "2" * 32, "twilio-auth-token")
    with fake.running():
        yield fake


def issue(runtime: Runtime, *, org_id: str | None, verification_id: str = "ver_1") -> str:
    """A verification whose call says CODE_TEXT, as the consent routes store it; its call key."""
    now = runtime.clock.now()
    with runtime.database.write() as session:
        session.add(
            NumberVerification(
                id=verification_id,
                purpose="consent",
                org_id=org_id,
                phone_e164=PHONE,
                channel="call",
                code_digest="0" * 64,
                requested_by_type="user",
                wrong_attempts=0,
                sealed_code=seal_spoken_text(runtime.verification_box, CODE_TEXT),
                created_at=now,
                expires_at=now + timedelta(minutes=15),
            )
        )
    return f"verify/{verification_id}"


def twilio(runtime: Runtime, twilio_api: FakeTwilio) -> TwilioProvider:
    config = TwilioConfig(
        account_sid=twilio_api.account_sid,
        auth_token=twilio_api.auth_token,
        api_base_url=twilio_api.url,
    )
    return TwilioProvider(config, public_base_url=runtime.settings.public_base_url)


def spoken(runtime: Runtime, key: str) -> str | None:
    with runtime.database.read() as session:
        said = spoken_code_for(session, runtime.verification_box, key, now=runtime.clock.now())
        return said.text if said is not None else None


def test_the_text_is_opened_only_while_its_code_can_be_used(
    runtime: Runtime, clock: ManualClock
) -> None:
    key = issue(runtime, org_id=None)
    assert spoken(runtime, key) == CODE_TEXT
    assert spoken(runtime, "verify/ver_unknown") is None
    assert spoken(runtime, "job_1/1") is None  # an alert's call, not a verification's

    clock.advance(15 * 60)
    assert spoken(runtime, key) is None  # expired

    confirmed = issue(runtime, org_id=None, verification_id="ver_2")
    with runtime.database.write() as session:
        row = session.get(NumberVerification, "ver_2")
        assert row is not None
        row.confirmed_at = clock.now()
    assert spoken(runtime, confirmed) is None


def test_a_verification_call_through_the_orgs_twilio_says_the_code_and_hangs_up(
    client: TestClient, runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    tenant = make_tenant(client, phone=PHONE)
    ok(
        client.post(
            f"/v1/orgs/{tenant.org_id}/providers",
            headers=tenant.auth,
            json=twilio_api.provider_account(
                "Our Twilio", rows.proven_caller_id(runtime, tenant.org_id)
            ),
        ),
        201,
    )
    key = issue(runtime, org_id=tenant.org_id)
    request = CallRequest(key, PHONE, "+447400000001", CODE_TEXT, offers_menu=False)
    asyncio.run(twilio(runtime, twilio_api).dial(request))

    phone = twilio_api.phone(client)
    assert phone.status("ringing").status_code == 204
    twiml = phone.answer()
    assert CODE_TEXT in twiml
    assert "<Hangup />" in twiml
    assert "<Gather" not in twiml
    # The callee types the code in before the call is over; its last callback still succeeds.
    with runtime.database.write() as session:
        row = session.get(NumberVerification, key.removeprefix("verify/"))
        assert row is not None
        row.confirmed_at = runtime.clock.now()
    assert phone.status("completed").status_code == 204
    with runtime.database.read() as session:
        assert session.scalar(select(func.count()).select_from(CallAttempt)) == 0
    # A call answered after that hears no code.
    assert CODE_TEXT not in phone.answer()


def test_only_the_orgs_own_account_checks_its_verification_calls(
    client: TestClient, runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    tenant = make_tenant(client, phone=PHONE)
    key = issue(runtime, org_id=tenant.org_id)
    asyncio.run(twilio(runtime, twilio_api).dial(CallRequest(key, PHONE, "+447400000001", "")))
    # The organization has no Twilio account, so nothing can check this callback.
    response = twilio_api.phone(client).status("completed")
    assert (response.status_code, response.json()["error"]["code"]) == (
        404,
        "provider_not_configured",
    )


def test_a_callback_for_no_verification_is_an_unknown_call(
    client: TestClient, runtime: Runtime, twilio_api: FakeTwilio
) -> None:
    provider = twilio(runtime, twilio_api)
    client.app.state.rest_providers = RestProviders(twilio=provider)  # type: ignore[attr-defined]
    asyncio.run(provider.dial(CallRequest("verify/ver_none", PHONE, "+447400000001", "")))
    response = twilio_api.phone(client).status("completed")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "unknown_call")


DESK = "+447400123457"


def _code_call_through(client: TestClient, runtime: Runtime, account: dict[str, Any]) -> Tenant:
    """An organization calling through `account` (the body of a provider account, to which
    its proven caller ID is added) alone."""
    tenant = make_tenant(client, phone=PHONE)
    account = {**account, "caller_id_id": rows.proven_caller_id(runtime, tenant.org_id)}
    ok(client.post(f"/v1/orgs/{tenant.org_id}/providers", headers=tenant.auth, json=account), 201)
    return tenant


@pytest.mark.parametrize("language", ["es", "uk"])
def test_a_verification_call_through_twilio_says_the_code_in_the_contacts_language(
    client: TestClient, runtime: Runtime, twilio_api: FakeTwilio, language: str
) -> None:
    tenant = _code_call_through(client, runtime, twilio_api.provider_account("Our Twilio"))
    contacts = f"/v1/orgs/{tenant.org_id}/contacts"
    desk = ok(
        client.post(
            contacts,
            json={"name": "Desk", "phone": DESK, "language": language},
            headers=tenant.auth,
        ),
        201,
    )["id"]
    sent = ok(client.post(f"{contacts}/{desk}/verification", headers=tenant.auth), 202)

    twiml = twilio_api.phone(client).answer()
    [say] = parse_xml(twiml).iter("Say")
    words = CATALOGUE[language]
    assert say.attrib["language"] == words.locale
    found = re.search(r"(\d), (\d), (\d), (\d), (\d), (\d)", say.text or "")
    assert found is not None
    typed = "".join(found.groups())
    # "Org of +447400123456" has a run of digits: no code may say it.
    who = words.codes.any_organization
    assert say.text == words.codes.consent_call.format(
        who=who, digits=spoken_code(typed), url="http://tocsin.test/opt-out"
    )
    assert "<Gather" not in twiml
    ok(
        client.post(
            f"{contacts}/{desk}/verification/confirm",
            json={"code": typed, "verification_id": sent["verification_id"]},
            headers=tenant.auth,
        )
    )


@pytest.fixture
def plivo_api() -> Iterator[FakePlivo]:
    fake = FakePlivo("MAFAKEAUTHID0000", "plivo-auth-token")
    with fake.running():
        yield fake


def test_plivo_says_a_ukrainian_code_in_english_which_its_voices_speak(
    client: TestClient, runtime: Runtime, plivo_api: FakePlivo
) -> None:
    plivo = {
        "kind": "plivo",
        "name": "Our Plivo",
        "settings": {"api_base_url": plivo_api.url},
        "credentials": {"auth_id": plivo_api.auth_id, "auth_token": plivo_api.auth_token},
    }
    tenant = _code_call_through(client, runtime, plivo)
    contacts = f"/v1/orgs/{tenant.org_id}/contacts"
    body = {"name": "Kyiv desk", "phone": DESK, "language": "uk"}
    desk = ok(client.post(contacts, json=body, headers=tenant.auth), 201)["id"]
    ok(client.post(f"{contacts}/{desk}/verification", headers=tenant.auth), 202)

    [speak] = parse_xml(plivo_api.phone(client).answer()).iter("Speak")
    # Not Ukrainian words read by an English voice: the English version of the same code.
    assert speak.attrib["language"] == CATALOGUE["en"].locale
    assert (speak.text or "").startswith("Hello, this is Tocsin, an alerting service.")
    assert "your verification code is" in (speak.text or "")
