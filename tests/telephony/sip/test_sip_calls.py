"""Calls through SipTrunkProvider to a real SIP peer: SIPp, driven by scenario files."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from tests.telephony.sip.calls import (
    CALL_LIMIT,
    after_prompt,
    answering,
    assert_ordered,
    digits_of,
    fake_speech,
    kinds,
    pause,
    place_call,
    presses,
    request,
    rfc4733,
    trunk,
)
from tests.telephony.sip.sipp import HOST, Sipp, free_port_block, requires_sipp, sipp_uas
from tocsin.core.clock import ManualClock
from tocsin.telephony.audio import Pcm
from tocsin.telephony.base import CallEvent, CallEventKind, ProviderError
from tocsin.telephony.sip import SipTrunkConfig, SipTrunkProvider
from tocsin.telephony.sip.call import SipCall
from tocsin.telephony.sip.digest import Challenge, digest_response, parse_authorization
from tocsin.telephony.tts import SpeechError

pytestmark = requires_sipp


def test_callee_presses_1_and_hears_the_prompt(tmp_path: Path) -> None:
    play = rfc4733(tmp_path, "1")
    with sipp_uas("answer.xml", tmp_path, replacements=answering(after_prompt(play))) as sipp:
        events, call = place_call(trunk(sipp), request("attempt-press-1"), real_speech=True)
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events) == [
        CallEventKind.TRYING,
        CallEventKind.RINGING,
        CallEventKind.ANSWERED,
        CallEventKind.DIGITS,
        CallEventKind.COMPLETED,
    ]
    assert events[3].digits == "1"
    assert_ordered(events)
    # SIPp echoed our RTP back: the espeak prompt was audible, not silence.
    assert call.media.stats.received_rms > 300

    (invite,) = sipp.received("INVITE")
    assert 'From: "+15550001111" <sip:+15550001111@alerts.example>;tag=' in invite
    assert "P-Asserted-Identity: <sip:+15550001111@alerts.example>" in invite
    assert "X-Tocsin-Attempt: attempt-press-1" in invite
    assert "X-Customer-Ref: ops;team=<db>" in invite
    assert "m=audio" in invite
    assert " RTP/AVP 0 8 101" in invite
    assert "a=rtpmap:101 telephone-event/8000" in invite
    assert len(sipp.received("BYE")) == 1


def test_answered_call_without_a_key_completes_with_no_digits(tmp_path: Path) -> None:
    with sipp_uas("answer.xml", tmp_path, replacements=answering()) as sipp:
        events, call = place_call(trunk(sipp, max_call_seconds=2.0), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events)[-2:] == [CallEventKind.ANSWERED, CallEventKind.COMPLETED]
    assert not any(event.digits for event in events)
    assert "time limit" in events[-1].detail
    assert call.media.stats.received_rms > 1000


def test_telephone_event_payload_type_comes_from_the_answer(tmp_path: Path) -> None:
    play = rfc4733(tmp_path, "2", payload_type=96)
    with sipp_uas(
        "answer.xml", tmp_path, replacements=answering(after_prompt(play), te_pt=96)
    ) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert [event.digits for event in events if event.kind == CallEventKind.DIGITS] == ["2"]
    assert events[-1].kind == CallEventKind.COMPLETED


def test_call_over_tcp(tmp_path: Path) -> None:
    play = rfc4733(tmp_path, "1")
    with sipp_uas(
        "answer.xml",
        tmp_path,
        transport="tcp",
        replacements=answering(after_prompt(play)),
    ) as sipp:
        events, _ = place_call(trunk(sipp, transport="tcp"), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert [event.digits for event in events if event.kind == CallEventKind.DIGITS] == ["1"]
    (invite,) = sipp.received("INVITE")
    assert "Via: SIP/2.0/TCP" in invite


def test_busy_callee_is_reported_busy(tmp_path: Path) -> None:
    clock = ManualClock()
    with sipp_uas("busy.xml", tmp_path, rtp_echo=False) as sipp:
        events, _ = place_call(trunk(sipp), request(), clock=clock)
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events) == [CallEventKind.TRYING, CallEventKind.BUSY]
    assert events[-1].detail == "486 Busy Here"
    assert all(event.at == clock.now() for event in events)


def test_unanswered_call_is_cancelled_after_the_ring_timeout(tmp_path: Path) -> None:
    with sipp_uas(
        "ring_forever.xml", tmp_path, replacements={"RING_DELAY": "0"}, rtp_echo=False
    ) as sipp:
        events, _ = place_call(trunk(sipp, ring_timeout=1.0), request())
        # SIPp's scenario only completes if our CANCEL arrived and was followed by the ACK.
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events) == [CallEventKind.RINGING, CallEventKind.NO_ANSWER]
    assert len(sipp.received("CANCEL")) == 1


def test_digest_challenge_is_answered(tmp_path: Path) -> None:
    with sipp_uas(
        "challenge.xml", tmp_path, replacements={"USER": "tocsin", "PASSWORD": "s3cret"}
    ) as sipp:
        config = trunk(sipp, username="tocsin", password="s3cret", max_call_seconds=1.0)
        events, call = place_call(config, request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events)[-2:] == [CallEventKind.ANSWERED, CallEventKind.COMPLETED]
    assert events[-2].detail == "PCMA"
    first, second = sipp.received("INVITE")
    assert "Authorization" not in first
    header = next(line for line in second.splitlines() if line.startswith("Authorization:"))
    params = parse_authorization(header.split(":", 1)[1])
    challenge = Challenge(realm="trunk.example", nonce="4f1c2a9b7e", qop=("auth",))
    expected = digest_response(
        challenge,
        username="tocsin",
        password="s3cret",
        method="INVITE",
        uri=params["uri"],
        cnonce=params["cnonce"],
        nonce_count=int(params["nc"], 16),
    )
    assert params["response"] == expected
    assert params["opaque"] == "c0ffee"
    assert call.media.stats.received_rms > 1000


def test_wrong_password_fails_the_dial(tmp_path: Path) -> None:
    with sipp_uas(
        "challenge.xml", tmp_path, replacements={"USER": "tocsin", "PASSWORD": "right"}
    ) as sipp:
        config = trunk(sipp, username="tocsin", password="wrong")
        with pytest.raises(ProviderError) as raised:
            place_call(config, request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert raised.value.code == "sip_403"


def test_unreachable_tcp_trunk_is_safe_to_retry(tmp_path: Path) -> None:
    config = SipTrunkConfig(host=HOST, port=free_port_block(1), transport="tcp")
    with pytest.raises(ProviderError) as raised:
        place_call(config, request())
    assert raised.value.retry_safe
    assert raised.value.code == "sip_unreachable"


def test_star_repeats_the_prompt_and_the_next_key_counts(tmp_path: Path) -> None:
    play = f"{rfc4733(tmp_path, 'star')}\n  {pause(600)}\n  {rfc4733(tmp_path, '2')}"
    with sipp_uas("answer.xml", tmp_path, replacements=answering(after_prompt(play))) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert [event.digits for event in events if event.kind == CallEventKind.DIGITS] == ["*", "2"]
    assert events[-1].detail == "key 2"
    assert_ordered(events)


def test_9_and_9_again_stops_calls_and_hangs_up(tmp_path: Path) -> None:
    play = presses(tmp_path, "9", "9")
    with sipp_uas("answer.xml", tmp_path, replacements=answering(play)) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert digits_of(events) == ["9", "9"]
    assert events[-1].detail == "key 9"
    assert len(sipp.received("BYE")) == 1
    assert_ordered(events)


def test_a_single_9_only_asks_and_silence_stops_nothing(tmp_path: Path) -> None:
    play = presses(tmp_path, "9")
    with sipp_uas("answer.xml", tmp_path, replacements=answering(play)) as sipp:
        events, _ = place_call(trunk(sipp, max_call_seconds=4.0), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert digits_of(events) == ["9"]
    # The question was asked and went unanswered: the call ran to its time limit.
    assert events[-1].detail == "no key before the time limit"


def test_star_after_9_goes_back_and_1_then_acknowledges(tmp_path: Path) -> None:
    play = presses(tmp_path, "9", "star", "1")
    with sipp_uas("answer.xml", tmp_path, replacements=answering(play)) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert digits_of(events) == ["9", "*", "1"]
    assert events[-1].detail == "key 1"


def test_a_call_without_a_menu_says_its_text_ignores_keys_and_hangs_up(tmp_path: Path) -> None:
    # Long enough (3 s of fake speech) that SIPp's key comes while it is being said.
    text = "Your code is 1, 2, 3, 4, 5, 6. Again, your code is 1, 2, 3, 4, 5, 6."
    verification = replace(request("verify/ver_1"), spoken_text=text, offers_menu=False)
    spoken: list[str] = []

    def speech(text: str, voice: str) -> Pcm:
        spoken.append(text)
        return fake_speech(text, voice)

    async def scenario(config: SipTrunkConfig) -> list[CallEvent]:
        provider = SipTrunkProvider(config, synthesize=speech)
        try:
            async with asyncio.timeout(CALL_LIMIT):
                call = await provider.dial(verification)
                events = [event async for event in call.events()]
                await call.wait()
                return events
        finally:
            await provider.close()

    play = presses(tmp_path, "1")
    with sipp_uas("answer.xml", tmp_path, replacements=answering(play)) as sipp:
        events = asyncio.run(scenario(trunk(sipp)))
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events)[-2:] == [CallEventKind.ANSWERED, CallEventKind.COMPLETED]
    assert digits_of(events) == []
    assert events[-1].detail == "said without a menu"
    assert spoken == [text]
    assert len(sipp.received("BYE")) == 1


def test_callee_hanging_up_completes_the_call_without_digits(tmp_path: Path) -> None:
    with sipp_uas("callee_hangs_up.xml", tmp_path) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events) == [CallEventKind.ANSWERED, CallEventKind.COMPLETED]
    assert events[-1].detail == "callee hung up"
    assert sipp.received("BYE") == []  # we answered the callee's BYE and sent none


def test_tocsin_can_hang_up_an_answered_call(tmp_path: Path) -> None:
    async def scenario(config: SipTrunkConfig) -> list[CallEvent]:
        provider = SipTrunkProvider(config, synthesize=fake_speech)
        try:
            async with asyncio.timeout(CALL_LIMIT):
                call = await provider.dial(request())
                events = []
                async for event in call.events():
                    events.append(event)
                    if event.kind == CallEventKind.ANSWERED:
                        await call.hangup()
                return events
        finally:
            await provider.close()

    with sipp_uas("answer.xml", tmp_path, replacements=answering()) as sipp:
        events = asyncio.run(scenario(trunk(sipp, max_call_seconds=20.0)))
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events)[-2:] == [CallEventKind.ANSWERED, CallEventKind.COMPLETED]
    assert events[-1].detail == "hung up by Tocsin"


def test_registration_answers_the_challenge_and_unregisters_on_close(tmp_path: Path) -> None:
    async def scenario(config: SipTrunkConfig) -> int:
        provider = SipTrunkProvider(config, synthesize=fake_speech)
        assert provider.registration is not None
        try:
            async with asyncio.timeout(CALL_LIMIT):
                await provider.register()
                return provider.registration.expires
        finally:
            await provider.close()

    with sipp_uas("register.xml", tmp_path, rtp_echo=False) as sipp:
        config = trunk(sipp, register=True, username="tocsin", password="s3cret")
        granted = asyncio.run(scenario(config))
        assert sipp.wait() == 0, sipp.diagnostics()

    assert granted == 60
    first, second, last = sipp.received("REGISTER")
    assert "Authorization" not in first
    assert 'Authorization: Digest username="tocsin"' in second
    assert "Expires: 0" in last


def test_speech_failure_after_answer_hangs_up_and_fails(tmp_path: Path) -> None:
    def broken_speech(text: str, voice: str) -> Pcm:
        raise SpeechError("The voice 'xx' is not available.")

    async def scenario(config: SipTrunkConfig) -> list[CallEvent]:
        provider = SipTrunkProvider(config, synthesize=broken_speech)
        try:
            async with asyncio.timeout(CALL_LIMIT):
                call = await provider.dial(request())
                return [event async for event in call.events()]
        finally:
            await provider.close()

    with sipp_uas("answer.xml", tmp_path, replacements=answering()) as sipp:
        events = asyncio.run(scenario(trunk(sipp)))
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events)[-2:] == [CallEventKind.ANSWERED, CallEventKind.FAILED]
    assert len(sipp.received("BYE")) == 1


def test_dial_abandoned_before_ringing_still_cancels_the_call(tmp_path: Path) -> None:
    async def scenario(config: SipTrunkConfig, sipp: Sipp) -> int:
        provider = SipTrunkProvider(config, synthesize=fake_speech)
        try:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(provider.dial(request()), timeout=0.1)
            # The call goes on in the background until SIPp has had its CANCEL.
            return await asyncio.to_thread(sipp.wait)
        finally:
            await provider.close()

    with sipp_uas(
        "ring_forever.xml", tmp_path, replacements={"RING_DELAY": "400"}, rtp_echo=False
    ) as sipp:
        status = asyncio.run(scenario(trunk(sipp), sipp))
        assert status == 0, sipp.diagnostics()

    assert len(sipp.received("CANCEL")) == 1


def test_concurrent_calls_share_one_sip_socket_and_have_their_own_media(tmp_path: Path) -> None:
    async def scenario(config: SipTrunkConfig) -> list[tuple[list[CallEvent], SipCall]]:
        provider = SipTrunkProvider(config, synthesize=fake_speech)

        async def one(key: str) -> tuple[list[CallEvent], SipCall]:
            call = await provider.dial(request(key))
            return [event async for event in call.events()], call

        try:
            async with asyncio.timeout(CALL_LIMIT):
                return await asyncio.gather(*(one(f"attempt-{n}") for n in range(3)))
        finally:
            await provider.close()

    with sipp_uas("answer.xml", tmp_path, replacements=answering(), calls=3) as sipp:
        results = asyncio.run(scenario(trunk(sipp, max_call_seconds=1.5)))
        assert sipp.wait() == 0, sipp.diagnostics()

    assert all(kinds(events)[-1] == CallEventKind.COMPLETED for events, _ in results)
    assert len({call.media.local_port for _, call in results}) == 3
    assert all(call.media.stats.received_rms > 1000 for _, call in results)
    vias = {invite.split("Via: ", 1)[1].split(";", 1)[0] for invite in sipp.received("INVITE")}
    assert len(vias) == 1  # one SIP socket for all three


def test_trunk_given_by_host_name_is_resolved(tmp_path: Path) -> None:
    with sipp_uas("busy.xml", tmp_path, rtp_echo=False) as sipp:
        events, _ = place_call(trunk(sipp, host="localhost"), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events) == [CallEventKind.TRYING, CallEventKind.BUSY]
