"""Closing a SIP trunk provider (the engine does when an account is edited, and at shutdown):
calls still going are hung up first, a registration is removed, and nothing is left running
or open. Closing twice is harmless, and a closed provider places no call."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.telephony.sip.calls import CALL_LIMIT, answering, fake_speech, kinds, request, trunk
from tests.telephony.sip.sipp import requires_sipp, sipp_uas
from tocsin.telephony.base import CallEvent, CallEventKind, ProviderError
from tocsin.telephony.sip import SipTrunkConfig, SipTrunkProvider
from tocsin.telephony.sip.call import SipCall

pytestmark = requires_sipp


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def others() -> set[asyncio.Task[object]]:
    """The tasks running besides the test's own."""
    return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]


Use = Callable[[SipTrunkProvider], Awaitable[tuple[list[CallEvent], SipCall | None]]]


def closed_cleanly(config: SipTrunkConfig, use: Use) -> list[CallEvent]:
    """Build a provider, `use` it (which may leave a call going), close it twice, and check
    that it left nothing behind: no task and no file descriptor (socket) more than before it
    existed. The call's events: those `use` read, then the rest, which closing brought."""

    async def scenario() -> list[CallEvent]:
        files, tasks = open_files(), others()
        provider = SipTrunkProvider(config, synthesize=fake_speech)
        async with asyncio.timeout(CALL_LIMIT):
            events, call = await use(provider)
            await provider.close()
            await provider.close()
        assert others() == tasks
        assert open_files() == files
        assert not provider.transport.is_open
        if call is not None:
            events += [event async for event in call.events()]
        return events

    return asyncio.run(scenario())


def test_closing_unregisters_and_leaves_nothing_behind(tmp_path: Path) -> None:
    async def register(provider: SipTrunkProvider) -> tuple[list[CallEvent], SipCall | None]:
        await provider.register()
        return [], None

    with sipp_uas("register.xml", tmp_path, rtp_echo=False) as sipp:
        config = trunk(sipp, register=True, username="tocsin", password="s3cret")
        closed_cleanly(config, register)
        assert sipp.wait() == 0, sipp.diagnostics()

    *_, last = sipp.received("REGISTER")
    assert "Expires: 0" in last
    assert len(sipp.received("REGISTER")) == 3  # challenged, registered, removed: once


async def until(
    provider: SipTrunkProvider, kind: CallEventKind
) -> tuple[list[CallEvent], SipCall | None]:
    """Dial, and read the call's events up to `kind`; the call goes on."""
    call = await provider.dial(request())
    events = []
    async for event in call.events():
        events.append(event)
        if event.kind == kind:
            return events, call
    raise AssertionError(f"the call ended before {kind}: {events}")


def test_closing_hangs_up_an_answered_call_first(tmp_path: Path) -> None:
    with sipp_uas("answer.xml", tmp_path, replacements=answering()) as sipp:
        events = closed_cleanly(
            trunk(sipp, max_call_seconds=20.0), lambda p: until(p, CallEventKind.ANSWERED)
        )
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events)[-2:] == [CallEventKind.ANSWERED, CallEventKind.COMPLETED]
    assert events[-1].detail == "hung up by Tocsin"
    assert len(sipp.received("BYE")) == 1


def test_closing_cancels_a_ringing_call_first(tmp_path: Path) -> None:
    with sipp_uas(
        "ring_forever.xml", tmp_path, replacements={"RING_DELAY": "0"}, rtp_echo=False
    ) as sipp:
        events = closed_cleanly(
            trunk(sipp, ring_timeout=20.0), lambda p: until(p, CallEventKind.RINGING)
        )
        # SIPp's scenario ends only after our CANCEL and the ACK of its 487.
        assert sipp.wait() == 0, sipp.diagnostics()

    assert kinds(events) == [CallEventKind.RINGING, CallEventKind.NO_ANSWER]
    assert len(sipp.received("CANCEL")) == 1


def test_a_closed_provider_places_no_call(tmp_path: Path) -> None:
    async def closed_then_dial(
        provider: SipTrunkProvider,
    ) -> tuple[list[CallEvent], SipCall | None]:
        await provider.close()
        with pytest.raises(ProviderError) as raised:
            await provider.dial(request())
        assert raised.value.retry_safe
        assert raised.value.code == "sip_closed"
        return [], None

    with sipp_uas("answer.xml", tmp_path, replacements=answering()) as sipp:
        closed_cleanly(trunk(sipp), closed_then_dial)

    assert sipp.received("INVITE") == []
