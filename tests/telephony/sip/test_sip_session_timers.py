"""Session timers (RFC 4028): we say we support them, take the interval the far end sets, keep
the session alive when we are the refresher, and end it when the far end lets it lapse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.telephony.sip.calls import (
    SDP,
    answering,
    digits_of,
    in_dialog,
    kinds,
    ok_to,
    pause,
    place_call,
    reply,
    request,
    rfc4733,
    sdp_of,
    trunk,
)
from tests.telephony.sip.sipp import requires_sipp, sipp_uas
from tocsin.telephony.base import CallEventKind
from tocsin.telephony.sip.message import SipMessage
from tocsin.telephony.sip.session_timer import SessionTimer, from_our_request, from_their_request

pytestmark = requires_sipp

NO_UPDATE = "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS"
WITH_UPDATE = "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE"


def header(message: str, name: str) -> str:
    found = re.search(rf"^{name}: (.*)$", message, re.M)
    assert found is not None, message
    return found.group(1)


def test_as_refresher_we_refresh_with_update_at_half_the_interval(tmp_path: Path) -> None:
    timers = ("Session-Expires: 2;refresher=uac", "Require: timer", WITH_UPDATE)
    # The refresh is answered with a longer interval, so one refresh is all the call needs.
    refreshed = ok_to("UPDATE", headers=("Session-Expires: 60;refresher=uac", "Require: timer"))
    play = f"{refreshed}\n  {rfc4733(tmp_path, '1')}"
    with sipp_uas("answer.xml", tmp_path, replacements=answering(play, headers=timers)) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert digits_of(events) == ["1"]
    (invite,) = sipp.received("INVITE")
    assert header(invite, "Supported") == "timer"
    (update,) = sipp.received("UPDATE")
    assert header(update, "Session-Expires") == "2;refresher=uac"
    assert header(update, "Supported") == "timer"
    assert "m=audio" not in update  # a refresh, not an offer


def test_without_update_allowed_we_refresh_with_a_re_invite_of_our_unchanged_sdp(
    tmp_path: Path,
) -> None:
    timers = ("Session-Expires: 2;refresher=uac", "Require: timer", NO_UPDATE)
    refreshed = ok_to(
        "INVITE", headers=("Session-Expires: 60;refresher=uac", "Require: timer"), sdp=True
    )
    play = f"{refreshed}\n  {rfc4733(tmp_path, '1')}"
    with sipp_uas("answer.xml", tmp_path, replacements=answering(play, headers=timers)) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert digits_of(events) == ["1"]
    first, refresh = sipp.received("INVITE")
    assert header(refresh, "Session-Expires") == "2;refresher=uac"
    # The same description, version and all: a refresh changes nothing (RFC 3264 8).
    assert re.findall(r"^o=.*$", refresh, re.M) == re.findall(r"^o=.*$", first, re.M)
    assert len(sipp.received("ACK")) == 2


def test_a_session_the_far_end_lets_lapse_is_ended(tmp_path: Path) -> None:
    timers = ("Session-Expires: 3;refresher=uas", "Require: timer", WITH_UPDATE)
    with sipp_uas("answer.xml", tmp_path, replacements=answering(headers=timers)) as sipp:
        events, _ = place_call(trunk(sipp, max_call_seconds=8.0), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    # RFC 4028 10: the far end refreshes; without a refresh we BYE before the session expires.
    assert kinds(events)[-1] == CallEventKind.COMPLETED
    assert events[-1].detail == "the far end did not refresh the session (RFC 4028)"
    assert sipp.received("UPDATE") == []
    assert len(sipp.received("BYE")) == 1


def test_a_refresh_by_the_far_end_keeps_the_session_and_is_answered_with_its_interval(
    tmp_path: Path,
) -> None:
    timers = ("Session-Expires: 3;refresher=uas", "Require: timer", WITH_UPDATE)
    # Refreshed at 1 s (refresher uac: the far end, which sends it) for 6 s, then a key at
    # 2.5 s: past the 2 s at which we would have ended the first interval without a refresh.
    refresh = in_dialog("UPDATE", 2, headers="Session-Expires: 6;refresher=uac\nSupported: timer")
    reinvite = in_dialog(
        "INVITE", 3, headers=f"Session-Expires: 6\nSupported: timer\n{SDP}", body=sdp_of()
    )
    ack = in_dialog("ACK", 3, wait=False)
    play = (
        f"{pause(1000)}\n  {refresh}\n  {pause(500)}\n  {reinvite}\n  {ack}\n  {pause(1000)}"
        f"\n  {rfc4733(tmp_path, '1')}"
    )
    with sipp_uas("answer.xml", tmp_path, replacements=answering(play, headers=timers)) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert digits_of(events) == ["1"]
    update_ok = sipp.responses("UPDATE")[0]
    reinvite_ok = sipp.responses("INVITE")[0]
    assert header(update_ok, "Session-Expires") == "6;refresher=uac"
    assert header(update_ok, "Require") == "timer"
    # Without a refresher named in the request, we let the far end (which asked) refresh.
    assert header(reinvite_ok, "Session-Expires") == "6;refresher=uac"


def test_a_422_is_retried_once_with_the_interval_it_asks_for(tmp_path: Path) -> None:
    with sipp_uas("too_brief.xml", tmp_path) as sipp:
        events, _ = place_call(trunk(sipp, max_call_seconds=1.0), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events)[-2:] == [CallEventKind.ANSWERED, CallEventKind.COMPLETED]
    first, second = sipp.received("INVITE")
    assert "Session-Expires" not in first
    assert header(second, "Session-Expires") == "1800"
    assert header(second, "Min-SE") == "1800"


def test_a_refresh_the_far_end_no_longer_knows_ends_the_call(tmp_path: Path) -> None:
    timers = ("Session-Expires: 2;refresher=uac", "Require: timer", WITH_UPDATE)
    gone = f'<recv request="UPDATE"/>\n  {reply("481 Call/Transaction Does Not Exist")}'
    with sipp_uas("answer.xml", tmp_path, replacements=answering(gone, headers=timers)) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    # RFC 4028 10: a 481 (or 408, or no answer) to a refresh ends the session with a BYE.
    assert events[-1].detail == "the session refresh failed (481 Call/Transaction Does Not Exist)"
    assert len(sipp.received("BYE")) == 1


@pytest.mark.parametrize(
    ("session_expires", "timer"),
    [
        ("1800;refresher=uac", SessionTimer(1800, we_refresh=True)),
        ("1800;refresher=uas", SessionTimer(1800, we_refresh=False)),
        ("1800", SessionTimer(1800, we_refresh=True)),  # unnamed: we refresh, to be safe
        ("soon", None),
        (None, None),
    ],
)
def test_who_refreshes_after_a_2xx_to_our_request(
    session_expires: str | None, timer: SessionTimer | None
) -> None:
    response = SipMessage(status=200, reason="OK")
    if session_expires is not None:
        response.add("Session-Expires", session_expires)
    assert from_our_request(response) == timer


@pytest.mark.parametrize(
    ("session_expires", "timer", "answered"),
    [
        ("90;refresher=uac", SessionTimer(90, we_refresh=False), "90;refresher=uac"),
        ("90;refresher=uas", SessionTimer(90, we_refresh=True), "90;refresher=uas"),
        ("90", SessionTimer(90, we_refresh=False), "90;refresher=uac"),
    ],
)
def test_who_refreshes_after_the_far_ends_request(
    session_expires: str, timer: SessionTimer, answered: str
) -> None:
    refresh = SipMessage(method="UPDATE", uri="sip:tocsin@192.0.2.1")
    refresh.add("x", session_expires)  # the compact form
    assert from_their_request(refresh) == (timer, answered)


def test_we_refresh_at_half_and_end_a_lapsing_session_a_little_before_it_expires() -> None:
    assert SessionTimer(1800, we_refresh=True).act_after == 900
    assert SessionTimer(1800, we_refresh=False).act_after == 1800 - 32
    assert SessionTimer(90, we_refresh=False).act_after == 60
