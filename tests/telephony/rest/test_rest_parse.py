"""Each provider's callback statuses, mapped onto the small set of call events."""

from __future__ import annotations

from typing import Any

import pytest

from tocsin.telephony.base import CallEventKind
from tocsin.telephony.rest import plivo, telnyx, twilio, vonage
from tocsin.telephony.rest.telnyx import ClientState

K = CallEventKind


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
    call_sid, [event] = twilio.parse_callback([("CallSid", "CA1"), ("CallStatus", status)])
    assert (call_sid, event.kind) == ("CA1", kind)


def test_twilio_unknown_status_moves_nothing_and_a_gather_reads_one_key() -> None:
    assert twilio.parse_callback([("CallSid", "CA1"), ("CallStatus", "odd")]) == ("CA1", [])
    assert twilio.parse_gather([("CallSid", "CA1"), ("Digits", "12")]) == ("CA1", "1")
    assert twilio.parse_gather([("CallSid", "CA1")]) == ("CA1", "")


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
    request_uuid, [event] = plivo.parse_callback(params)
    assert (request_uuid, event.kind) == ("r-1", kind)


def _telnyx(event_type: str, **payload: Any) -> dict[str, Any]:
    state = ClientState("job_1/1", round_no=1).encode()
    return {
        "data": {
            "event_type": event_type,
            "payload": {"call_control_id": "v3:1", "client_state": state, **payload},
        }
    }


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
    callback = telnyx.parse_callback(_telnyx("call.hangup", hangup_cause=cause))
    assert [event.kind for event in callback.events] == [kind]
    assert callback.call_control_id == "v3:1"


def test_telnyx_carries_the_attempt_and_round_in_client_state() -> None:
    callback = telnyx.parse_callback(_telnyx("call.gather.ended", digits="1", status="valid"))
    assert callback.state == ClientState("job_1/1", round_no=1)
    assert [(e.kind, e.digits) for e in callback.events] == [(K.ANSWERED, ""), (K.DIGITS, "1")]
    assert callback.gather_answered
    hung_up = telnyx.parse_callback(_telnyx("call.gather.ended", status="call_hangup"))
    assert not hung_up.gather_answered
    assert [e.kind for e in hung_up.events] == [K.ANSWERED]
    assert telnyx.parse_callback({"data": {"payload": {"client_state": "%%%"}}}).state is None


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
    call_id, [event] = vonage.parse_callback({"uuid": "u-1", "status": status})
    assert (call_id, event.kind) == ("u-1", kind)


def test_vonage_input_reads_one_key_and_a_timeout_as_none() -> None:
    assert vonage.parse_input({"uuid": "u-1", "dtmf": {"digits": "1"}}) == ("u-1", "1")
    assert vonage.parse_input({"uuid": "u-1", "dtmf": {"digits": "", "timed_out": True}}) == (
        "u-1",
        "",
    )
