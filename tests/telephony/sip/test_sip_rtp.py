from __future__ import annotations

import asyncio
import itertools
import socket

import numpy as np
import pytest

from tocsin.telephony import audio
from tocsin.telephony.sip.dtmf import TelephoneEvent, pack_telephone_event
from tocsin.telephony.sip.rtp import (
    FRAME_SAMPLES,
    MediaStats,
    RtpPacket,
    RtpSession,
    open_rtp_socket,
)
from tocsin.telephony.sip.sdp import MediaAnswer

HOST = "127.0.0.1"


def test_packet_round_trips_with_marker() -> None:
    packet = RtpPacket(8, 65535, 2**32 - 1, 0xDEADBEEF, b"\x55" * 160, marker=True)
    data = packet.pack()
    assert data[:2] == b"\x80\x88"
    assert RtpPacket.parse(data) == packet


def test_parse_skips_csrcs_extension_and_padding() -> None:
    header = bytes([0x80 | 0x20 | 0x10 | 0x01, 0]) + b"\0\1" + b"\0\0\0\2" + b"\0\0\0\3"
    csrc = b"\0\0\0\4"
    extension = b"\xbe\xde\x00\x01" + b"\1\2\3\4"
    data = header + csrc + extension + b"pay" + b"\0\0\3"
    assert RtpPacket.parse(data).payload == b"pay"


@pytest.mark.parametrize("data", [b"\x80\x00", b"\x40" + b"\0" * 11])
def test_non_rtp_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError, match="RTP"):
        RtpPacket.parse(data)


def test_session_sends_paced_frames_and_hears_telephone_events() -> None:
    async def scenario() -> None:
        peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        peer.bind((HOST, 0))
        peer.setblocking(False)
        loop = asyncio.get_running_loop()
        session = RtpSession(open_rtp_socket(HOST, None))
        host, port = peer.getsockname()
        session.start(MediaAnswer(host, port, "PCMU", 0, 101))
        try:
            tone = (8000 * np.sin(np.arange(800) / 3)).astype(np.int16)  # five frames
            async with asyncio.timeout(5):
                await session.play(tone)
                received = [RtpPacket.parse(await loop.sock_recv(peer, 2048)) for _ in range(6)]
                event = TelephoneEvent(11, True, 10, 800)
                for _ in range(3):  # the end packet, sent three times
                    end = RtpPacket(101, 7, 4242, 1, pack_telephone_event(event))
                    await loop.sock_sendto(peer, end.pack(), (HOST, session.local_port))
                assert await session.digits.get() == "#"
        finally:
            session.close()
            peer.close()
        assert session.digits.empty()
        silent = audio.pcm_to_ulaw(np.zeros(FRAME_SAMPLES, dtype=np.int16))
        first_audio = next(p for p in received if p.payload != silent)
        assert [p for p in received if p.marker] == [first_audio]
        for before, after in itertools.pairwise(received):
            assert after.sequence == (before.sequence + 1) & 0xFFFF
            assert after.timestamp == (before.timestamp + FRAME_SAMPLES) & 0xFFFFFFFF
            assert after.ssrc == before.ssrc
        heard = np.concatenate([audio.ulaw_to_pcm(p.payload) for p in received])
        assert audio.rms(heard) > 1000
        assert session.stats.sent >= len(received)

    asyncio.run(scenario())


def test_rtp_ports_come_from_the_configured_range() -> None:
    first = open_rtp_socket(HOST, (40000, 40999))
    second = open_rtp_socket(HOST, (40000, 40999))
    try:
        ports = [first.getsockname()[1], second.getsockname()[1]]
        assert all(40000 <= port <= 40999 and port % 2 == 0 for port in ports)
        assert ports[0] != ports[1]
    finally:
        first.close()
        second.close()


def test_heard_audio_is_measured_in_the_codec_it_came_in_before_a_batch_fills() -> None:
    loud = (8000 * np.sin(np.arange(FRAME_SAMPLES) / 3)).astype(np.int16)
    stats = MediaStats()
    stats.hear(audio.pcm_to_ulaw(loud), audio.ulaw_to_pcm)
    stats.hear(audio.pcm_to_alaw(loud), audio.alaw_to_pcm)
    assert stats.received_rms == pytest.approx(audio.rms(loud), rel=0.02)
