"""A SIP trunk provider: a compact SIP user agent client, RTP media, DTMF and TTS on asyncio.

Why our own UAC rather than `aiosipua` + `aiortp` (both MIT, 0.7/0.8, "Alpha", one author):
they are built for voice-AI back ends that answer calls (UAS first); the UAC side is
callback-driven (`handle_response`) rather than awaitable, TLS is absent, and the pair brings
video, jitter-buffer and RTCP machinery we do not need. What Tocsin needs is narrow: place one
INVITE through one trunk (UDP/TCP/TLS), answer a digest challenge, CANCEL on ring timeout,
play paced G.711, and read RFC 4733 or in-band DTMF. That fits in a few hundred typed lines
we control, test against SIPp, and can pace for many calls per process, without pinning the
delivery engine to a fast-moving pre-1.0 API.

Modules, one job each: `config` (trunk settings), `message` (SIP parse/build), `digest`
(RFC 2617/7616 auth), `sdp` (offer/answer), `transport` (one shared UDP/TCP/TLS connection),
`registration` (optional REGISTER), `rtp` (packets, a shared 20 ms pacer, media sessions),
`dtmf` (RFC 4733 and Goertzel), `dialog` (the requests of one call), `call` (one call's
transactions and spoken menu), `provider` (the Provider implementation).
"""

from tocsin.telephony.sip.config import SipTrunkConfig
from tocsin.telephony.sip.provider import SipTrunkProvider

__all__ = ["SipTrunkConfig", "SipTrunkProvider"]
