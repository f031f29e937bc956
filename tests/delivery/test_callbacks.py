"""Calls through each REST provider, end to end: Tocsin dials a local fake of the provider's API,
the fake's phone answers, hears the alert, presses 1, and the alert is acknowledged; callbacks
that arrive late are ignored and callbacks that are not signed right change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import rows, seeded
from tests.factories import ok
from tests.telephony.rest.fakes import FakePlivo, FakeTelnyx, FakeTwilio, FakeVonage
from tocsin.core.clock import ManualClock
from tocsin.engine.settings import WorkerSettings
from tocsin.engine.worker import Worker
from tocsin.numbers.models import DoNotCall
from tocsin.paging.models import Alert, CallAttempt, CallJob
from tocsin.runtime import Runtime
from tocsin.telephony.base import Provider
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
from tocsin.telephony.script import CONFIRMATIONS, MENU_PROMPT, STOP_QUESTION

PHONE = "+447400123456"
CALLER_ID = "+447400000001"
TITLE = "Disk full on db1"


def dial_one_alert(
    client: TestClient, runtime: Runtime, clock: ManualClock, provider: Provider, title: str = TITLE
) -> str:
    """Fire an alert and let a worker dial it through `provider`; returns the alert id."""
    tenant = seeded.tenant(runtime, phone=PHONE)
    body = ok(
        client.post(
            f"/v1/hooks/{tenant.endpoint_id}",
            headers=tenant.alert_key,
            json={"title": title, "severity": "critical"},
        ),
        202,
    )
    settings = WorkerSettings(lease=timedelta(seconds=60), caller_id=CALLER_ID)
    worker = Worker(runtime.database, provider, clock=clock, settings=settings, worker_id="w1")
    assert asyncio.run(worker.run_until_idle()) == 1
    alert_id: str = body["alert_id"]
    return alert_id


def state(runtime: Runtime, alert_id: str) -> tuple[Alert, CallAttempt, CallJob]:
    with runtime.database.read() as session:
        alert = session.get(Alert, alert_id)
        attempt = session.scalars(select(CallAttempt).where(CallAttempt.alert_id == alert_id)).one()
        job = session.get(CallJob, attempt.job_id)
        assert alert is not None
        assert job is not None
        return alert, attempt, job


def assert_refused(response: object) -> None:
    assert getattr(response, "status_code", None) == 403
    assert response.json()["error"]["code"] == "invalid_signature"  # type: ignore[attr-defined]


def assert_acknowledged_by_keypad(runtime: Runtime, alert_id: str, call_id: str) -> None:
    alert, attempt, job = state(runtime, alert_id)
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", f"keypad:{PHONE}")
    assert (attempt.status, attempt.digits, attempt.provider_call_id) == ("answered", "1", call_id)
    assert attempt.last_event_sequence == 9
    assert job.status == "done"


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    fake = FakeTwilio("AC" + "1" * 32, "twilio-auth-token")
    with fake.running():
        yield fake


def test_twilio_call_reads_the_alert_and_key_1_acknowledges_it(
    client: TestClient, runtime: Runtime, clock: ManualClock, twilio_api: FakeTwilio
) -> None:
    config = TwilioConfig(
        account_sid=twilio_api.account_sid,
        auth_token=twilio_api.auth_token,
        api_base_url=twilio_api.url,
    )
    provider = TwilioProvider(config, public_base_url=runtime.settings.public_base_url)
    client.app.state.rest_providers = RestProviders(twilio=provider)  # type: ignore[attr-defined]

    alert_id = dial_one_alert(client, runtime, clock, provider)
    [call] = twilio_api.calls
    assert (call.request["To"], call.request["From"]) == (PHONE, CALLER_ID)
    assert call.request["StatusCallbackEvent"] == "initiated ringing answered completed"
    assert call.request["Url"].startswith("http://tocsin.test/v1/telephony/twilio/answer?key=")

    phone = twilio_api.phone(client)
    assert phone.status("initiated").status_code == 204
    assert phone.status("ringing").status_code == 204
    twiml = phone.answer()
    assert TITLE in twiml
    assert MENU_PROMPT in twiml
    assert "<Gather" in twiml

    assert_refused(phone.press("2", token="not-the-auth-token"))
    assert state(runtime, alert_id)[0].status == "open"

    reply = phone.press("1")
    assert reply.status_code == 200
    assert CONFIRMATIONS["1"] in reply.text
    assert "<Hangup />" in reply.text
    assert phone.status("completed").status_code == 204
    assert phone.status("ringing").status_code == 204  # late, and ignored

    assert_acknowledged_by_keypad(runtime, alert_id, call.call_id)


@pytest.fixture
def plivo_api() -> Iterator[FakePlivo]:
    fake = FakePlivo("MAFAKEAUTHID0000", "plivo-auth-token")
    with fake.running():
        yield fake


def test_plivo_call_reads_the_alert_and_key_1_acknowledges_it(
    client: TestClient, runtime: Runtime, clock: ManualClock, plivo_api: FakePlivo
) -> None:
    config = PlivoConfig(
        auth_id=plivo_api.auth_id, auth_token=plivo_api.auth_token, api_base_url=plivo_api.url
    )
    provider = PlivoProvider(config, public_base_url=runtime.settings.public_base_url)
    client.app.state.rest_providers = RestProviders(plivo=provider)  # type: ignore[attr-defined]

    alert_id = dial_one_alert(client, runtime, clock, provider)
    [call] = plivo_api.calls
    assert (call.request["to"], call.request["from"]) == (PHONE[1:], CALLER_ID[1:])
    assert call.request["ring_timeout"] == 45

    phone = plivo_api.phone(client)
    assert phone.rings().status_code == 204
    xml = phone.answer()
    assert TITLE in xml
    assert MENU_PROMPT in xml
    assert "<GetDigits" in xml

    assert_refused(phone.press("2", token="not-the-auth-token"))
    assert state(runtime, alert_id)[0].status == "open"

    reply = phone.press("1")
    assert reply.status_code == 200
    assert CONFIRMATIONS["1"] in reply.text
    assert "<Hangup />" in reply.text
    assert phone.hangs_up().status_code == 204
    assert phone.rings().status_code == 204  # late, and ignored

    assert_acknowledged_by_keypad(runtime, alert_id, call.call_id)


@pytest.fixture
def telnyx_api() -> Iterator[FakeTelnyx]:
    fake = FakeTelnyx("KEYtelnyx-api-key")
    with fake.running():
        yield fake


def test_telnyx_call_is_steered_by_commands_and_key_1_acknowledges_it(
    client: TestClient, runtime: Runtime, clock: ManualClock, telnyx_api: FakeTelnyx
) -> None:
    config = TelnyxConfig(
        api_key=telnyx_api.api_key,
        connection_id="1494404757140276705",
        public_key=telnyx_api.public_key,
        api_base_url=telnyx_api.url,
    )
    provider = TelnyxProvider(config, public_base_url=runtime.settings.public_base_url)
    client.app.state.rest_providers = RestProviders(telnyx=provider)  # type: ignore[attr-defined]

    alert_id = dial_one_alert(client, runtime, clock, provider)
    [call] = telnyx_api.calls
    assert (call.request["to"], call.request["from"]) == (PHONE, CALLER_ID)
    assert call.request["webhook_url"] == "http://tocsin.test/v1/telephony/telnyx/events"

    phone = telnyx_api.phone(client, clock)
    assert phone.send("call.initiated").status_code == 204
    assert phone.send("call.answered").status_code == 204
    [(action, gather)] = telnyx_api.commands
    assert action == "gather_using_speak"
    assert TITLE in gather["payload"]
    assert MENU_PROMPT in gather["payload"]
    assert (gather["maximum_digits"], gather["valid_digits"]) == (1, "0123456789*#")

    stale = phone.send("call.gather.ended", digits="2", status="valid", age_seconds=301)
    assert_refused(stale)
    forged = phone.send(
        "call.gather.ended", digits="2", status="valid", key=Ed25519PrivateKey.generate()
    )
    assert_refused(forged)
    assert state(runtime, alert_id)[0].status == "open"

    assert phone.press("1").status_code == 204
    action, speak = telnyx_api.commands[-1]
    assert (action, speak["payload"]) == ("speak", CONFIRMATIONS["1"])
    assert phone.send("call.speak.ended").status_code == 204
    assert telnyx_api.commands[-1][0] == "hangup"
    assert phone.hangs_up().status_code == 204
    assert phone.send("call.answered").status_code == 204  # late, and ignored
    assert telnyx_api.commands[-1][0] == "hangup"  # and nothing more is said to the call

    assert_acknowledged_by_keypad(runtime, alert_id, call.call_id)


@pytest.fixture
def vonage_api() -> Iterator[FakeVonage]:
    fake = FakeVonage(
        "aaaaaaaa-bbbb-cccc-dddd-0123456789ab", "vonage-signature-secret-0123456789abcdef"
    )
    with fake.running():
        yield fake


def test_vonage_call_answers_with_ncco_and_key_1_acknowledges_it(
    client: TestClient, runtime: Runtime, clock: ManualClock, vonage_api: FakeVonage
) -> None:
    config = VonageConfig(
        application_id=vonage_api.application_id,
        private_key_pem=vonage_api.private_key_pem,
        signature_secret=vonage_api.signature_secret,
        api_base_url=vonage_api.url,
    )
    provider = VonageProvider(config, public_base_url=runtime.settings.public_base_url, clock=clock)
    client.app.state.rest_providers = RestProviders(vonage=provider)  # type: ignore[attr-defined]

    alert_id = dial_one_alert(client, runtime, clock, provider)
    [call] = vonage_api.calls
    assert call.request["to"] == [{"type": "phone", "number": PHONE[1:]}]
    assert call.request["answer_method"] == "POST"

    phone = vonage_api.phone(client, clock)
    assert phone.event("started").status_code == 204
    assert phone.event("ringing").status_code == 204
    talk, listen = phone.answer()
    assert talk["action"] == "talk"
    assert talk["bargeIn"] is True
    assert TITLE in talk["text"]
    assert MENU_PROMPT in talk["text"]
    assert (listen["action"], listen["type"], listen["dtmf"]["maxDigits"]) == ("input", ["dtmf"], 1)

    assert_refused(phone.press("2", secret="not-the-signature-secret-0123456789abcdef"))
    assert state(runtime, alert_id)[0].status == "open"

    reply = phone.press("1")
    assert reply.status_code == 200
    assert reply.json() == [
        {"action": "talk", "text": CONFIRMATIONS["1"], "language": "en-US", "style": 0}
    ]
    assert phone.event("answered").status_code == 204
    assert phone.event("completed").status_code == 204
    assert phone.event("ringing").status_code == 204  # late, and ignored

    assert_acknowledged_by_keypad(runtime, alert_id, call.call_id)


def twilio_provider(runtime: Runtime, twilio_api: FakeTwilio, client: TestClient) -> TwilioProvider:
    config = TwilioConfig(
        account_sid=twilio_api.account_sid,
        auth_token=twilio_api.auth_token,
        api_base_url=twilio_api.url,
    )
    provider = TwilioProvider(config, public_base_url=runtime.settings.public_base_url)
    client.app.state.rest_providers = RestProviders(twilio=provider)  # type: ignore[attr-defined]
    return provider


def test_star_repeats_the_prompt_and_a_key_in_the_next_round_still_counts(
    client: TestClient, runtime: Runtime, clock: ManualClock, twilio_api: FakeTwilio
) -> None:
    provider = twilio_provider(runtime, twilio_api, client)
    alert_id = dial_one_alert(client, runtime, clock, provider, title="Queue <jobs> & retries")
    phone = twilio_api.phone(client)
    first = phone.answer()
    assert "Queue &lt;jobs&gt; &amp; retries" in first
    again = phone.press("*")
    assert again.status_code == 200
    assert "Queue &lt;jobs&gt; &amp; retries" in again.text
    assert "round=1" in again.text
    assert phone.press("1").status_code == 200
    alert, attempt, _ = state(runtime, alert_id)
    assert (alert.status, attempt.digits) == ("acknowledged", "*1")


def do_not_call_numbers(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.database.read() as session:
        return [(e.phone_e164, e.source) for e in session.scalars(select(DoNotCall))]


def test_twilio_9_asks_for_confirmation_and_9_again_stops_calls(
    client: TestClient, runtime: Runtime, clock: ManualClock, twilio_api: FakeTwilio
) -> None:
    provider = twilio_provider(runtime, twilio_api, client)
    alert_id = dial_one_alert(client, runtime, clock, provider)
    phone = twilio_api.phone(client)
    phone.answer()
    asked = phone.press("9")
    assert STOP_QUESTION in asked.text
    assert "<Gather" in asked.text
    assert do_not_call_numbers(runtime) == []  # one 9 is only a question

    stopped = phone.press("9")
    assert CONFIRMATIONS["9"] in stopped.text
    assert "<Hangup />" in stopped.text
    assert do_not_call_numbers(runtime) == [(PHONE, "keypad")]
    assert phone.status("completed").status_code == 204
    alert, attempt, job = state(runtime, alert_id)
    assert (alert.status, attempt.digits) == ("open", "99")  # the escalation goes on
    assert (job.status, job.outcome) == ("done", "stopped")  # and no retry for this number


def test_twilio_9_then_silence_reads_the_prompt_again_and_stops_nothing(
    client: TestClient, runtime: Runtime, clock: ManualClock, twilio_api: FakeTwilio
) -> None:
    provider = twilio_provider(runtime, twilio_api, client)
    alert_id = dial_one_alert(client, runtime, clock, provider)
    phone = twilio_api.phone(client)
    phone.answer()
    phone.press("9")
    again = phone.stays_silent()
    assert TITLE in again.text
    assert MENU_PROMPT in again.text
    assert "<Gather" in again.text
    assert phone.status("completed").status_code == 204

    assert do_not_call_numbers(runtime) == []
    alert, attempt, job = state(runtime, alert_id)
    assert (alert.status, attempt.status, attempt.digits) == ("open", "answered", "9")
    assert job.status == "pending"  # called again, as after any answer without a key that counts


def test_twilio_star_after_9_goes_back_and_1_acknowledges(
    client: TestClient, runtime: Runtime, clock: ManualClock, twilio_api: FakeTwilio
) -> None:
    provider = twilio_provider(runtime, twilio_api, client)
    alert_id = dial_one_alert(client, runtime, clock, provider)
    phone = twilio_api.phone(client)
    phone.answer()
    phone.press("9")
    back = phone.press("*")
    assert MENU_PROMPT in back.text
    assert STOP_QUESTION not in back.text
    assert CONFIRMATIONS["1"] in phone.press("1").text
    alert, attempt, _ = state(runtime, alert_id)
    assert (alert.status, attempt.digits) == ("acknowledged", "9*1")
    assert do_not_call_numbers(runtime) == []


def test_callbacks_without_a_signature_or_for_an_unknown_call_change_nothing(
    client: TestClient, runtime: Runtime, clock: ManualClock, twilio_api: FakeTwilio
) -> None:
    provider = twilio_provider(runtime, twilio_api, client)
    alert_id = dial_one_alert(client, runtime, clock, provider)
    [call] = twilio_api.calls
    phone = twilio_api.phone(client)
    _, before, _ = state(runtime, alert_id)
    assert before.status == "in_progress"

    unsigned = client.post(call.request["StatusCallback"], data={"CallStatus": "completed"})
    assert_refused(unsigned)
    assert_refused(client.post("/v1/telephony/twilio/status", data={"CallStatus": "busy"}))

    phone.call.call_id = "CA" + "0" * 32  # signed, but about another call than this attempt's
    other = phone.status("completed")
    assert (other.status_code, other.json()["error"]["code"]) == (404, "unknown_call")
    phone.call.call_id = call.call_id

    _, attempt, _ = state(runtime, alert_id)
    assert (attempt.status, attempt.last_event_sequence, attempt.ended_at) == (
        before.status,
        before.last_event_sequence,
        None,
    )


def test_callbacks_for_a_provider_that_is_not_configured_are_not_found(
    client: TestClient,
) -> None:
    response = client.post("/v1/telephony/plivo/status?key=job_1%2F1", data={})
    assert (response.status_code, response.json()["error"]["code"]) == (
        404,
        "provider_not_configured",
    )


def test_a_vonage_webhook_signed_too_long_ago_or_sent_to_another_attempt_is_refused(
    client: TestClient, runtime: Runtime, clock: ManualClock, vonage_api: FakeVonage
) -> None:
    config = VonageConfig(
        application_id=vonage_api.application_id,
        private_key_pem=vonage_api.private_key_pem,
        signature_secret=vonage_api.signature_secret,
        api_base_url=vonage_api.url,
    )
    provider = VonageProvider(config, public_base_url=runtime.settings.public_base_url, clock=clock)
    client.app.state.rest_providers = RestProviders(vonage=provider)  # type: ignore[attr-defined]
    alert_id = dial_one_alert(client, runtime, clock, provider)
    phone = vonage_api.phone(client, clock)
    [event_url] = phone.call.request["event_url"]
    assert "token=" in event_url
    # Vonage signs the body only: a signed webhook sent to another attempt's URL is refused.
    phone.call.request["event_url"] = [event_url.replace("key=job_", "key=job_0")]
    assert_refused(phone.event("busy"))
    phone.call.request["event_url"] = [event_url]
    phone.clock = ManualClock(clock.now() - timedelta(seconds=301))
    assert_refused(phone.event("busy"))
    assert state(runtime, alert_id)[1].status == "in_progress"


def test_an_unsigned_telnyx_webhook_is_refused_before_its_body_is_judged(
    client: TestClient, runtime: Runtime, telnyx_api: FakeTelnyx
) -> None:
    config = TelnyxConfig("key", "connection", telnyx_api.public_key, api_base_url=telnyx_api.url)
    provider = TelnyxProvider(config, public_base_url=runtime.settings.public_base_url)
    client.app.state.rest_providers = RestProviders(telnyx=provider)  # type: ignore[attr-defined]
    assert_refused(client.post("/v1/telephony/telnyx/events", content=b"not json"))
    assert_refused(client.post("/v1/telephony/telnyx/events", json={"data": {}}))


def test_a_call_longer_than_the_lease_still_ends_by_its_callbacks(
    client: TestClient, runtime: Runtime, clock: ManualClock, twilio_api: FakeTwilio
) -> None:
    provider = twilio_provider(runtime, twilio_api, client)
    alert_id = dial_one_alert(client, runtime, clock, provider)
    phone = twilio_api.phone(client)
    phone.status("ringing")
    clock.advance(90)  # ringing and talking outlast the 60 s lease
    settings = WorkerSettings(lease=timedelta(seconds=60), caller_id=CALLER_ID)
    other = Worker(runtime.database, provider, clock=clock, settings=settings, worker_id="w2")
    asyncio.run(other.run_until_idle())
    phone.answer()
    phone.press("1")
    assert state(runtime, alert_id)[0].status == "acknowledged"


def test_an_organizations_own_twilio_account_places_the_call_and_checks_its_callbacks(
    client: TestClient, runtime: Runtime, clock: ManualClock, twilio_api: FakeTwilio
) -> None:
    tenant = seeded.tenant(runtime, phone=PHONE)
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
    body = ok(
        client.post(
            f"/v1/hooks/{tenant.endpoint_id}",
            headers=tenant.alert_key,
            json={"title": TITLE, "severity": "critical"},
        ),
        202,
    )
    assert asyncio.run(runtime.build_worker().run_until_idle()) == 1

    phone = twilio_api.phone(client)
    assert TITLE in phone.answer()
    assert_refused(phone.press("2", token="not-the-auth-token"))
    assert phone.press("1").status_code == 200
    assert phone.status("completed").status_code == 204
    assert_acknowledged_by_keypad(runtime, body["alert_id"], phone.call.call_id)


@pytest.mark.parametrize(
    "route",
    [
        "twilio/answer",
        "twilio/gather",
        "twilio/status",
        "plivo/answer",
        "plivo/gather",
        "plivo/status",
        "telnyx/events",
        "vonage/answer",
        "vonage/input",
        "vonage/event",
    ],
)
def test_every_callback_url_given_to_providers_is_served_and_checked(
    client: TestClient, runtime: Runtime, route: str
) -> None:
    base = runtime.settings.public_base_url
    client.app.state.rest_providers = RestProviders(  # type: ignore[attr-defined]
        twilio=TwilioProvider(TwilioConfig("AC1", "token"), public_base_url=base),
        plivo=PlivoProvider(PlivoConfig("MA1", "token"), public_base_url=base),
        telnyx=TelnyxProvider(TelnyxConfig("key", "c-1", "pk"), public_base_url=base),
        vonage=VonageProvider(VonageConfig("app", "pem", "secret"), public_base_url=base),
    )
    assert_refused(client.post(f"/v1/telephony/{route}?key=job_1%2F1", content=b"{}"))


@pytest.mark.parametrize("route", ["twilio/events", "telnyx/answer", "sip/answer", "twilio"])
def test_a_callback_url_no_provider_was_given_is_not_found(client: TestClient, route: str) -> None:
    response = client.post(f"/v1/telephony/{route}", content=b"")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
