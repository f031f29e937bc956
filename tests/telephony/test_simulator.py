"""The simulator provider: outcomes per number, idempotent dials and texts, records on disk."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from tocsin.core.clock import ManualClock
from tocsin.telephony import audio
from tocsin.telephony.base import (
    CallEventKind,
    CallRequest,
    ProviderError,
    TextMessage,
    text_sender,
)
from tocsin.telephony.script import CONFIRMATIONS, MENU_PROMPT, STOP_QUESTION
from tocsin.telephony.simulator import SimulatorProvider, check_behaviour


def _request(
    key: str = "job_1/1", to: str = "+447400123456", *, offers_menu: bool = True
) -> CallRequest:
    return CallRequest(
        idempotency_key=key,
        to_number=to,
        caller_id="+447400000001",
        spoken_text="Disk full on db one.",
        offers_menu=offers_menu,
    )


def _transcript(tmp_path: Path, provider_call_id: str) -> list[str]:
    path = tmp_path / "simulator" / "calls" / f"{provider_call_id}.txt"
    return path.read_text().splitlines()


def _press(tmp_path: Path, keys: str) -> tuple[list[str], list[str]]:
    """Call a callee who presses `keys`: the keys the call reported, and its transcript."""
    provider = SimulatorProvider(
        tmp_path, clock=ManualClock(), default_behaviour=f"press:{keys}", record_audio=False
    )

    async def call() -> tuple[list[str], str]:
        handle = await provider.dial(_request())
        pressed = [event.digits async for event in handle.events() if event.digits]
        return pressed, handle.provider_call_id

    pressed, call_id = asyncio.run(call())
    return pressed, _transcript(tmp_path, call_id)


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


def test_a_single_9_only_reaches_the_question_and_the_call_ends_there(tmp_path: Path) -> None:
    pressed, transcript = _press(tmp_path, "9")
    assert pressed == ["9"]
    assert transcript[-3:] == ["CALLEE pressed 9", f"TOCSIN: {STOP_QUESTION}", "completed"]
    assert f"TOCSIN: {CONFIRMATIONS['9']}" not in transcript


def test_9_then_9_again_is_told_calls_stop_and_the_call_hangs_up(tmp_path: Path) -> None:
    pressed, transcript = _press(tmp_path, "99")
    assert pressed == ["9", "9"]
    assert transcript[-5:] == [
        "CALLEE pressed 9",
        f"TOCSIN: {STOP_QUESTION}",
        "CALLEE pressed 9",
        f"TOCSIN: {CONFIRMATIONS['9']}",
        "completed",
    ]


def test_star_after_9_goes_back_to_the_prompt_and_1_then_acknowledges(tmp_path: Path) -> None:
    pressed, transcript = _press(tmp_path, "9*1")
    assert pressed == ["9", "*", "1"]
    assert transcript[-6:] == [
        f"TOCSIN: {STOP_QUESTION}",
        "CALLEE pressed *",
        f"TOCSIN: Disk full on db one. {MENU_PROMPT}",
        "CALLEE pressed 1",
        f"TOCSIN: {CONFIRMATIONS['1']}",
        "completed",
    ]


def test_keys_after_the_call_hung_up_are_not_pressed(tmp_path: Path) -> None:
    pressed, transcript = _press(tmp_path, "12")
    assert pressed == ["1"]
    assert "CALLEE pressed 2" not in transcript


def test_a_call_without_a_menu_says_its_text_and_ignores_the_callees_keys(
    tmp_path: Path,
) -> None:
    spoken: list[str] = []

    def synthesize(text: str, voice: str) -> audio.Pcm:
        spoken.append(text)
        return audio.Pcm(np.full(800, 1000, dtype=np.int16), 8000)

    provider = SimulatorProvider(
        tmp_path, clock=ManualClock(), default_behaviour="press:99", synthesize=synthesize
    )
    handle = asyncio.run(provider.dial(_request("verify/ver_1", offers_menu=False)))
    events = asyncio.run(_events(provider, _request("verify/ver_1", offers_menu=False)))
    assert events == [("trying", ""), ("ringing", ""), ("answered", ""), ("completed", "")]
    assert _transcript(tmp_path, handle.provider_call_id)[1:] == [
        "trying",
        "ringing",
        "answered",
        "TOCSIN: Disk full on db one.",
        "completed",
    ]
    assert spoken == ["Disk full on db one."]  # the WAV holds the text alone
    document = provider.call_document(handle.provider_call_id)
    assert document is not None
    assert document["offers_menu"] is False


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


def _text(key: str = "verify/ver_1", to: str = "+447400123456", body: str = "code") -> TextMessage:
    return TextMessage(idempotency_key=key, to_number=to, sender="+447400000001", body=body)


def test_the_simulator_is_a_text_sender(tmp_path: Path) -> None:
    provider = SimulatorProvider(tmp_path, clock=ManualClock(), record_audio=False)
    assert text_sender(provider) is provider


def test_a_text_is_recorded_and_read_back_newest_last(tmp_path: Path) -> None:
    clock = ManualClock()
    provider = SimulatorProvider(tmp_path, clock=clock, record_audio=False)
    first = asyncio.run(provider.send_text(_text("k1", body="code 111111")))
    # Same simulated instant: the texts still come back in the order they were sent.
    second = asyncio.run(provider.send_text(_text("k2", body="code 222222")))
    asyncio.run(provider.send_text(_text("k3", to="+447400999999")))
    texts = provider.texts_to("+447400123456")
    assert [text["message_id"] for text in texts] == [first, second]
    assert {key: texts[-1][key] for key in ("to", "from", "body", "key", "at")} == {
        "to": "+447400123456",
        "from": "+447400000001",
        "body": "code 222222",
        "key": "k2",
        "at": clock.now().isoformat(),
    }
    assert len(list((tmp_path / "simulator" / "texts").glob("*.json"))) == 3


def test_second_send_with_the_same_key_returns_the_first_text_and_writes_nothing(
    tmp_path: Path,
) -> None:
    provider = SimulatorProvider(tmp_path, clock=ManualClock(), record_audio=False)
    first = asyncio.run(provider.send_text(_text(body="code 111111")))
    second = asyncio.run(provider.send_text(_text(body="code 222222")))
    assert first == second
    assert [text["body"] for text in provider.texts_to("+447400123456")] == ["code 111111"]
    assert len(list((tmp_path / "simulator" / "texts").iterdir())) == 1
    assert len((tmp_path / "simulator" / "texts.log").read_text().splitlines()) == 2


def test_concurrent_sends_with_one_key_make_one_text(tmp_path: Path) -> None:
    def send() -> str:
        # A provider each, as separate worker processes would have.
        provider = SimulatorProvider(tmp_path, clock=ManualClock(), record_audio=False)
        return asyncio.run(provider.send_text(_text()))

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(lambda _: send(), range(16)))
    assert len(set(ids)) == 1
    assert len(list((tmp_path / "simulator" / "texts").iterdir())) == 1


def test_reject_refuses_a_text_and_records_nothing(tmp_path: Path) -> None:
    provider = SimulatorProvider(
        tmp_path, clock=ManualClock(), behaviours={"+447400123456": "reject"}, record_audio=False
    )
    with pytest.raises(ProviderError) as caught:
        asyncio.run(provider.send_text(_text()))
    assert caught.value.retry_safe
    assert "text message" in caught.value.user_message
    assert provider.texts_to("+447400123456") == []
    assert len((tmp_path / "simulator" / "texts.log").read_text().splitlines()) == 1
