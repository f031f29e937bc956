"""Which provider account checks a callback: the one that placed the call once that is known,
else the first of the callback's kind in the organization's chain."""

from __future__ import annotations

from pathlib import Path

from tests.telephony.rest.callback_requests import BASE, KEY, form_request, url_of
from tests.telephony.rest.fakes import twilio_signature
from tocsin.core.clock import ManualClock
from tocsin.providers.choice import ProviderChain, ProviderChoice
from tocsin.telephony.callbacks import CallbackAdapter
from tocsin.telephony.rest import TwilioConfig, TwilioProvider
from tocsin.telephony.simulator import SimulatorProvider


def twilio(token: str) -> TwilioProvider:
    return TwilioProvider(TwilioConfig("AC1", token), public_base_url=BASE)


def checks_token(adapter: CallbackAdapter | None, token: str) -> bool:
    """Whether `adapter` holds `token`: it passes a callback signed with it."""
    url = url_of("twilio", "status", key=KEY)
    params = {"CallSid": "CA1", "CallStatus": "ringing"}
    header = {"x-twilio-signature": twilio_signature(token, url, params)}
    return adapter is not None and adapter.verify(form_request(url, list(params.items()), header))


def test_the_account_that_placed_the_call_checks_it_once_that_is_recorded(tmp_path: Path) -> None:
    chain = ProviderChain(
        [
            ProviderChoice(None, SimulatorProvider(tmp_path, clock=ManualClock()), "sim"),
            ProviderChoice("acct_1", twilio("first-token")),
            ProviderChoice("acct_2", twilio("second-token")),
        ]
    )
    assert checks_token(chain.callback_adapter("twilio", None), "first-token")
    assert checks_token(chain.callback_adapter("twilio", ("acct_2", None)), "second-token")
    assert chain.callback_adapter("twilio", ("acct_3", None)) is None
    assert chain.callback_adapter("plivo", None) is None
    assert chain.callback_adapter("simulator", None) is None
