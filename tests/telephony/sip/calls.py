"""Placing calls through SipTrunkProvider at SIPp, and the SIPp actions the far end performs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from tests.telephony.sip.sipp import HOST, Sipp, dtmf_pcap
from tocsin.core.clock import Clock
from tocsin.telephony.audio import Pcm
from tocsin.telephony.base import CallEvent, CallEventKind, CallRequest
from tocsin.telephony.sip import SipTrunkConfig, SipTrunkProvider
from tocsin.telephony.sip.call import SipCall

CALL_LIMIT = 30.0


def fake_speech(text: str, voice: str) -> Pcm:
    """A loud 440 Hz tone as long as the text would take to say, instead of espeak."""
    seconds = min(3.0, 0.05 * len(text))
    t = np.arange(int(seconds * 8000)) / 8000
    return Pcm((8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16), 8000)


def trunk(sipp: Sipp, **overrides: object) -> SipTrunkConfig:
    settings: dict[str, object] = {
        "host": HOST,
        "port": sipp.sip_port,
        "local_host": HOST,
        "caller_id": "+15550001111",
        "from_domain": "alerts.example",
        "extra_headers": {"X-Customer-Ref": "ops;team=<db>"},
        "max_call_seconds": 8.0,
        "ring_timeout": 10.0,
        **overrides,
    }
    return SipTrunkConfig(**settings)  # type: ignore[arg-type]


def request(key: str = "attempt-1") -> CallRequest:
    return CallRequest(
        idempotency_key=key,
        to_number="+15557654321",
        caller_id="+15550001111",
        spoken_text="Disk full on db-1.",
    )


def place_call(
    config: SipTrunkConfig,
    call_request: CallRequest,
    *,
    real_speech: bool = False,
    clock: Clock | None = None,
) -> tuple[list[CallEvent], SipCall]:
    """Dial through a fresh provider and collect the call's events (espeak if real_speech)."""

    async def scenario() -> tuple[list[CallEvent], SipCall]:
        if real_speech:
            provider = SipTrunkProvider(config, clock)
        else:
            provider = SipTrunkProvider(config, clock, synthesize=fake_speech)
        try:
            async with asyncio.timeout(CALL_LIMIT):
                call = await provider.dial(call_request)
                events = [event async for event in call.events()]
                await call.wait()
                return events, call
        finally:
            await provider.close()

    return asyncio.run(scenario())


def kinds(events: list[CallEvent]) -> list[CallEventKind]:
    return [event.kind for event in events]


def digits_of(events: list[CallEvent]) -> list[str]:
    return [event.digits for event in events if event.kind == CallEventKind.DIGITS]


def assert_ordered(events: list[CallEvent]) -> None:
    sequences = [event.sequence for event in events]
    assert sequences == sorted(set(sequences))
    assert events[-1].kind.is_final
    assert not any(event.kind.is_final for event in events[:-1])


def _header_lines(headers: tuple[str, ...]) -> str:
    """Headers to append to a scenario's header line (each on a line of its own)."""
    return "".join(f"\n{header}" for header in headers)


def reply(
    status: str,
    *,
    headers: tuple[str, ...] = (),
    body: str = "",
    tag: bool = False,
    cseq: str = "[last_CSeq:]",
    retrans: bool = False,
) -> str:
    """SIPp answers the request it received last with `status`, carrying `headers` and an SDP
    `body`; `tag` adds SIPp's To tag (the INVITE's own responses), `cseq` replaces the CSeq
    line (a 487 to the INVITE sent after the CANCEL's 200), `retrans` resends it until ACKed."""
    to_tag = ";tag=[pid]SIPpTag01[call_number]" if tag else ""
    content = f"{SDP}\nContent-Length: [len]\n\n{body}\n" if body else "Content-Length: 0\n"
    return f"""<send{' retrans="500"' if retrans else ""}><![CDATA[

SIP/2.0 {status}
[last_Via:]
[last_From:]
[last_To:]{to_tag}
[last_Call-ID:]
{cseq}{_header_lines(headers)}
{content}
]]></send>"""


def provisional(status: str) -> str:
    """SIPp sends a provisional response (`180 Ringing`) to the INVITE it received."""
    return reply(status, tag=True)


CONTACT = "Contact: <sip:callee@[local_ip]:[local_port];transport=[transport]>"


def refusing(
    status: str, *, before: tuple[str, ...] = (), headers: tuple[str, ...] = ()
) -> dict[str, str]:
    """reject.xml's placeholders: the provisional responses `before` the final `status`."""
    return {
        "STATUS": status,
        "PROVISIONAL": "\n  ".join(provisional(p) for p in before),
        "HEADERS": _header_lines(headers),
    }


# What SIPp does once it has answered: scenario fragments for answer.xml's @PLAY@.


def answering(play: str = "", *, te_pt: int = 101, headers: tuple[str, ...] = ()) -> dict[str, str]:
    """answer.xml's placeholders: the telephone-event type it answers with, extra headers on
    its 200 OK, and what it does once the call is up."""
    return {"TE_PT": str(te_pt), "HEADERS": _header_lines(headers), "PLAY": play}


def after_prompt(action: str) -> str:
    """Wait a little into the prompt (so echoed audio is measured) and then run `action`."""
    return f'<pause milliseconds="1200"/>\n  {action}'


def pause(milliseconds: int) -> str:
    return f'<pause milliseconds="{milliseconds}"/>'


def rfc4733(tmp_path: Path, digit: str, *, payload_type: int = 101, press: int = 0) -> str:
    """SIPp plays the RFC 4733 packets of one press (`press` n > 0: the n-th new press)."""
    pcap = dtmf_pcap(tmp_path, digit, payload_type, press=press)
    return f'<nop><action><exec play_pcap_audio="{pcap}"/></action></nop>'


def presses(tmp_path: Path, *digits: str) -> str:
    """SIPp presses `digits` (RFC 4733) one after another, 600 ms apart, into the prompt."""
    played = [rfc4733(tmp_path, digit, press=n) for n, digit in enumerate(digits)]
    return after_prompt(f"\n  {pause(600)}\n  ".join(played))


def in_dialog(
    method: str,
    cseq: int,
    *,
    headers: str = "",
    body: str = "",
    branch: str = "[branch]",
    wait: bool = True,
) -> str:
    """A request SIPp (the callee) sends in the dialog answer.xml set up, to our Contact, and
    (if `wait`) the 200 it waits for. Headers are one per line; a fixed `branch` makes a copy
    a retransmission."""
    extra = f"{headers}\n" if headers else ""
    send = f"""<send{' retrans="500"' if wait else ""}><![CDATA[

{method} [$contact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch={branch}
From: <sip:callee@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
To: <[$fromuri]>;tag=[$fromtag]
Call-ID: [call_id]
CSeq: {cseq} {method}
Max-Forwards: 70
Contact: <sip:callee@[local_ip]:[local_port];transport=[transport]>
{extra}Content-Length: [len]

{body}
]]></send>"""
    return f'{send}\n  <recv response="200"/>' if wait else send


def sdp_of(
    host: str = "[media_ip]",
    port: str = "[media_port]",
    *,
    version: int = 1,
    direction: str = "sendrecv",
) -> str:
    """An SDP body SIPp sends in a request of its own (a re-offer, or an answer in an ACK)."""
    return (
        f"v=0\no=callee 53655765 {version} IN IP4 {host}\ns=-\nc=IN IP4 {host}\nt=0 0\n"
        f"m=audio {port} RTP/AVP 0 101\na=rtpmap:0 PCMU/8000\n"
        f"a=rtpmap:101 telephone-event/8000\na={direction}"
    )


SDP = "Content-Type: application/sdp"


def ok_to(request: str, *, headers: tuple[str, ...] = (), sdp: bool = False) -> str:
    """SIPp receives our `request` (UPDATE, a re-INVITE) and answers 200, with `headers` and
    (`sdp`) its own unchanged description; a re-INVITE's 200 then waits for our ACK."""
    ok = reply("200 OK", headers=(CONTACT, *headers), body=sdp_of() if sdp else "")
    ack = '\n  <recv request="ACK"/>' if request == "INVITE" else ""
    return f'<recv request="{request}"/>\n  {ok}{ack}'


def info(
    digit: str,
    cseq: int,
    *,
    content_type: str = "application/dtmf-relay",
    branch: str = "[branch]",
    wait: bool = True,
) -> str:
    """SIPp sends one key by SIP INFO (RFC 6086), in either common body format."""
    body = f"Signal={digit}\nDuration=160" if content_type.endswith("relay") else digit
    headers = f"Content-Type: {content_type}"
    return in_dialog("INFO", cseq, headers=headers, body=body, branch=branch, wait=wait)
