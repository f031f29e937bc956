"""Keys as gateways send them: by SIP INFO in either body format, by RFC 4733 on the payload type
we offered or the one the answer chose, and by INFO and RFC 4733 at once for the same press."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.telephony.sip.calls import (
    answering,
    digits_of,
    in_dialog,
    info,
    pause,
    place_call,
    request,
    rfc4733,
    trunk,
)
from tests.telephony.sip.sipp import requires_sipp, sipp_uas

pytestmark = requires_sipp


@pytest.mark.parametrize("info_first", [True, False], ids=["info-first", "rfc4733-first"])
def test_a_9_sent_both_by_info_and_rfc4733_is_one_key(tmp_path: Path, info_first: bool) -> None:
    both = (
        f"{info('9', 2)}\n  {rfc4733(tmp_path, '9')}"
        if info_first
        else f"{rfc4733(tmp_path, '9')}\n  {pause(300)}\n  {info('9', 2)}"
    )
    with sipp_uas(
        "answer.xml", tmp_path, replacements=answering(f"{pause(300)}\n  {both}")
    ) as sipp:
        events, _ = place_call(trunk(sipp, max_call_seconds=2.5), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    # One 9 only asks whether to stop calls; a second would have stopped them and hung up.
    assert digits_of(events) == ["9"]
    assert events[-1].detail == "no key before the time limit"


def test_two_presses_of_9_each_sent_both_ways_are_two_keys(tmp_path: Path) -> None:
    first = f"{info('9', 2)}\n  {rfc4733(tmp_path, '9', press=0)}"
    second = f"{info('9', 3)}\n  {rfc4733(tmp_path, '9', press=1)}"
    play = f"{pause(300)}\n  {first}\n  {pause(700)}\n  {second}"
    with sipp_uas("answer.xml", tmp_path, replacements=answering(play)) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert digits_of(events) == ["9", "9"]
    assert events[-1].detail == "key 9"


def test_a_retransmitted_info_is_one_key(tmp_path: Path) -> None:
    # The same INFO twice (same CSeq, same branch), as when our 200 is lost on the way.
    copy = info("9", 2, branch="z9hG4bK-info-9", wait=False)
    # SIPp takes an identical 200 for a retransmission, so it may or may not see the second.
    second_200 = '<recv response="200" timeout="1000" ontimeout="copied"/>\n  <label id="copied"/>'
    play = f'{pause(300)}\n  {copy}\n  <recv response="200"/>\n  {copy}\n  {second_200}'
    with sipp_uas("answer.xml", tmp_path, replacements=answering(play)) as sipp:
        events, _ = place_call(trunk(sipp, max_call_seconds=2.0), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert digits_of(events) == ["9"]


def test_a_key_on_the_offered_payload_type_is_heard_when_the_answer_chose_another(
    tmp_path: Path,
) -> None:
    # We offered telephone-event as 101 (what we receive), the answer numbered it 100 (what the
    # far end receives), and the far end sends on ours, as RFC 3264 section 5.1 says it should.
    play = f"{pause(300)}\n  {rfc4733(tmp_path, '1', payload_type=101)}"
    with sipp_uas("answer.xml", tmp_path, replacements=answering(play, te_pt=100)) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert digits_of(events) == ["1"]
    assert events[-1].detail == "key 1"


def test_a_key_by_info_with_application_dtmf_is_heard(tmp_path: Path) -> None:
    play = f"{pause(300)}\n  {info('1', 2, content_type='application/dtmf')}"
    with sipp_uas("answer.xml", tmp_path, replacements=answering(play)) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert digits_of(events) == ["1"]
    assert events[-1].detail == "key 1"


def test_an_info_we_cannot_read_is_refused_and_the_call_goes_on(tmp_path: Path) -> None:
    refresh = in_dialog(
        "INFO",
        2,
        headers="Content-Type: application/media_control+xml",
        body="<media_control/>",
        wait=False,
    )
    play = f"{pause(300)}\n  {refresh}\n  {RECV_415}\n  {info('1', 3)}"
    with sipp_uas("answer.xml", tmp_path, replacements=answering(play)) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert digits_of(events) == ["1"]


RECV_415 = """<recv response="415">
    <action>
      <ereg regexp="application/dtmf, application/dtmf-relay" search_in="hdr" header="Accept:"
            check_it="true" assign_to="accepted"/>
    </action>
  </recv>
  <Reference variables="accepted"/>"""
