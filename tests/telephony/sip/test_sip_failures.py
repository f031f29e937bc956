"""How a call that does not reach a human ends, by what the trunk said and when.

Before any 18x (ringing or session progress) a final failure means the trunk placed no call: the
dial raises a retry-safe ProviderError so the worker tries the next account at once. After 18x
the same answers mean nobody answered. 486/600 are busy and 603 unanswered, whenever they come.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.telephony.sip.calls import (
    CALL_LIMIT,
    CONTACT,
    fake_speech,
    kinds,
    place_call,
    provisional,
    refusing,
    reply,
    request,
    sdp_of,
    trunk,
)
from tests.telephony.sip.sipp import Sipp, requires_sipp, sipp_uas
from tocsin.telephony.base import CallEventKind, ProviderError
from tocsin.telephony.sip import SipTrunkConfig, SipTrunkProvider

pytestmark = requires_sipp


@pytest.mark.parametrize(
    "status",
    [
        "403 Forbidden",
        "404 Not Found",
        "408 Request Timeout",
        "480 Temporarily Unavailable",
        "484 Address Incomplete",
        "488 Not Acceptable Here",
        "500 Server Internal Error",
        "503 Service Unavailable",
        "504 Server Time-out",
        "604 Does Not Exist Anywhere",
    ],
)
@pytest.mark.parametrize("before", [(), ("100 Trying",)], ids=["at-once", "after-100"])
def test_a_refusal_before_ringing_places_no_call_and_is_safe_to_fail_over(
    tmp_path: Path, status: str, before: tuple[str, ...]
) -> None:
    with sipp_uas(
        "reject.xml", tmp_path, replacements=refusing(status, before=before), rtp_echo=False
    ) as sipp:
        with pytest.raises(ProviderError) as raised:
            place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert raised.value.retry_safe
    assert raised.value.code == f"sip_{status[:3]}"
    assert raised.value.user_message == (
        f"The SIP trunk refused the call ({status}) before it rang; no call was placed."
    )
    assert raised.value.retry_after is None


@pytest.mark.parametrize(
    "status",
    ["403 Forbidden", "404 Not Found", "480 Temporarily Unavailable", "503 Service Unavailable"],
)
def test_the_same_refusal_after_ringing_is_unanswered(tmp_path: Path, status: str) -> None:
    with sipp_uas(
        "reject.xml", tmp_path, replacements=refusing(status, before=("180 Ringing",))
    ) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events) == [CallEventKind.RINGING, CallEventKind.NO_ANSWER]
    assert events[-1].detail == status


@pytest.mark.parametrize("before", [(), ("180 Ringing",)], ids=["at-once", "after-ringing"])
def test_decline_is_unanswered_whenever_it_comes(tmp_path: Path, before: tuple[str, ...]) -> None:
    with sipp_uas(
        "reject.xml", tmp_path, replacements=refusing("603 Decline", before=before)
    ) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events)[-1] == CallEventKind.NO_ANSWER
    assert events[-1].detail == "603 Decline"


@pytest.mark.parametrize("status", ["486 Busy Here", "600 Busy Everywhere"])
def test_busy_is_busy_even_before_ringing(tmp_path: Path, status: str) -> None:
    with sipp_uas("reject.xml", tmp_path, replacements=refusing(status)) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events) == [CallEventKind.BUSY]
    assert events[-1].detail == status


def test_busy_with_retry_after_says_so(tmp_path: Path) -> None:
    busy = refusing("486 Busy Here", headers=("Retry-After: 60",))
    with sipp_uas("reject.xml", tmp_path, replacements=busy) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events) == [CallEventKind.BUSY]
    assert events[-1].detail == "486 Busy Here (Retry-After 60 s)"


def test_a_silent_trunk_is_given_up_after_the_invite_timeout_and_is_safe_to_fail_over(
    tmp_path: Path,
) -> None:
    with sipp_uas(
        "late.xml", tmp_path, replacements={"SILENCE": "1700", "THEN": ""}, rtp_echo=False
    ) as sipp:
        with pytest.raises(ProviderError) as raised:
            place_call(trunk(sipp, invite_timeout=1.0), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert raised.value.retry_safe
    assert raised.value.code == "sip_timeout"
    assert raised.value.user_message == (
        "The SIP trunk did not answer the INVITE within 1 s; no call was placed."
    )
    # Sent at 0 and retransmitted at 0.5 s (RFC 3261 timer A); given up at 1 s, it is not sent
    # again at 1.5 s, while SIPp still listens.
    assert len(sipp.received("INVITE")) == 2


def _dial_expecting_refusal(config: SipTrunkConfig, sipp: Sipp) -> ProviderError:
    """Dial, expect the dial to fail, and keep the provider open until SIPp's scenario ends
    (what it does after the dial failed is what the test is about)."""

    async def scenario() -> ProviderError:
        provider = SipTrunkProvider(config, synthesize=fake_speech)
        try:
            async with asyncio.timeout(CALL_LIMIT):
                with pytest.raises(ProviderError) as raised:
                    await provider.dial(request())
                await asyncio.to_thread(sipp.wait)
                return raised.value
        finally:
            await provider.close()

    return asyncio.run(scenario())


def test_an_answer_after_the_invite_timeout_is_acknowledged_and_hung_up(tmp_path: Path) -> None:
    with sipp_uas(
        "late.xml", tmp_path, replacements={"SILENCE": "1500", "THEN": LATE_ANSWER}
    ) as sipp:
        error = _dial_expecting_refusal(trunk(sipp, invite_timeout=1.0), sipp)
        assert sipp.wait() == 0, sipp.diagnostics()

    assert error.code == "sip_timeout"
    # SIPp's scenario ends only once our ACK and then our BYE came: nobody on a silent line.
    assert len(sipp.received("ACK")) == 1
    assert len(sipp.received("BYE")) == 1


LATE_ANSWER = "\n  ".join(
    [
        reply("200 OK", headers=(CONTACT,), body=sdp_of(), tag=True, retrans=True),
        '<recv request="ACK"/>',
        '<recv request="BYE"/>',
        reply("200 OK"),
    ]
)


def test_an_answer_crossing_our_cancel_is_acknowledged_and_hung_up(tmp_path: Path) -> None:
    with sipp_uas("cancel_crossing.xml", tmp_path) as sipp:
        events, _ = place_call(trunk(sipp, ring_timeout=1.0), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events) == [CallEventKind.RINGING, CallEventKind.NO_ANSWER]
    assert events[-1].detail == "answered after CANCEL; hung up"
    assert [len(sipp.received(m)) for m in ("CANCEL", "ACK", "BYE")] == [1, 1, 1]


def test_a_dial_given_up_before_any_answer_stops_the_invite_and_cancels_a_late_ring(
    tmp_path: Path,
) -> None:
    async def scenario(config: SipTrunkConfig, sipp: Sipp) -> None:
        provider = SipTrunkProvider(config, synthesize=fake_speech)
        try:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(provider.dial(request()), timeout=0.2)
            await asyncio.to_thread(sipp.wait)
        finally:
            await provider.close()

    with sipp_uas(
        "late.xml", tmp_path, replacements={"SILENCE": "1700", "THEN": LATE_RING}, rtp_echo=False
    ) as sipp:
        asyncio.run(scenario(trunk(sipp), sipp))
        assert sipp.wait() == 0, sipp.diagnostics()

    # Without our giving up, the INVITE would have been sent again at 0.5 s and 1.5 s.
    assert len(sipp.received("INVITE")) == 1
    assert len(sipp.received("CANCEL")) == 1


LATE_RING = "\n  ".join(
    [
        provisional("180 Ringing"),
        '<recv request="CANCEL"/>',
        reply("200 OK", tag=True),
        reply("487 Request Terminated", tag=True, cseq="CSeq: 1 INVITE"),
        '<recv request="ACK"/>',
    ]
)


def _dial_twice(config: SipTrunkConfig) -> list[ProviderError]:
    """Two dials, one after the other, through one provider; both expected to fail."""

    async def scenario() -> list[ProviderError]:
        provider = SipTrunkProvider(config, synthesize=fake_speech)
        errors = []
        try:
            async with asyncio.timeout(CALL_LIMIT):
                for key in ("attempt-1", "attempt-2"):
                    with pytest.raises(ProviderError) as raised:
                        await provider.dial(request(key))
                    errors.append(raised.value)
            return errors
        finally:
            await provider.close()

    return asyncio.run(scenario())


@pytest.mark.parametrize(
    ("retry_after", "rest"), [("120", 120.0), ("3600;duration=600", 300.0), ("0", None)]
)
def test_a_503_with_retry_after_rests_the_trunk_without_sending_it_anything(
    tmp_path: Path, retry_after: str, rest: float | None
) -> None:
    refusal = refusing("503 Service Unavailable", headers=(f"Retry-After: {retry_after}",))
    calls = 1 if rest else 2
    with sipp_uas("reject.xml", tmp_path, replacements=refusal, calls=calls) as sipp:
        first, second = _dial_twice(trunk(sipp))
        assert sipp.wait() == 0, sipp.diagnostics()

    assert (first.code, first.retry_safe, first.retry_after) == ("sip_503", True, rest)
    if rest is None:
        assert second.code == "sip_503"
        return
    assert len(sipp.received("INVITE")) == 1
    assert (second.code, second.retry_safe) == ("sip_resting", True)
    assert second.retry_after is not None
    assert rest - 5 < second.retry_after <= rest
    assert second.user_message.startswith("The SIP trunk asked for no calls for ")


def test_retry_after_on_480_is_passed_on_but_does_not_rest_the_trunk(tmp_path: Path) -> None:
    refusal = refusing("480 Temporarily Unavailable", headers=("Retry-After: 60",))
    with sipp_uas("reject.xml", tmp_path, replacements=refusal, calls=2) as sipp:
        errors = _dial_twice(trunk(sipp))
        assert sipp.wait() == 0, sipp.diagnostics()

    # Retry-After on 480 is about the callee (RFC 3261 20.33), not the trunk: both calls went.
    assert [(e.code, e.retry_after) for e in errors] == [("sip_480", 60.0), ("sip_480", 60.0)]
    assert len(sipp.received("INVITE")) == 2
