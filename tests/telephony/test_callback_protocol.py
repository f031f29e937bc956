"""The callback adapter protocol's common parts: reading a request, the hooks of per-route
providers, which providers serve callbacks, and which routes exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.telephony.rest.callback_requests import BASE, KEY, form_request, url_of
from tocsin.core.clock import ManualClock
from tocsin.core.errors import InvalidInput, NotFound
from tocsin.telephony.callbacks import (
    CallbackEvent,
    CallView,
    Hook,
    callback_adapter,
    hook_of,
    key_in_url,
    round_in_url,
    turn_after,
)
from tocsin.telephony.dialogue import CallScript
from tocsin.telephony.rest import CALLBACK_KINDS, TwilioConfig, TwilioProvider
from tocsin.telephony.script import MENU_PROMPT
from tocsin.telephony.simulator import SimulatorProvider


def test_the_routes_providers_were_given_are_the_routes_served() -> None:
    routes = {kind: sorted(callbacks.routes) for kind, callbacks in CALLBACK_KINDS.items()}
    assert routes == {
        "twilio": ["answer", "gather", "status"],
        "plivo": ["answer", "gather", "status"],
        "telnyx": ["events"],
        "vonage": ["answer", "event", "input"],
    }


def test_a_request_reads_its_key_round_headers_and_form_as_the_provider_sent_them() -> None:
    url = f"{url_of('twilio', 'gather', key=KEY, round=2)}&key=job_9%2F9"
    request = form_request(url, [("Digits", "1"), ("Digits", "2")], {"x-twilio-signature": "s"})
    # A repeated parameter counts once, the last time, as FastAPI's query parameters did.
    assert (key_in_url(request), round_in_url(request)) == ("job_9/9", 2)
    assert request.header("X-Twilio-Signature") == "s"
    assert request.form() == [("Digits", "1"), ("Digits", "2")]
    with pytest.raises(InvalidInput):
        round_in_url(form_request(url_of("twilio", "gather", key=KEY, round="x"), []))
    with pytest.raises(InvalidInput):
        form_request(url_of("vonage", "event"), []).json_object()


def test_a_route_a_provider_was_not_given_is_not_found() -> None:
    hooks = {"answer": Hook.ANSWER}
    assert hook_of(form_request(url_of("twilio", "answer"), []), hooks) is Hook.ANSWER
    with pytest.raises(NotFound):
        hook_of(form_request(url_of("twilio", "events"), []), hooks)


def test_only_providers_that_report_by_callback_have_an_adapter(tmp_path: Path) -> None:
    twilio = TwilioProvider(TwilioConfig("AC1", "token"), public_base_url=BASE)
    assert callback_adapter(twilio) is not None
    assert callback_adapter(SimulatorProvider(tmp_path, clock=ManualClock())) is None


def test_an_answer_takes_the_first_turn_a_keypress_the_next_and_a_status_none() -> None:
    call = CallView(CallScript("Disk full.", keys="*", offers_menu=True), finished=False)
    answered = turn_after(CallbackEvent(KEY, Hook.ANSWER, "c-1"), call)
    assert answered is not None
    assert answered.text == f"Disk full. {MENU_PROMPT}"
    again = turn_after(CallbackEvent(KEY, Hook.KEYPRESS, "c-1", digits="*", round_no=0), call)
    assert again is not None
    assert again.round_no == 1
    assert turn_after(CallbackEvent(KEY, Hook.STATUS, "c-1"), call) is None
