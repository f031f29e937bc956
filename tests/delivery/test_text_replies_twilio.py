"""Answering an alert text through Twilio: the organization's own Twilio account texts Ana, and
her "1" comes back as Twilio delivers an incoming message, to the URL the providers API shows
for that account (`...?account=`).

The fake (tests/telephony/rest/fakes.py) posts Twilio's incoming message webhook as Twilio
documents it: form-encoded, fields MessageSid, From, To, Body and the rest
(https://www.twilio.com/docs/messaging/guides/webhook-request), signed with X-Twilio-Signature,
the base64 HMAC-SHA1 with the account's auth token over the full URL followed by each POST
parameter's name and value sorted by name
(https://www.twilio.com/docs/usage/webhooks/webhooks-security), computed by the fake's own code,
not Tocsin's. Tocsin's answer goes out through the same account's Messages API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.delivery.pager import MakePager, Pager, uk_mobile
from tests.delivery.test_paging_people import _rules
from tests.factories import ok
from tests.rows import CALLER_ID, provider_account
from tests.telephony.rest.fakes import FakeTwilio
from tocsin.engine.worker import Worker
from tocsin.messages import text_replies as words
from tocsin.messages.text_replies import masked_number
from tocsin.telephony.rest import RestProviders, TwilioConfig, TwilioProvider

pytestmark = [pytest.mark.pager(rounds=1, unanswered_retries=0)]

BASE = "http://tocsin.test"
FIRED = {"title": "Disk full on db1", "severity": "critical"}
OTHER_NUMBER = "+447400000002"


def _fake(sid_digit: str, token: str) -> Iterator[FakeTwilio]:
    fake = FakeTwilio("AC" + sid_digit * 32, token)
    with fake.running():
        yield fake


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    yield from _fake("7", "org-a-auth-token")


@pytest.fixture
def other_twilio() -> Iterator[FakeTwilio]:
    yield from _fake("8", "org-b-auth-token")


class Setup:
    def __init__(self, pager: Pager, fake: FakeTwilio, *, caller_id: str = CALLER_ID) -> None:
        self.pager, self.fake = pager, fake
        self.account_id = provider_account(
            pager.runtime,
            pager.org_id,
            "twilio",
            settings={"api_base_url": fake.url},
            credentials={"account_sid": fake.account_sid, "auth_token": fake.auth_token},
            caller_id=caller_id,
        )
        [listed] = ok(pager.client.get(f"{pager.org}/providers", headers=pager.user_auth))["items"]
        self.inbound_url: str = listed["inbound_sms_url"]
        self.worker = Worker(
            pager.runtime.database,
            pager.runtime.provider_directory(),
            clock=pager.clock,
            settings=pager.settings,
            worker_id="w1",
        )

    def run(self) -> None:
        asyncio.run(self.worker.run_until_idle())


@pytest.fixture
def org_a(pager: Pager, twilio_api: FakeTwilio) -> Setup:
    return Setup(pager, twilio_api)


def _texted_member(pager: Pager) -> tuple[str, str, str]:
    """Ana, texted at once and called at her desk 5 minutes later: (user, mobile, desk)."""
    ana, sms_contact = pager.member("Ana", channel="sms")
    _, desk = pager.member("Ana", user_id=ana, behaviour="no_answer")
    _rules(pager, ana, ("sms", sms_contact, 0), ("voice", desk, 5))
    return ana, pager.phone(sms_contact), pager.phone(desk)


def _text_in(
    fake: FakeTwilio,
    setup_or_url: Setup | str,
    pager: Pager,
    *,
    sender: str,
    to: str,
    body: str,
    message_id: str | None = None,
    forged: bool = False,
) -> httpx.Response:
    url = setup_or_url if isinstance(setup_or_url, str) else setup_or_url.inbound_url
    return fake.text_in(
        pager.client, url, sender=sender, to=to, text=body, message_id=message_id, forged=forged
    )


def _page(pager: Pager, setup: Setup, ana: str) -> str:
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])
    alert_id = pager.fire(endpoint, FIRED)
    setup.run()
    return alert_id


def test_a_signed_twilio_reply_1_from_the_on_call_number_acknowledges_as_the_member(
    pager: Pager, org_a: Setup, twilio_api: FakeTwilio
) -> None:
    ana, mobile, desk = _texted_member(pager)
    alert_id = _page(pager, org_a, ana)
    [alert_text] = twilio_api.texts
    assert alert_text.request["To"] == mobile
    assert alert_text.request["From"] == CALLER_ID
    assert "Reply 1 to acknowledge, 2 to resolve." in alert_text.request["Body"]
    [attempt] = pager.alert(alert_id)["calls"]
    reference = attempt["reply_code"]

    response = _text_in(twilio_api, org_a, pager, sender=mobile, to=CALLER_ID, body=" 1 ")
    assert response.status_code == 200, response.text
    assert response.text.strip().endswith("<Response />") or "<Response" in response.text

    detail = pager.alert(alert_id)
    shown = masked_number(mobile)
    assert detail["status"] == "acknowledged"
    assert detail["acknowledged_user_id"] == ana
    assert detail["acknowledged_by"] == f"SMS reply from {shown}"
    [event] = [e for e in detail["timeline"] if e["action"] == "alert.acknowledged"]
    assert (event["actor_type"], event["actor_id"]) == ("sms_reply", ana)
    assert event["details"]["member_id"] == ana
    assert event["details"]["from"] == shown
    assert mobile not in str(event)
    # The confirmation goes back through the organization's account, from the number Ana
    # answered.
    confirmation = twilio_api.texts[-1].request
    assert (confirmation["To"], confirmation["From"], confirmation["Body"]) == (
        mobile,
        CALLER_ID,
        words.acknowledged(reference, "Disk full on db1"),
    )
    # The call to her desk never comes.
    pager.clock.advance(600)
    org_a.run()
    assert twilio_api.calls == []
    assert desk not in pager.numbers_called()


def test_a_twilio_reply_from_another_number_does_nothing(
    pager: Pager, org_a: Setup, twilio_api: FakeTwilio
) -> None:
    ana, _, _ = _texted_member(pager)
    alert_id = _page(pager, org_a, ana)
    stranger = uk_mobile()

    assert (
        _text_in(twilio_api, org_a, pager, sender=stranger, to=CALLER_ID, body="1").status_code
        == 200
    )

    assert pager.alert(alert_id)["status"] == "open"
    assert twilio_api.texts[-1].request["To"] == stranger
    assert twilio_api.texts[-1].request["Body"] == words.no_alert()


def test_a_forged_twilio_reply_is_refused_and_changes_nothing(
    pager: Pager, org_a: Setup, twilio_api: FakeTwilio
) -> None:
    ana, mobile, _ = _texted_member(pager)
    alert_id = _page(pager, org_a, ana)

    response = _text_in(
        twilio_api, org_a, pager, sender=mobile, to=CALLER_ID, body="2", forged=True
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_signature"
    assert pager.alert(alert_id)["status"] == "open"
    assert len(twilio_api.texts) == 1


def test_twilio_delivering_the_reply_twice_acts_once(
    pager: Pager, org_a: Setup, twilio_api: FakeTwilio
) -> None:
    ana, mobile, _ = _texted_member(pager)
    alert_id = _page(pager, org_a, ana)
    for _ in range(2):
        response = _text_in(
            twilio_api,
            org_a,
            pager,
            sender=mobile,
            to=CALLER_ID,
            body="2",
            message_id="SM" + "a" * 32,
        )
        assert response.status_code == 200
    detail = pager.alert(alert_id)
    assert detail["status"] == "resolved"
    assert len([e for e in detail["timeline"] if e["action"] == "alert.resolved"]) == 1
    assert len(twilio_api.texts) == 2  # the alert and one confirmation


def test_a_reply_through_another_organizations_account_cannot_touch_this_ones_alerts(
    pager: Pager,
    org_a: Setup,
    twilio_api: FakeTwilio,
    make_pager: MakePager,
    other_twilio: FakeTwilio,
) -> None:
    """Organization B holds its own Twilio credentials, so it can sign any webhook it likes:
    even one claiming Ana answered organization A's number. It reaches B's texts only."""
    ana, mobile, _ = _texted_member(pager)
    alert_id = _page(pager, org_a, ana)
    reference = pager.alert(alert_id)["calls"][0]["reply_code"]
    other = make_pager()
    org_b = Setup(other, other_twilio, caller_id=OTHER_NUMBER)

    for to in (CALLER_ID, OTHER_NUMBER):
        response = _text_in(other_twilio, org_b, pager, sender=mobile, to=to, body=f"1 {reference}")
        assert response.status_code == 200

    assert pager.alert(alert_id)["status"] == "open"
    # One neutral answer (the second, moments later, changed nothing either): B's account
    # texted Ana nothing, and the answer says nothing of A's alert.
    assert [t.request["Body"] for t in other_twilio.texts] == [words.no_alert()]


def test_a_reply_through_the_platforms_provider_cannot_touch_a_text_an_account_sent(
    pager: Pager, org_a: Setup, twilio_api: FakeTwilio
) -> None:
    """Even with the very same Twilio credentials configured for the platform: a reply that
    arrived for the platform's provider acts only on texts the platform's provider sent."""
    ana, mobile, _ = _texted_member(pager)
    alert_id = _page(pager, org_a, ana)
    config = TwilioConfig(
        account_sid=twilio_api.account_sid,
        auth_token=twilio_api.auth_token,
        api_base_url=twilio_api.url,
    )
    pager.client.app.state.rest_providers = RestProviders(  # type: ignore[attr-defined]
        twilio=TwilioProvider(config, public_base_url=BASE)
    )

    response = _text_in(
        twilio_api, f"{BASE}/v1/telephony/twilio/sms", pager, sender=mobile, to=CALLER_ID, body="1"
    )

    assert response.status_code == 200
    assert pager.alert(alert_id)["status"] == "open"
    assert twilio_api.texts[-1].request["Body"] == words.no_alert()
