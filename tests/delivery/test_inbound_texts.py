"""Texts sent to Tocsin's numbers, end to end through each REST provider (issue 16, finding 8:
no STOP/HELP handling, no inbound SMS at all; an inbound STOP was 404 for every provider).

Each provider is a local fake of its API (tests/telephony/rest/fakes.py) serving as the
platform's provider: it delivers a text in its own inbound-message webhook format, signed its
own way, to the URL an operator configures at the provider, and takes Tocsin's answer through
its send-message API, checking the credentials. Formats and signatures, as each documents them:

- Twilio: form fields MessageSid, From, To, Body
  (https://www.twilio.com/docs/messaging/guides/webhook-request), X-Twilio-Signature
  (https://www.twilio.com/docs/usage/webhooks/webhooks-security);
- Plivo: form fields From, To (digits), Type, Text, MessageUUID
  (https://docs.plivo.com/docs/messaging/xml/request), X-Plivo-Signature-V3 and its nonce
  (https://docs.plivo.com/docs/voice/xml/request/validation);
- Telnyx: a message.received event
  (https://developers.telnyx.com/api-reference/callbacks/inbound-message), Ed25519 over the
  timestamp and body (https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks);
- Vonage: a Messages API inbound SMS
  (https://developer.vonage.com/en/messages/code-snippets/inbound-message), a JWT signed with
  the signature secret carrying the body's hash
  (https://developer.nexmo.com/cn/messages/concepts/signed-webhooks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import serving
from tests.factories import ok
from tests.rows import provider_account, tenant_rows
from tests.telephony.rest.fakes import FakePlivo, FakeTelnyx, FakeTwilio, FakeVonage
from tocsin.core.clock import ManualClock
from tocsin.messages import sms
from tocsin.numbers.consent import NumberState, state_of
from tocsin.numbers.models import PlatformOptOut, SmsKeyword
from tocsin.numbers.sms_stops import is_stopped
from tocsin.runtime import Runtime

PERSON = "+447400123456"
TOCSIN_NUMBER = "+447400000001"
BASE = "http://tocsin.test"


@dataclass
class Carrier:
    kind: str
    fake: Any
    settings: dict[str, Any]
    sent: Callable[[], list[tuple[str, str, str]]]

    def text(
        self,
        client: TestClient,
        clock: ManualClock,
        body: str,
        *,
        message_id: str | None = None,
        forged: bool = False,
        query: str = "",
    ) -> httpx.Response:
        url = f"{BASE}/v1/telephony/{self.kind}/sms{query}"
        response: httpx.Response = self.fake.text_in(
            client,
            url,
            sender=PERSON,
            to=TOCSIN_NUMBER,
            text=body,
            message_id=message_id,
            forged=forged,
            clock=clock,
        )
        return response


def _plus(number: str) -> str:
    return number if number.startswith("+") else f"+{number}"


def twilio_carrier() -> Carrier:
    fake = FakeTwilio("AC" + "5" * 32, "twilio-token")
    return Carrier(
        "twilio",
        fake,
        {
            "provider": "twilio",
            "provider_credentials": {"account_sid": fake.account_sid, "auth_token": "twilio-token"},
        },
        lambda: [(t.request["To"], t.request["From"], t.request["Body"]) for t in fake.texts],
    )


def plivo_carrier() -> Carrier:
    fake = FakePlivo("MAINBOUND0000000", "plivo-token")
    return Carrier(
        "plivo",
        fake,
        {
            "provider": "plivo",
            "provider_credentials": {"auth_id": fake.auth_id, "auth_token": "plivo-token"},
        },
        lambda: [
            (_plus(t.request["dst"]), _plus(t.request["src"]), t.request["text"])
            for t in fake.texts
        ],
    )


def telnyx_carrier() -> Carrier:
    fake = FakeTelnyx("KEYtelnyx-inbound")
    return Carrier(
        "telnyx",
        fake,
        {
            "provider": "telnyx",
            "provider_settings": {"connection_id": "1494404757140276705"},
            "provider_credentials": {"api_key": fake.api_key},
        },
        lambda: [(t.request["to"], t.request["from"], t.request["text"]) for t in fake.texts],
    )


def vonage_carrier() -> Carrier:
    fake = FakeVonage(
        "aaaaaaaa-bbbb-cccc-dddd-0123456789ab", "vonage-signature-secret-of-32-bytes-or-more"
    )
    return Carrier(
        "vonage",
        fake,
        {
            "provider": "vonage",
            "provider_credentials": {
                "application_id": fake.application_id,
                "private_key": fake.private_key_pem,
                "signature_secret": fake.signature_secret,
            },
        },
        lambda: [
            (_plus(t.request["to"]), _plus(t.request["from"]), t.request["text"])
            for t in fake.texts
        ],
    )


@pytest.fixture(params=[twilio_carrier, plivo_carrier, telnyx_carrier, vonage_carrier])
def carrier(request: pytest.FixtureRequest) -> Iterator[Carrier]:
    made: Carrier = request.param()
    with made.fake.running():
        settings = dict(made.settings.get("provider_settings", {}))
        settings["api_base_url"] = made.fake.url
        if made.kind == "telnyx":
            settings["public_key"] = made.fake.public_key
        made.settings["provider_settings"] = settings
        yield made


@pytest.fixture
def tocsin(
    carrier: Carrier, app: FastAPI, database_url: str, data_dir: Path, clock: ManualClock
) -> Iterator[tuple[Runtime, TestClient]]:
    """Tocsin with the carrier as the platform's provider."""
    with serving(app, database_url, data_dir, clock, **carrier.settings) as served:
        yield served


def keywords(runtime: Runtime) -> list[SmsKeyword]:
    with runtime.database.read() as session:
        return list(session.scalars(select(SmsKeyword).order_by(SmsKeyword.received_at)))


def opted_out(runtime: Runtime, number: str) -> bool:
    with runtime.database.read() as session:
        found = session.scalar(select(PlatformOptOut).where(PlatformOptOut.phone_e164 == number))
    return found is not None


def stopped(runtime: Runtime, number: str) -> bool:
    with runtime.database.read() as session:
        return is_stopped(session, number, org_id=None)


def test_a_signed_stop_stops_texts_and_calls_and_is_confirmed_by_exactly_one_reply(
    carrier: Carrier, tocsin: tuple[Runtime, TestClient], clock: ManualClock
) -> None:
    """Issue 16, finding 8: an inbound STOP was 404 for every provider."""
    runtime, client = tocsin
    first = carrier.text(client, clock, "  stop ", message_id="msg-stop-1")
    assert first.status_code in (200, 204), first.text

    assert stopped(runtime, PERSON)
    assert opted_out(runtime, PERSON)
    assert carrier.sent() == [(PERSON, TOCSIN_NUMBER, sms.stop_confirmation())]
    [evidence] = keywords(runtime)
    assert (
        evidence.provider,
        evidence.message_id,
        evidence.from_number,
        evidence.to_number,
        evidence.keyword,
        evidence.received_at,
        evidence.account_id,
        evidence.reply,
    ) == (carrier.kind, "msg-stop-1", PERSON, TOCSIN_NUMBER, "STOP", clock.now(), None, "sent")
    assert evidence.reply_ref

    # The provider delivers the same webhook again: nothing happens twice.
    again = carrier.text(client, clock, "  stop ", message_id="msg-stop-1")
    assert again.status_code in (200, 204), again.text
    assert len(carrier.sent()) == 1
    assert len(keywords(runtime)) == 1


def test_help_gets_the_fixed_help_text_and_start_lifts_only_the_text_stop(
    carrier: Carrier, tocsin: tuple[Runtime, TestClient], clock: ManualClock
) -> None:
    runtime, client = tocsin
    help_url = f"{BASE}/opt-out"
    assert carrier.text(client, clock, "Info").status_code in (200, 204)
    assert carrier.sent() == [(PERSON, TOCSIN_NUMBER, sms.help_text(help_url))]

    assert carrier.text(client, clock, "STOPALL").status_code in (200, 204)
    clock.advance(300)
    assert carrier.text(client, clock, "unstop").status_code in (200, 204)
    assert [body for _, _, body in carrier.sent()] == [
        sms.help_text(help_url),
        sms.stop_confirmation(),
        sms.start_confirmation(),
    ]
    assert not stopped(runtime, PERSON)
    # Calls stay opted out: START is no consent.
    assert opted_out(runtime, PERSON)
    assert [k.keyword for k in keywords(runtime)] == ["INFO", "STOPALL", "UNSTOP"]


def test_a_forged_stop_is_refused_and_changes_nothing(
    carrier: Carrier, tocsin: tuple[Runtime, TestClient], clock: ManualClock
) -> None:
    runtime, client = tocsin
    response = carrier.text(client, clock, "STOP", forged=True)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_signature"
    assert keywords(runtime) == []
    assert not stopped(runtime, PERSON)
    assert not opted_out(runtime, PERSON)
    assert carrier.sent() == []


def test_a_message_that_is_not_a_keyword_is_acknowledged_and_not_kept(
    carrier: Carrier, tocsin: tuple[Runtime, TestClient], clock: ManualClock
) -> None:
    runtime, client = tocsin
    response = carrier.text(client, clock, "Please stop calling me at night")
    assert response.status_code in (200, 204), response.text
    assert keywords(runtime) == []
    assert not stopped(runtime, PERSON)
    assert carrier.sent() == []


@pytest.fixture
def org_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio("AC" + "6" * 32, "org-twilio-token")
    with fake.running():
        yield fake


def test_a_text_to_an_organizations_own_account_is_checked_with_that_accounts_credentials(
    app: FastAPI,
    database_url: str,
    data_dir: Path,
    clock: ManualClock,
    org_twilio: FakeTwilio,
) -> None:
    """The webhook URL names the provider account (`?account=`), as the providers API shows
    it: its credentials check the text and its API sends the answer; the platform's provider
    is not involved. Whoever holds the account's credentials can sign anything, so a STOP
    through it stops that organization's texts and calls, and nobody else's."""
    with serving(app, database_url, data_dir, clock) as (runtime, client):
        tenant = tenant_rows(runtime)
        account_id = provider_account(
            runtime,
            tenant.org_id,
            "twilio",
            settings={"api_base_url": org_twilio.url},
            credentials={"account_sid": org_twilio.account_sid, "auth_token": "org-twilio-token"},
            # Calls no longer go through it; its numbers still receive texts.
            enabled=False,
        )
        # The URL to configure at Twilio, as the API shows it.
        [listed] = ok(client.get(f"/v1/orgs/{tenant.org_id}/providers", headers=tenant.auth))[
            "items"
        ]
        url = listed["inbound_sms_url"]
        assert url == f"{BASE}/v1/telephony/twilio/sms?account={account_id}"

        def text(**kwargs: Any) -> httpx.Response:
            return org_twilio.text_in(client, url, sender=PERSON, to=TOCSIN_NUMBER, **kwargs)

        def number_state() -> NumberState:
            with runtime.database.read() as session:
                return state_of(session, org_id=tenant.org_id, number=PERSON)

        other = tenant_rows(runtime)
        assert text(text="STOP", forged=True).status_code == 403
        assert number_state() is NumberState.VERIFIED
        assert text(text="STOP").status_code == 200
        [reply] = org_twilio.texts
        assert (reply.request["To"], reply.request["From"], reply.request["Body"]) == (
            PERSON,
            TOCSIN_NUMBER,
            sms.stop_confirmation(platform=False),
        )
        [evidence] = keywords(runtime)
        assert (evidence.account_id, evidence.org_id) == (account_id, tenant.org_id)
        assert number_state() is NumberState.DO_NOT_CALL
        with runtime.database.read() as session:
            assert is_stopped(session, PERSON, org_id=tenant.org_id)
            assert not is_stopped(session, PERSON, org_id=other.org_id)
            assert state_of(session, org_id=other.org_id, number=PERSON) is NumberState.VERIFIED
        assert not opted_out(runtime, PERSON)

        unknown = org_twilio.text_in(
            client,
            f"{BASE}/v1/telephony/twilio/sms?account=prv_unknown",
            sender=PERSON,
            to=TOCSIN_NUMBER,
            text="STOP",
        )
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "provider_not_configured"
