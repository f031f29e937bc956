"""The simulator's signed inbound format (telephony/simulator_texts.py): what it accepts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tocsin.core.clock import ManualClock
from tocsin.telephony.callbacks import CallbackRequest
from tocsin.telephony.simulator import SimulatorProvider
from tocsin.telephony.simulator_texts import SIGNATURE_HEADER, TOLERANCE, inbound_text

KEY = b"k" * 32
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _request(body: bytes, headers: dict[str, str], *, at: datetime = NOW) -> CallbackRequest:
    return CallbackRequest(
        route="sms",
        url="http://tocsin.test/v1/telephony/simulator/sms",
        # Case-insensitive, as Starlette's are.
        headers={name.lower(): value for name, value in headers.items()},
        body=body,
        received_at=at,
    )


def _simulator(tmp_path: Path, key: bytes = KEY) -> SimulatorProvider:
    return SimulatorProvider(tmp_path, clock=ManualClock(), record_audio=False, text_key=key)


def _signed(text: str = "1", *, at: datetime = NOW) -> tuple[bytes, dict[str, str]]:
    return inbound_text(
        KEY, from_number="+447700900123", to_number="+447400000001", text=text, at=at
    )


def test_a_signed_text_is_read_as_an_inbound_text(tmp_path: Path) -> None:
    adapter = _simulator(tmp_path).inbound_texts
    body, headers = _signed(" 1 K3 ")
    request = _request(body, headers)
    assert adapter.verify(request)
    text = adapter.parse(request)
    assert (text.from_number, text.to_number, text.body) == (
        "+447700900123",
        "+447400000001",
        " 1 K3 ",
    )
    assert text.message_id.startswith("simin_")


@pytest.mark.parametrize(
    "skew", [TOLERANCE + timedelta(seconds=1), -TOLERANCE - timedelta(seconds=1)]
)
def test_a_text_signed_too_long_ago_or_ahead_is_refused(tmp_path: Path, skew: timedelta) -> None:
    body, headers = _signed(at=NOW - skew)
    assert not _simulator(tmp_path).inbound_texts.verify(_request(body, headers))


@pytest.mark.parametrize(
    "header",
    ["", "t=abc,v1=00", "v1=00", "t=1772366400", "t=1772366400,v1=" + "0" * 64, "garbage"],
)
def test_a_missing_or_malformed_signature_is_refused(tmp_path: Path, header: str) -> None:
    body, _ = _signed()
    assert not _simulator(tmp_path).inbound_texts.verify(_request(body, {SIGNATURE_HEADER: header}))


def test_a_simulator_built_without_a_key_accepts_nothing(tmp_path: Path) -> None:
    """Signed with the empty key, which a simulator without one would otherwise accept."""
    body, headers = inbound_text(
        b"", from_number="+447700900123", to_number="+447400000001", text="1", at=NOW
    )
    assert not _simulator(tmp_path, key=b"").inbound_texts.verify(_request(body, headers))


async def _answer(simulator: SimulatorProvider) -> str:
    adapter = simulator.inbound_texts
    body, headers = _signed()
    return await adapter.reply(adapter.parse(_request(body, headers)), "Tocsin: hello.")


def test_the_answer_is_written_down_as_a_text_from_the_number_that_was_texted(
    tmp_path: Path,
) -> None:
    simulator = _simulator(tmp_path)
    asyncio.run(_answer(simulator))
    [answer] = simulator.texts_to("+447700900123")
    assert (answer["from"], answer["body"]) == ("+447400000001", "Tocsin: hello.")
