"""SipTrunkProvider: the Provider protocol over a SIP trunk."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable

from tocsin.core.clock import Clock, SystemClock
from tocsin.telephony import tts
from tocsin.telephony.audio import Pcm, Samples
from tocsin.telephony.base import CallRecord, CallRequest, Capabilities, ProviderError
from tocsin.telephony.sip import outcomes
from tocsin.telephony.sip.call import SipCall
from tocsin.telephony.sip.config import SipTrunkConfig
from tocsin.telephony.sip.registration import Registration, RegistrationError
from tocsin.telephony.sip.rtp import Pacer, RtpSession, open_rtp_socket
from tocsin.telephony.sip.transport import SipTransport, TransportError

SAMPLE_RATE = 8000
_CACHED_PROMPTS = 64

Synthesizer = Callable[[str, str], Pcm]


def _espeak(text: str, voice: str) -> Pcm:
    return tts.synthesize(text, voice=voice, sample_rate=SAMPLE_RATE)


class SipTrunkProvider:
    """Places calls through one SIP trunk; many calls at once share its SIP connection.

    The trunk keeps no record we can query by idempotency key, so `lookup` always answers
    None; the key travels in an `X-Tocsin-Attempt` header so the trunk's CDRs can be matched.
    """

    name = "sip"
    capabilities = Capabilities(lookup_by_idempotency_key=False, records_audio=False)

    def __init__(
        self,
        config: SipTrunkConfig,
        clock: Clock | None = None,
        *,
        synthesize: Synthesizer = _espeak,
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.transport = SipTransport(config)
        self.pacer = Pacer()
        self.registration = Registration(config, self.transport) if config.register else None
        self._registering = asyncio.Lock()
        self._synthesize = synthesize
        # Many calls read the same menu texts; synthesis holds espeak's global lock.
        self._speech: OrderedDict[tuple[str, str], asyncio.Future[Pcm]] = OrderedDict()
        # Calls not yet finished (lingering after a given-up INVITE included), for close().
        self._calls: set[SipCall] = set()
        # A 503 with Retry-After (RFC 3261 21.5.4): no requests to the trunk before this
        # monotonic time; how long it asked for, and with which status.
        self._rest_until = 0.0
        self._rest_asked = 0.0
        self._rest_because = ""
        self._closed = False
        self._closing: asyncio.Future[None] | None = None

    async def dial(self, request: CallRequest) -> SipCall:
        self._refuse_if_closed()
        self._refuse_while_resting()
        try:
            await self.transport.ensure_open()
        except TransportError as error:
            raise ProviderError(
                f"cannot reach SIP trunk {self.config.host}:{self.config.port}: {error}",
                retry_safe=True,
                user_message="The SIP trunk could not be reached.",
                code="sip_unreachable",
            ) from error
        await self.register()
        self._refuse_if_closed()  # closed while we were registering: place nothing
        try:
            sock = open_rtp_socket(self.config.local_host, self.config.rtp_port_range)
        except OSError as error:
            raise ProviderError(
                str(error),
                retry_safe=True,
                user_message="No local RTP port is free for another call.",
                code="sip_no_rtp_port",
            ) from error
        call = SipCall(
            self.config,
            self.transport,
            request,
            RtpSession(sock, self.pacer),
            self.speech,
            self.clock,
            on_rest=self._rest,
        )
        self._calls.add(call)
        call.finished.add_done_callback(lambda _: self._calls.discard(call))
        await call.start()
        return call

    def _rest(self, seconds: float, because: str) -> None:
        until = time.monotonic() + seconds
        if until > self._rest_until:
            self._rest_until, self._rest_asked, self._rest_because = until, seconds, because

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise ProviderError(
                "the SIP trunk provider is closed",
                retry_safe=True,
                user_message="This SIP trunk account was closed (its settings changed, or the"
                " server is stopping); no call was placed.",
                code="sip_closed",
            )

    def _refuse_while_resting(self) -> None:
        """A trunk that asked for rest is sent nothing until it is over: the dial fails as
        certainly not placed, so the worker goes to the next account without a packet here."""
        remaining = self._rest_until - time.monotonic()
        if remaining > 0:
            raise outcomes.resting(self._rest_asked, self._rest_because, remaining)

    async def register(self) -> None:
        """REGISTER with the trunk if configured and not yet registered; dial() calls this."""
        if self.registration is None:
            return
        self._refuse_if_closed()
        try:
            await self.transport.ensure_open()
            async with self._registering:
                if not self.registration.expires:
                    await self.registration.register()
        except (RegistrationError, TransportError) as error:
            raise ProviderError(
                f"SIP registration failed: {error}",
                retry_safe=True,
                user_message="The SIP trunk did not accept our registration.",
                code="sip_registration",
            ) from error

    async def lookup(self, idempotency_key: str) -> CallRecord | None:
        return None

    async def speech(self, text: str, voice: str) -> Samples:
        """8 kHz audio of `text`, synthesised in a thread once per (text, voice)."""
        key = (text, voice)
        future = self._speech.get(key)
        if future is None or (future.done() and (future.cancelled() or future.exception())):
            future = asyncio.ensure_future(asyncio.to_thread(self._synthesize, text, voice))
            self._speech[key] = future
            while len(self._speech) > _CACHED_PROMPTS:
                self._speech.popitem(last=False)
        self._speech.move_to_end(key)
        pcm = await asyncio.shield(future)
        return pcm.samples

    async def close(self) -> None:
        """Close for good: hang up every call still going (BYE, or CANCEL while ringing) while
        the transport can still carry it, stop refreshing the registration and remove it
        (Expires: 0), close the socket or connection, and leave no task running. Safe to call
        more than once, and concurrently; dial() refuses afterwards."""
        self._closed = True
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        await asyncio.gather(*(call.close() for call in list(self._calls)))
        if self.registration is not None:
            await self.registration.close()
        await self.transport.close()
        await self.pacer.close()
        for speech in self._speech.values():
            speech.cancel()  # a synthesis nobody will hear (its thread finishes on its own)
        await asyncio.gather(*self._speech.values(), return_exceptions=True)
        self._speech.clear()
