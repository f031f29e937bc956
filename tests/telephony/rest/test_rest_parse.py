"""Each provider's callback statuses, read by its adapter into the small set of call events."""

from __future__ import annotations

from typing import Any

import pytest

from tests.telephony.rest.callback_requests import BASE, KEY, form_request, json_request, url_of
from tocsin.telephony.base import CallEventKind
from tocsin.telephony.callbacks import Hook
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
from tocsin.telephony.rest.telnyx import ClientState

K = CallEventKind

TWILIO = TwilioProvider(TwilioConfig("AC1", "token"), public_base_url=BASE).callbacks
PLIVO = PlivoProvider(PlivoConfig("MA1", "token"), public_base_url=BASE).callbacks
TELNYX = TelnyxProvider(TelnyxConfig("key", "c-1", "pk"), public_base_url=BASE).callbacks
VONAGE = VonageProvider(VonageConfig("app", "pem", "secret"), public_base_url=BASE).callbacks


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("queued", K.TRYING),
        ("initiated", K.TRYING),
        ("ringing", K.RINGING),
        ("in-progress", K.ANSWERED),
        ("answered", K.ANSWERED),
        ("completed", K.COMPLETED),
        ("busy", K.BUSY),
        ("no-answer", K.NO_ANSWER),
        ("failed", K.FAILED),
        ("canceled", K.FAILED),
    ],
)
def test_twilio_statuses(status: str, kind: CallEventKind) -> None:
    params = [("CallSid", "CA1"), ("CallStatus", status)]
    event = TWILIO.parse(form_request(url_of("twilio", "status", key=KEY), params))
    assert (event.provider_call_id, [e.kind for e in event.events]) == ("CA1", [kind])


def test_twilio_unknown_status_moves_nothing_and_a_gather_reads_one_key() -> None:
    status = url_of("twilio", "status", key=KEY)
    odd = TWILIO.parse(form_request(status, [("CallSid", "CA1"), ("CallStatus", "odd")]))
    assert (odd.provider_call_id, odd.events) == ("CA1", ())
    gather = url_of("twilio", "gather", key=KEY, round=0)
    pressed = TWILIO.parse(form_request(gather, [("CallSid", "CA1"), ("Digits", "12")]))
    assert (pressed.provider_call_id, pressed.digits) == ("CA1", "1")
    assert TWILIO.parse(form_request(gather, [("CallSid", "CA1")])).digits == ""


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("ringing", K.RINGING),
        ("in-progress", K.ANSWERED),
        ("completed", K.COMPLETED),
        ("busy", K.BUSY),
        ("no-answer", K.NO_ANSWER),
        ("timeout", K.NO_ANSWER),
        ("failed", K.FAILED),
        ("cancel", K.FAILED),
    ],
)
def test_plivo_statuses_are_keyed_by_request_uuid(status: str, kind: CallEventKind) -> None:
    params = [("CallUUID", "c-1"), ("RequestUUID", "r-1"), ("CallStatus", status)]
    event = PLIVO.parse(form_request(url_of("plivo", "status", key=KEY), params))
    assert (event.provider_call_id, [e.kind for e in event.events]) == ("r-1", [kind])


def _telnyx(event_type: str, **payload: Any) -> dict[str, Any]:
    state = ClientState(KEY, round_no=1).encode()
    return {
        "data": {
            "event_type": event_type,
            "payload": {"call_control_id": "v3:1", "client_state": state, **payload},
        }
    }


def _telnyx_parse(body: dict[str, Any]) -> Any:
    return TELNYX.parse(json_request(url_of("telnyx", "events"), body))


@pytest.mark.parametrize(
    ("cause", "kind"),
    [
        ("normal_clearing", K.COMPLETED),
        ("user_busy", K.BUSY),
        ("timeout", K.NO_ANSWER),
        ("call_rejected", K.FAILED),
        ("originator_cancel", K.FAILED),
        ("unspecified", K.FAILED),
    ],
)
def test_telnyx_hangup_causes(cause: str, kind: CallEventKind) -> None:
    event = _telnyx_parse(_telnyx("call.hangup", hangup_cause=cause))
    assert [e.kind for e in event.events] == [kind]
    assert (event.provider_call_id, event.hook) == ("v3:1", Hook.STATUS)


def test_telnyx_carries_the_attempt_and_round_in_client_state() -> None:
    event = _telnyx_parse(_telnyx("call.gather.ended", digits="1", status="valid"))
    assert (event.key, event.round_no, event.hook, event.digits) == (KEY, 1, Hook.KEYPRESS, "1")
    assert [(e.kind, e.digits) for e in event.events] == [(K.ANSWERED, ""), (K.DIGITS, "1")]
    hung_up = _telnyx_parse(_telnyx("call.gather.ended", status="call_hangup"))
    assert hung_up.hook is Hook.STATUS
    assert [e.kind for e in hung_up.events] == [K.ANSWERED]
    assert _telnyx_parse({"data": {"payload": {"client_state": "%%%"}}}).key is None


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("started", K.TRYING),
        ("ringing", K.RINGING),
        ("answered", K.ANSWERED),
        ("completed", K.COMPLETED),
        ("busy", K.BUSY),
        ("timeout", K.NO_ANSWER),
        ("unanswered", K.NO_ANSWER),
        ("rejected", K.FAILED),
        ("failed", K.FAILED),
        ("cancelled", K.FAILED),
    ],
)
def test_vonage_statuses(status: str, kind: CallEventKind) -> None:
    url = url_of("vonage", "event", key=KEY, token="t")
    event = VONAGE.parse(json_request(url, {"uuid": "u-1", "status": status}))
    assert (event.provider_call_id, [e.kind for e in event.events]) == ("u-1", [kind])


def test_vonage_input_reads_one_key_and_a_timeout_as_none() -> None:
    url = url_of("vonage", "input", key=KEY, token="t", round=0)
    pressed = VONAGE.parse(json_request(url, {"uuid": "u-1", "dtmf": {"digits": "1"}}))
    assert (pressed.provider_call_id, pressed.digits) == ("u-1", "1")
    silent = {"uuid": "u-1", "dtmf": {"digits": "", "timed_out": True}}
    assert VONAGE.parse(json_request(url, silent)).digits == ""
