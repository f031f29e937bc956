from __future__ import annotations

import pytest

from tocsin.telephony.sip.message import (
    SipMessage,
    SipParseError,
    header_param,
    parse,
    response_to,
    split_stream,
    uri_of,
)

INVITE = (
    b"INVITE sip:+15557654321@trunk.example SIP/2.0\r\n"
    b"v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
    b'f: "Ops" <sip:ops@alerts.example>;tag=abc\r\n'
    b"t: <sip:+15557654321@trunk.example>\r\n"
    b"i: call-1@host\r\n"
    b"CSeq: 7 INVITE\r\n"
    b"Subject: a long\r\n subject\r\n"
    b"l: 4\r\n"
    b"\r\n"
    b"v=0\r\nextra"
)


def test_request_with_compact_and_folded_headers_parses() -> None:
    message = parse(INVITE)
    assert message.is_request
    assert (message.method, message.uri) == ("INVITE", "sip:+15557654321@trunk.example")
    assert message.call_id == "call-1@host"
    assert message.cseq == (7, "INVITE")
    assert message.get("via") == "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1"
    assert message.get("Subject") == "a long subject"
    assert message.body == b"v=0\r"  # Content-Length decides where the body ends


def test_response_parses_status_and_reason() -> None:
    message = parse(b"SIP/2.0 486 Busy Here\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n")
    assert not message.is_request
    assert (message.status, message.reason) == (486, "Busy Here")


@pytest.mark.parametrize("data", [b"HELLO\r\n\r\n", b"SIP/2.0 abc OK\r\n\r\n", b"BYE x\r\n\r\n"])
def test_garbage_is_refused(data: bytes) -> None:
    with pytest.raises(SipParseError):
        parse(data)


def test_encode_sets_content_length_and_round_trips() -> None:
    message = SipMessage(method="BYE", uri="sip:a@b")
    message.add("Call-ID", "c1")
    message.add("Content-Length", "999")
    message.body = b"hello"
    encoded = message.encode()
    assert encoded.startswith(b"BYE sip:a@b SIP/2.0\r\nCall-ID: c1\r\nContent-Length: 5\r\n\r\n")
    again = parse(encoded)
    assert again.body == b"hello"
    assert again.get_all("Content-Length") == ["5"]


def test_header_values_cannot_smuggle_lines() -> None:
    with pytest.raises(ValueError, match="line break"):
        SipMessage(method="BYE", uri="sip:a@b").add("X-Bad", "a\r\nVia: evil")


def test_stream_framing_uses_content_length() -> None:
    one = parse(INVITE).encode()
    two = SipMessage(status=200, reason="OK").encode()
    stream = b"\r\n\r\n" + one + two[:10]
    first, rest = split_stream(stream)
    assert first == one
    second, rest = split_stream(rest)
    assert second is None
    second, rest = split_stream(rest + two[10:])
    assert second == two
    assert rest == b""


def test_name_addr_helpers() -> None:
    value = '"Ops" <sip:ops@alerts.example:5070;transport=tcp>;tag=abc'
    assert uri_of(value) == "sip:ops@alerts.example:5070;transport=tcp"
    assert header_param(value, "tag") == "abc"
    assert header_param(value, "transport") is None  # inside <...>: a URI parameter


def test_response_to_copies_transaction_headers_and_adds_a_tag() -> None:
    reply = response_to(parse(INVITE), 200, "OK", to_tag="xyz")
    assert reply.get("Via") == "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1"
    assert reply.get("To") == "<sip:+15557654321@trunk.example>;tag=xyz"
    assert reply.cseq == (7, "INVITE")
