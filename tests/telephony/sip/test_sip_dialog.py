"""The far end's requests in a call that is up: re-INVITE and UPDATE (session refreshes, SBCs
moving media, hold) are answered with our media description, and the call goes on."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.telephony.sip.calls import (
    SDP,
    answering,
    digits_of,
    in_dialog,
    pause,
    place_call,
    request,
    rfc4733,
    sdp_of,
    trunk,
)
from tests.telephony.sip.sipp import HOST, requires_sipp, sipp_uas

pytestmark = requires_sipp


def origin(message: str) -> str:
    """The o= line of a message's SDP: session id and version (RFC 3264 section 8)."""
    found = re.search(r"^o=.*$", message, re.M)
    assert found is not None, message
    return found.group(0)


def audio_port(message: str) -> str:
    found = re.search(r"^m=audio (\d+) ", message, re.M)
    assert found is not None, message
    return found.group(1)


@contextmanager
def listening_udp() -> Iterator[socket.socket]:
    """A UDP socket of our own, for media the far end moves to it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, 0))
    sock.setblocking(False)
    try:
        yield sock
    finally:
        sock.close()


def packets_waiting(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            sock.recv(2048)
        except BlockingIOError:
            return count
        count += 1


@pytest.mark.parametrize("method", ["INVITE", "UPDATE"])
def test_a_re_offer_mid_call_is_answered_with_our_same_sdp_and_the_next_key_counts(
    tmp_path: Path, method: str
) -> None:
    reoffer = in_dialog(method, 2, headers=SDP, body=sdp_of(version=1))
    ack = in_dialog("ACK", 2, wait=False) if method == "INVITE" else ""
    play = f"{pause(300)}\n  {reoffer}\n  {ack}\n  {pause(300)}\n  {rfc4733(tmp_path, '1')}"
    with sipp_uas("answer.xml", tmp_path, replacements=answering(play)) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert digits_of(events) == ["1"]
    assert events[-1].detail == "key 1"
    (invite,) = sipp.received("INVITE")
    (ok,) = sipp.responses(method)
    assert ok.startswith("SIP/2.0 200 OK")
    # Nothing of ours changed, so our description is the same, version and all.
    assert origin(ok) == origin(invite)
    assert audio_port(ok) == audio_port(invite)


def test_a_re_offer_that_moves_the_far_end_media_is_followed(tmp_path: Path) -> None:
    with listening_udp() as moved:
        port = moved.getsockname()[1]
        reoffer = in_dialog("INVITE", 2, headers=SDP, body=sdp_of(HOST, str(port), version=2))
        ack = in_dialog("ACK", 2, wait=False)
        play = f"{pause(300)}\n  {reoffer}\n  {ack}\n  {pause(600)}\n  {rfc4733(tmp_path, '1')}"
        with sipp_uas("answer.xml", tmp_path, replacements=answering(play)) as sipp:
            events, _ = place_call(trunk(sipp), request())
            assert sipp.wait() == 0, sipp.diagnostics()
        # 600 ms and more of 20 ms frames went to the new address.
        assert packets_waiting(moved) > 20

    assert digits_of(events) == ["1"]


def test_an_offerless_re_invite_gets_our_offer_and_its_answer_in_the_ack_is_followed(
    tmp_path: Path,
) -> None:
    with listening_udp() as moved:
        port = moved.getsockname()[1]
        reinvite = in_dialog("INVITE", 2)
        ack = in_dialog("ACK", 2, headers=SDP, body=sdp_of(HOST, str(port), version=2), wait=False)
        play = f"{pause(300)}\n  {reinvite}\n  {ack}\n  {pause(600)}\n  {rfc4733(tmp_path, '1')}"
        with sipp_uas("answer.xml", tmp_path, replacements=answering(play)) as sipp:
            events, _ = place_call(trunk(sipp), request())
            assert sipp.wait() == 0, sipp.diagnostics()
        assert packets_waiting(moved) > 20

    assert digits_of(events) == ["1"]
    (invite,) = sipp.received("INVITE")
    (ok,) = sipp.responses("INVITE")
    assert origin(ok) == origin(invite)


def test_hold_is_answered_recvonly_with_a_new_version_and_resuming_with_another(
    tmp_path: Path,
) -> None:
    hold = in_dialog("UPDATE", 2, headers=SDP, body=sdp_of(version=2, direction="sendonly"))
    resume = in_dialog("UPDATE", 3, headers=SDP, body=sdp_of(version=3))
    play = f"{pause(300)}\n  {hold}\n  {pause(300)}\n  {resume}\n  {rfc4733(tmp_path, '1')}"
    with sipp_uas("answer.xml", tmp_path, replacements=answering(play)) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert digits_of(events) == ["1"]
    (invite,) = sipp.received("INVITE")
    held, resumed = sipp.responses("UPDATE")
    session, version = origin(invite).split()[1:3]
    # RFC 3264 8.4: a sendonly offer is answered recvonly; each change of ours is a new version.
    assert origin(held).split()[1:3] == [session, str(int(version) + 1)]
    assert "a=recvonly" in held
    assert origin(resumed).split()[1:3] == [session, str(int(version) + 2)]
    assert "a=sendrecv" in resumed


def test_options_says_what_we_allow_and_a_late_cancel_changes_nothing(tmp_path: Path) -> None:
    options = in_dialog("OPTIONS", 2)
    reinvite = in_dialog("INVITE", 3, headers=SDP, body=sdp_of())
    # A CANCEL of the re-INVITE, after its 200: too late to do anything (RFC 3261 9.2).
    cancel = in_dialog("CANCEL", 3, branch="[branch]")
    ack = in_dialog("ACK", 3, wait=False)
    play = (
        f"{pause(300)}\n  {options}\n  {reinvite}\n  {ack}\n  {cancel}\n  {pause(200)}"
        f"\n  {rfc4733(tmp_path, '1')}"
    )
    with sipp_uas("answer.xml", tmp_path, replacements=answering(play)) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert digits_of(events) == ["1"]
    (options_ok,) = sipp.responses("OPTIONS")
    assert "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE" in options_ok
    assert "Supported: timer" in options_ok
    (cancel_ok,) = sipp.responses("CANCEL")
    assert cancel_ok.startswith("SIP/2.0 200 OK")
