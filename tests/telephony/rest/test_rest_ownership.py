"""Which numbers a REST provider account owns (issue 16, finding 1: a caller ID proven by the
provider's own records). Each provider asks its API the way its documentation says, and the
local fakes answer as the real APIs do, checking the credentials:

- Twilio: `GET /2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json?PhoneNumber=` and
  `.../OutgoingCallerIds.json?PhoneNumber=`, basic auth with the account SID and auth token
  (https://www.twilio.com/docs/phone-numbers/api/incomingphonenumber-resource,
  https://www.twilio.com/docs/voice/api/outgoing-caller-ids);
- Plivo: `GET /v1/Account/{auth_id}/Number/{number}/`, 404 when it is not the account's
  (https://www.plivo.com/docs/numbers/api/account-phone-number);
- Telnyx: `GET /v2/phone_numbers?filter[phone_number]=`, bearer API key
  (https://developers.telnyx.com/api-reference/phone-number-configurations);
- Vonage: `GET https://rest.nexmo.com/account/numbers?pattern=&search_pattern=0`, basic auth
  with the account's API key and secret, not the application JWT
  (https://developer.vonage.com/en/numbers/code-snippets/list-owned).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.telephony.rest.fakes import FakePlivo, FakeProvider, FakeTelnyx, FakeTwilio, FakeVonage
from tocsin.core.clock import ManualClock
from tocsin.telephony.base import NumberOwner, NumberOwnership, ProviderError, number_owner
from tocsin.telephony.rest import (
    PlivoConfig,
    PlivoProvider,
    TelnyxConfig,
    TelnyxProvider,
    TwilioConfig,
    TwilioProvider,
    VonageConfig,
    VonageProvider,
)

OWNED = "+447400000002"
STRANGER = "+447400999999"
BASE = "https://tocsin.example"


@dataclass
class Account:
    fake: FakeProvider
    # Tocsin's provider for the fake, with the credentials it expects (True) or others.
    build: Callable[[bool], NumberOwner]


def _owner(provider: object) -> NumberOwner:
    owner = number_owner(provider)  # type: ignore[arg-type]
    assert owner is not None
    return owner


def twilio_account() -> Account:
    fake = FakeTwilio("AC" + "4" * 32, "token")
    return Account(
        fake,
        lambda right: _owner(
            TwilioProvider(
                TwilioConfig(
                    fake.account_sid, "token" if right else "wrong", api_base_url=fake.url
                ),
                public_base_url=BASE,
            )
        ),
    )


def plivo_account() -> Account:
    fake = FakePlivo("MA1", "token")
    return Account(
        fake,
        lambda right: _owner(
            PlivoProvider(
                PlivoConfig("MA1", "token" if right else "wrong", api_base_url=fake.url),
                public_base_url=BASE,
            )
        ),
    )


def telnyx_account() -> Account:
    fake = FakeTelnyx("key")
    return Account(
        fake,
        lambda right: _owner(
            TelnyxProvider(
                TelnyxConfig(
                    "key" if right else "wrong", "conn", fake.public_key, api_base_url=fake.url
                ),
                public_base_url=BASE,
            )
        ),
    )


def vonage_account() -> Account:
    fake = FakeVonage("app-1", "s" * 32)
    return Account(
        fake,
        lambda right: _owner(
            VonageProvider(
                VonageConfig(
                    "app-1",
                    fake.private_key_pem,
                    "s" * 32,
                    api_base_url=fake.url,
                    numbers_api_base_url=fake.url,
                    api_key=fake.api_key,
                    api_secret=fake.api_secret if right else "wrong",
                ),
                public_base_url=BASE,
                clock=ManualClock(),
            )
        ),
    )


ACCOUNTS = pytest.mark.parametrize(
    "account",
    [twilio_account, plivo_account, telnyx_account, vonage_account],
    ids=["twilio", "plivo", "telnyx", "vonage"],
)


def owns(owner: NumberOwner, number: str) -> NumberOwnership:
    return asyncio.run(owner.owns_number(number))


@ACCOUNTS
def test_a_number_the_account_owns_is_owned_and_another_is_not(
    account: Callable[[], Account],
) -> None:
    made = account()
    made.fake.owned.add(OWNED)
    with made.fake.running():
        owner = made.build(True)
        assert owns(owner, OWNED).owned
        not_owned = owns(owner, STRANGER)
    assert not not_owned.owned
    assert "not" in not_owned.how or "neither" in not_owned.how


@ACCOUNTS
def test_wrong_credentials_are_an_error_not_an_answer(account: Callable[[], Account]) -> None:
    made = account()
    made.fake.owned.add(OWNED)
    with made.fake.running(), pytest.raises(ProviderError) as caught:
        owns(made.build(False), OWNED)
    assert caught.value.code == "provider_auth"
    assert caught.value.retry_safe


def test_twilio_counts_a_verified_caller_id_of_the_account() -> None:
    made = twilio_account()
    made.fake.verified_caller_ids.add(OWNED)
    with made.fake.running():
        answer = owns(made.build(True), OWNED)
    assert answer == NumberOwnership(True, "a verified caller ID of the account")
    # Incoming numbers first, then verified caller IDs, each filtered by the number.
    assert [(path.rsplit("/", 1)[1], wanted) for _, path, wanted in made.fake.requests] == [
        ("IncomingPhoneNumbers.json", OWNED),
        ("OutgoingCallerIds.json", OWNED),
    ]


def test_vonage_needs_the_accounts_api_key_and_secret() -> None:
    fake = FakeVonage("app-1", "s" * 32)
    provider = VonageProvider(
        VonageConfig("app-1", fake.private_key_pem, "s" * 32, api_base_url="http://unused"),
        public_base_url=BASE,
        clock=ManualClock(),
    )
    with pytest.raises(ProviderError) as caught:
        owns(_owner(provider), OWNED)
    assert caught.value.code == "provider_config"
    assert "api_key and api_secret" in caught.value.user_message
