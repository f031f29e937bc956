"""The simulator provider: outcomes per number, idempotent dials, records on disk."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tocsin.clock import ManualClock
from tocsin.telephony import audio
from tocsin.telephony.base import CallEventKind, CallRequest, ProviderError
from tocsin.telephony.simulator import SimulatorProvider, check_behaviour


def _request(key: str = "job_1/1", to: str = "+447400123456") -> CallRequest:
    return CallRequest(
        idempotency_key=key,
        to_number=to,
        caller_id="+447400000001",
        spoken_text="Disk full on db one.",
    )


async def _events(provider: SimulatorProvider, request: CallRequest) -> list[tuple[str, str]]:
    handle = await provider.dial(request)
    return [(event.kind.value, event.digits) async for event in handle.events()]


def test_press_behaviour_answers_and_presses_keys_in_order(tmp_path: Path) -> None:
    provider = SimulatorProvider(
        tmp_path, clock=ManualClock(), default_behaviour="press:*1", record_audio=False
    )
    events = asyncio.run(_events(provider, _request()))
    assert events == [
        ("trying", ""),
        ("ringing", ""),
        ("answered", ""),
        ("digits", "*"),
        ("digits", "1"),
        ("completed", ""),
    ]


def test_behaviour_can_be_set_per_number(tmp_path: Path) -> None:
    provider = SimulatorProvider(
        tmp_path, clock=ManualClock(), behaviours={"+447400123457": "busy"}, record_audio=False
    )
    busy = asyncio.run(_events(provider, _request("k2", "+447400123457")))
    assert busy[-1] == ("busy", "")
    default = asyncio.run(_events(provider, _request("k3")))
    assert ("digits", "1") in default


def test_second_dial_with_the_same_key_returns_the_first_call(tmp_path: Path) -> None:
    provider = SimulatorProvider(tmp_path, clock=ManualClock(), record_audio=False)
    first = asyncio.run(provider.dial(_request()))
    second = asyncio.run(provider.dial(_request()))
    assert first.provider_call_id == second.provider_call_id
    assert len(list((tmp_path / "simulator" / "calls").glob("*.txt"))) == 1
    assert len((tmp_path / "simulator" / "dials.log").read_text().splitlines()) == 2


def test_lookup_finds_accepted_calls_only(tmp_path: Path) -> None:
    provider = SimulatorProvider(tmp_path, clock=ManualClock(), record_audio=False)
    assert asyncio.run(provider.lookup("job_1/1")) is None
    handle = asyncio.run(provider.dial(_request()))
    record = asyncio.run(provider.lookup("job_1/1"))
    assert record is not None
    assert record.provider_call_id == handle.provider_call_id
    assert record.is_finished
    assert record.events[-1].kind == CallEventKind.COMPLETED


def test_reject_raises_a_retry_safe_error_and_records_nothing(tmp_path: Path) -> None:
    provider = SimulatorProvider(
        tmp_path, clock=ManualClock(), default_behaviour="reject", record_audio=False
    )
    with pytest.raises(ProviderError) as caught:
        asyncio.run(provider.dial(_request()))
    assert caught.value.retry_safe
    assert asyncio.run(provider.lookup("job_1/1")) is None


def test_answered_call_writes_audible_wav_of_the_prompt(tmp_path: Path) -> None:
    provider = SimulatorProvider(tmp_path, clock=ManualClock())
    handle = asyncio.run(provider.dial(_request()))
    samples, rate = audio.read_wav(
        tmp_path / "simulator" / "calls" / f"{handle.provider_call_id}.wav"
    )
    assert rate == 8000
    assert len(samples) / rate > 3  # the alert and the menu
    assert audio.rms(samples) > 500


def test_unknown_behaviour_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown simulator behaviour"):
        check_behaviour("press:abc")
