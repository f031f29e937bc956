from __future__ import annotations

import pytest

from tocsin.telephony.sip.sdp import MediaAnswer, SdpError, offer, parse_answer


def test_offer_lists_g711_and_telephone_event_101() -> None:
    text = offer("192.0.2.1", 40000, ("PCMU", "PCMA")).decode()
    assert "c=IN IP4 192.0.2.1\r\n" in text
    assert "m=audio 40000 RTP/AVP 0 8 101\r\n" in text
    assert "a=rtpmap:0 PCMU/8000" in text
    assert "a=rtpmap:8 PCMA/8000" in text
    assert "a=rtpmap:101 telephone-event/8000" in text
    assert "a=fmtp:101 0-16" in text


def test_answer_gives_address_codec_and_the_answers_event_type() -> None:
    answer = b"\r\n".join(
        [
            b"v=0",
            b"o=- 1 1 IN IP4 198.51.100.7",
            b"c=IN IP4 198.51.100.7",
            b"t=0 0",
            b"m=audio 30000 RTP/AVP 8 96",
            b"a=rtpmap:8 PCMA/8000",
            b"a=rtpmap:96 telephone-event/8000",
        ]
    )
    assert parse_answer(answer, ("PCMU", "PCMA")) == MediaAnswer(
        "198.51.100.7", 30000, "PCMA", 8, 96
    )


def test_media_level_address_wins_and_static_types_need_no_rtpmap() -> None:
    answer = b"v=0\nc=IN IP4 10.0.0.1\nm=audio 4000 RTP/AVP 0\nc=IN IP4 10.0.0.2\n"
    assert parse_answer(answer, ("PCMU",)) == MediaAnswer("10.0.0.2", 4000, "PCMU", 0, None)


@pytest.mark.parametrize(
    "answer",
    [
        b"v=0\nc=IN IP4 10.0.0.1\n",
        b"v=0\nc=IN IP4 10.0.0.1\nm=audio 0 RTP/AVP 0\n",
        b"v=0\nc=IN IP4 10.0.0.1\nm=audio 4000 RTP/AVP 18\na=rtpmap:18 G729/8000\n",
    ],
)
def test_unusable_answers_are_refused(answer: bytes) -> None:
    with pytest.raises(SdpError):
        parse_answer(answer, ("PCMU", "PCMA"))
