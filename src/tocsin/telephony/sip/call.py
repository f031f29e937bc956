"""One outbound call: the INVITE transaction, the dialog, and the spoken menu once answered
(or, for a call that offers no menu, its text and then the hang-up).

A call runs as one task. `dial()` returns once the call has reached a phone (18x ringing or
session progress, or an answer) or has ended in an outcome the engine retries later (busy,
declined); until then a failure means no call was placed and `dial()` raises a retry-safe
ProviderError (see `outcomes`). Everything after that is reported as CallEvents in order.
An INVITE given up on is listened to for a while longer, so a late answer is hung up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from enum import Enum
from typing import Any

from tocsin.core.clock import Clock
from tocsin.telephony.audio import Samples
from tocsin.telephony.base import CallEvent, CallEventKind, CallRequest, ProviderError
from tocsin.telephony.script import Then, first_words, reply_to
from tocsin.telephony.sip import outcomes, redirect, sdp, session_timer
from tocsin.telephony.sip.config import SipTrunkConfig
from tocsin.telephony.sip.dialog import ALLOW, SUPPORTED, Dialog, challenge_answer
from tocsin.telephony.sip.dtmf import DTMF_INFO_TYPES, KeyPath, info_key, info_media_type
from tocsin.telephony.sip.message import SipMessage, response_to
from tocsin.telephony.sip.rtp import RtpSession
from tocsin.telephony.sip.session_timer import SessionTimer
from tocsin.telephony.sip.transport import SipTransport, TransportError

logger = logging.getLogger(__name__)

# RFC 3261 timers: T1 (round-trip estimate), T2 (cap for non-INVITE retransmits), and how long
# we wait for a final answer to a request before giving up (64 * T1 in the RFC; shorter here
# because a stuck BYE or CANCEL must not hold a worker for half a minute).
T1 = 0.5
T2 = 4.0
TRANSACTION_TIMEOUT = 8.0
NO_RESPONSE_TIMEOUT = 64 * T1
# How long an INVITE given up on is still answered (ACK and BYE for a 2xx): 64*T1.
LINGER = 64 * T1
PAUSE_BEFORE_REPEAT = 0.7
# Silence after a question (press 9 again?) before the full prompt comes back: time to decide.
QUESTION_WAIT = 5.0
# Requests of the far end whose answers are kept for their retransmissions.
_REMEMBERED_REPLIES = 32

Synthesize = Callable[[str, str], Coroutine[Any, Any, Samples]]
# Told when the trunk asks for rest (503 with Retry-After): seconds, and the status it gave.
RestHandler = Callable[[float, str], None]


class _Happening(Enum):
    DIGIT = "digit"
    PLAYED = "played"
    REMOTE_BYE = "remote_bye"
    HANGUP = "hangup"
    TIME_UP = "time_up"


class SipCall:
    """A CallHandle for one SIP call. Create with `start()`."""

    def __init__(
        self,
        config: SipTrunkConfig,
        transport: SipTransport,
        request: CallRequest,
        media: RtpSession,
        synthesize: Synthesize,
        clock: Clock,
        *,
        on_rest: RestHandler,
    ) -> None:
        self.config = config
        self.request = request
        self.media = media
        self.provider_call_id = f"{secrets.token_hex(12)}@tocsin"
        self._transport = transport
        self._synthesize = synthesize
        self._clock = clock
        self._on_rest = on_rest
        self._events: asyncio.Queue[CallEvent] = asyncio.Queue()
        self._sequence = 0
        self._final_sent = False
        self._accepted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._responses: asyncio.Queue[SipMessage] = asyncio.Queue()
        self._pending: dict[tuple[int, str], asyncio.Future[SipMessage]] = {}
        self._remote_bye = asyncio.Event()
        self._hangup = asyncio.Event()
        # Set by close(): stop listening for answers to an INVITE given up on.
        self._closing = asyncio.Event()
        self._rang = False
        self._dialog = Dialog(config, transport, request, self.provider_call_id)
        self._local = sdp.LocalDescription(transport.local_host, media.local_port, config.codecs)
        # Why Tocsin is hanging up, when it is not the caller's asking (shown in the event).
        self._ending = ""
        # Our 2xx answers to the far end's re-INVITEs, by CSeq, until their ACK comes.
        self._unacked: dict[int, asyncio.Event] = {}
        # The ACK to the 2xx that answered the call; with those to our re-INVITEs' 2xx, by CSeq,
        # for their retransmissions.
        self._ack: SipMessage | None = None
        self._acks: dict[int, SipMessage] = {}
        # The session timer (RFC 4028) and when the session was last refreshed (loop time).
        self._session: SessionTimer | None = None
        self._refreshed_at = 0.0
        self._session_changed = asyncio.Event()
        self._min_se: int | None = None
        # Our re-INVITE refresh carries an offer: while it is unanswered, so is any re-offer.
        self._offering = False
        self._emitted: set[CallEventKind] = set()
        # The answer to each request the far end sent, for its retransmissions.
        self._replies: OrderedDict[tuple[int, str], SipMessage] = OrderedDict()
        self._prompt: asyncio.Task[Samples] | None = None
        self._task: asyncio.Task[None] | None = None
        self._linger_task: asyncio.Task[None] | None = None
        # CANCEL and other transactions run beside the call's task; awaited before it ends.
        self._background: set[asyncio.Future[Any]] = set()
        # Done once the call's task, and any lingering after it, are over.
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.ring_timeout = min(config.ring_timeout, request.ring_timeout_seconds)

    # -- the CallHandle protocol ------------------------------------------------------------

    async def start(self) -> None:
        """Send the INVITE and wait until the call reaches a phone or ends; raises
        ProviderError if the call was not placed (or, with retry_safe False, if we cannot
        tell)."""
        self._transport.register(self.provider_call_id, self._on_message)
        # Synthesis takes a while; it runs during ringing so the prompt is ready on answer.
        opening = first_words(
            self.request.spoken_text,
            offers_menu=self.request.offers_menu,
            language=self.request.language,
        )
        prompt = self._prompt = asyncio.create_task(self._synthesize(opening, self.request.voice))
        prompt.add_done_callback(_retrieve)  # a call never answered never reads it
        self._task = asyncio.create_task(self._run(prompt))
        try:
            await asyncio.shield(self._accepted)
        except ProviderError:
            await self.wait()
            raise
        except asyncio.CancelledError:
            # Whoever dialled stopped waiting: end the call in the background (the provider
            # holds it until it is over), with CANCEL once it rings, rather than leave a phone
            # ringing for nobody.
            self._hangup.set()
            self._accepted.add_done_callback(_retrieve)
            raise

    async def events(self) -> AsyncIterator[CallEvent]:
        while True:
            event = await self._events.get()
            yield event
            if event.kind.is_final:
                return

    async def hangup(self) -> None:
        """End the call (BYE, or CANCEL while ringing) and wait until it is over."""
        self._hangup.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def wait(self) -> None:
        """Until the call's task has finished, media closed included (for tests and tools)."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def close(self) -> None:
        """Hang up (BYE, or CANCEL while ringing), stop listening for late answers, and wait
        until nothing of the call is left running: for a provider that is closing."""
        self._hangup.set()
        await self.wait()
        self._closing.set()
        if self._linger_task is not None:
            await asyncio.gather(self._linger_task, return_exceptions=True)
        await asyncio.gather(*self._background, return_exceptions=True)

    # -- events -----------------------------------------------------------------------------

    def _emit(self, kind: CallEventKind, *, digits: str = "", detail: str = "") -> None:
        if self._final_sent:
            return
        self._sequence += 1
        event = CallEvent(kind, self._sequence, digits=digits, detail=detail, at=self._clock.now())
        self._events.put_nowait(event)
        self._final_sent = kind.is_final
        self._emitted.add(kind)

    def _accept(self) -> None:
        if not self._accepted.done():
            self._accepted.set_result(None)

    # -- the call's task ----------------------------------------------------------------------

    async def _run(self, prompt: asyncio.Task[Samples]) -> None:
        try:
            if await self._invite_phase():
                keeper = asyncio.create_task(self._keep_session())
                try:
                    await self._media_phase(prompt)
                finally:
                    keeper.cancel()
                    await asyncio.gather(keeper, return_exceptions=True)
        except ProviderError as error:
            if not self._accepted.done():
                self._accepted.set_exception(error)
            else:
                self._emit(CallEventKind.FAILED, detail=error.user_message)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.exception("SIP call %s failed", self.provider_call_id)
            if self._ack is not None:  # answered: do not leave the callee on a silent line
                with contextlib.suppress(Exception):
                    await self._bye()
            if not self._accepted.done():
                self._accepted.set_exception(
                    ProviderError(
                        str(error),
                        retry_safe=False,
                        user_message="The SIP call failed unexpectedly.",
                        code="sip_error",
                    )
                )
            self._emit(CallEventKind.FAILED, detail=f"internal error: {error}")
        finally:
            self._accept()
            if not self._final_sent:
                self._emit(CallEventKind.FAILED, detail="call ended without a result")
            if self._prompt is not None:
                self._prompt.cancel()
            for acked in self._unacked.values():
                acked.set()  # the call is over: no ACK is awaited any more
            self.media.close()
            if self._linger_task is None:
                await self._wind_up()

    async def _wind_up(self) -> None:
        """Once nothing more can come for the call: let its transactions end, stop taking its
        messages, and say it is finished."""
        await asyncio.gather(*self._background, return_exceptions=True)
        self._transport.unregister(self.provider_call_id)
        if not self.finished.done():
            self.finished.set_result(None)

    def _send(self, message: SipMessage) -> None:
        """Send a request of the call (or its ACK) to where the dialog goes: the trunk, or the
        host a redirect sent the call to."""
        self._transport.send(message, self._dialog.hop)

    def _keep(self, work: Awaitable[Any]) -> None:
        """Run `work` beside the call, held until done (the loop keeps only weak references)."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _invite_phase(self) -> bool:
        """Place the INVITE, through an auth challenge, a 422 and redirects. True if
        answered."""
        target = self._dialog.request_uri(self.request.to_number)
        authorization: tuple[str, str] | None = None
        redirects = 0
        loop = asyncio.get_running_loop()
        ring_deadline = loop.time() + self.ring_timeout
        while True:
            invite = self._dialog.invite(target, authorization, self._local.sdp(), self._min_se)
            response, cancelled = await self._invite_transaction(invite, ring_deadline)
            if response is None:
                return self._given_up(invite, cancelled)
            if response.status < 300:
                return await self._answered(response, invite, cancelled)
            self._send(self._dialog.failure_ack(invite, response))
            status = response.status
            if status in (401, 407) and authorization is None and not cancelled:
                authorization = challenge_answer(
                    response, self.config, method="INVITE", uri=invite.uri
                )
                if authorization is not None:
                    continue
            if status == 422 and self._min_se is None and not cancelled:
                # RFC 4028 8.1: once more, asking for the interval the far end wants at least.
                self._min_se = session_timer.min_se(response)
                if self._min_se is not None:
                    continue
            if 300 <= status < 400 and not cancelled:
                followed = await self._redirect(response, redirects)
                if followed is None:
                    return False
                # The new target may challenge us in turn.
                target, redirects, authorization = followed, redirects + 1, None
                continue
            self._final_failure(response, cancelled)
            return False

    async def _redirect(self, response: SipMessage, followed: int) -> str | None:
        """The Request-URI to send the call on to, the dialog's hop moved to where it goes.
        A redirect that may not be followed (see `redirect`) ends the call: before any 18x
        with a retry-safe ProviderError (nothing rang), after one with FAILED and None."""
        found = redirect.follow(
            response,
            allowed=self.request.redirect_allowed,
            followed=followed,
            through_trunk=self._dialog.request_uri,
        )
        if isinstance(found, redirect.Redirect) and found.host is not None:
            try:
                self._dialog.hop = await self._transport.resolve(found.host, found.port)
            except TransportError as error:
                found = f"to {found.number} at {found.host}:{found.port}, unreachable: {error}"
        elif isinstance(found, redirect.Redirect):
            self._dialog.hop = None
        if isinstance(found, redirect.Redirect):
            return found.uri
        why = f"The SIP trunk redirected the call ({response.status} {response.reason}) {found}"
        if not self._rang:
            raise ProviderError(
                f"redirect not followed: {found}",
                retry_safe=True,
                user_message=f"{why}; no call was placed.",
                code="sip_redirect",
            )
        self._emit(CallEventKind.FAILED, detail=why)
        return None

    def _final_failure(self, response: SipMessage, cancelled: bool) -> None:
        """End the call on a final failure: an event once anything rang, else (raising a
        retry-safe ProviderError) a dial that placed no call. See `outcomes`."""
        status, reason = response.status, response.reason
        rest = outcomes.retry_after(response)
        # Only the trunk's own 503 rests it, not one from a host a redirect sent the call to.
        if rest is not None and outcomes.rests_trunk(status) and self._dialog.hop is None:
            self._on_rest(rest, f"{status} {reason}")
        kind = outcomes.ended_by(status, rang=self._rang, cancelled=cancelled)
        if kind is None:
            raise outcomes.refusal(status, reason, rest)
        self._accept()
        asked = f" (Retry-After {rest:g} s)" if rest is not None else ""
        self._emit(kind, detail=f"{status} {reason}{asked}")

    def _given_up(self, invite: SipMessage, cancelled: bool) -> bool:
        """No final response came: we stopped waiting (timer B, CANCEL unanswered, or the dial
        abandoned). A late answer may still come, so the call listens for it a while."""
        self._linger_task = asyncio.create_task(self._linger(invite, cancelled))
        if cancelled:
            self._accept()
            self._emit(CallEventKind.NO_ANSWER, detail="no final answer to CANCEL")
        elif self._hangup.is_set():
            self._emit(CallEventKind.NO_ANSWER, detail="given up before the trunk answered")
        else:
            raise outcomes.timed_out(self.config.invite_timeout)
        return False

    async def _invite_transaction(
        self, invite: SipMessage, ring_deadline: float
    ) -> tuple[SipMessage | None, bool]:
        """(final response or None, whether we sent CANCEL). None when no response came in
        time, or when a hang-up was asked for before any (RFC 3261 9.1 allows no CANCEL
        then, so we simply stop sending the INVITE)."""
        loop = asyncio.get_running_loop()
        self._send(invite)
        interval = T1
        retransmit_at = None if self._transport.reliable else loop.time() + interval
        # Timer B runs until the first provisional response (RFC 3261 17.1.1.2).
        give_up_at = loop.time() + self.config.invite_timeout
        provisional = cancelled = False
        while True:
            now = loop.time()
            if not provisional and self._hangup.is_set():
                return None, False
            if provisional and not cancelled and (self._hangup.is_set() or now >= ring_deadline):
                cancelled = True
                give_up_at = now + TRANSACTION_TIMEOUT
                self._keep(self._transact(self._dialog.cancel(invite)))
            if now >= give_up_at:
                return None, cancelled
            if retransmit_at is not None and now >= retransmit_at:
                self._send(invite)
                interval *= 2
                retransmit_at = now + interval
            wake = [give_up_at]
            if retransmit_at is not None:
                wake.append(retransmit_at)
            if provisional and not cancelled:
                wake.append(ring_deadline)
            response = await self._next_response(min(wake), None if cancelled else self._hangup)
            if response is None:
                continue
            retransmit_at = None  # any response stops INVITE retransmission
            if response.cseq[0] != invite.cseq[0]:
                continue  # a late answer to an earlier INVITE of this call
            if response.status >= 200:
                return response, cancelled
            if not provisional:
                give_up_at = ring_deadline + NO_RESPONSE_TIMEOUT
            provisional = True
            self._provisional(response)

    async def _next_response(
        self, until: float, stop: asyncio.Event | None = None
    ) -> SipMessage | None:
        """The next response to our INVITE before loop time `until`; None if time ran out
        first, or if `stop` was set while waiting for one."""
        get = asyncio.ensure_future(self._responses.get())
        waiting: set[asyncio.Future[Any]] = {get}
        if stop is not None:
            waiting.add(asyncio.ensure_future(stop.wait()))
        try:
            remaining = max(0.0, until - asyncio.get_running_loop().time())
            done, _ = await asyncio.wait(waiting, timeout=remaining, return_when="FIRST_COMPLETED")
        finally:
            for future in waiting:
                if not future.done():
                    future.cancel()
        return get.result() if get in done else None

    def _provisional(self, response: SipMessage) -> None:
        if outcomes.rang(response.status):
            # dial() returns now: from here on a failure is an unanswered call, not one that
            # was never placed.
            self._rang = True
            self._accept()
            kind = CallEventKind.RINGING
        elif response.status == 100:
            kind = CallEventKind.TRYING
        else:
            return
        # Once each: trunks repeat 180s, and 100 may follow a 183 over a forking proxy.
        if kind not in self._emitted:
            self._emit(kind, detail=f"{response.status} {response.reason}")

    async def _linger(self, invite: SipMessage, cancelled: bool) -> None:
        """After giving up on an INVITE, answer what still comes for it, for 64*T1 (as long
        as a UAC core waits for 2xx, RFC 3261 13.2.2.4): a provisional gets the CANCEL it could
        not have before (9.1), a 2xx our ACK and at once a BYE (15), so no phone rings on for
        nobody and nobody is left on a silent line; a final failure gets its ACK."""
        until = asyncio.get_running_loop().time() + LINGER
        try:
            while (response := await self._next_response(until, self._closing)) is not None:
                if response.cseq[0] != invite.cseq[0]:
                    continue
                if response.status < 200:
                    if not cancelled:
                        cancelled = True
                        self._keep(self._transact(self._dialog.cancel(invite)))
                    continue
                if response.status < 300:
                    self._confirm(response, invite)
                    await self._bye()
                else:
                    self._send(self._dialog.failure_ack(invite, response))
                return
        finally:
            await self._wind_up()

    def _confirm(self, response: SipMessage, invite: SipMessage) -> None:
        """The call is answered: fix the dialog and ACK the 2xx."""
        self._dialog.confirm(response, invite)
        self._ack = self._acks[invite.cseq[0]] = self._dialog.ack(invite.cseq[0])
        self._send(self._ack)

    async def _answered(self, response: SipMessage, invite: SipMessage, cancelled: bool) -> bool:
        self._accept()
        self._confirm(response, invite)
        if cancelled or self._hangup.is_set():
            await self._bye()
            after = "CANCEL" if cancelled else "Tocsin gave up"
            self._emit(CallEventKind.NO_ANSWER, detail=f"answered after {after}; hung up")
            return False
        try:
            answer = sdp.parse_answer(response.body, self.config.codecs)
        except (sdp.SdpError, ValueError) as error:
            await self._bye()
            self._emit(CallEventKind.FAILED, detail=f"unusable SDP answer: {error}")
            return False
        self._emit(CallEventKind.ANSWERED, detail=answer.codec)
        self.media.start(answer)
        self._time_session(session_timer.from_our_request(response))
        return True

    # -- session timers (RFC 4028) --------------------------------------------------------

    def _time_session(self, timer: SessionTimer | None) -> None:
        """A 2xx (to the INVITE, to a refresh, or ours to the far end's) set the session's
        timer, or turned it off: it counts from now."""
        self._session = timer
        self._refreshed_at = asyncio.get_running_loop().time()
        self._session_changed.set()

    async def _keep_session(self) -> None:
        """While the call is up: refresh the session at half its interval when we are the
        refresher, and end a session the far end lets lapse."""
        loop = asyncio.get_running_loop()
        while True:
            self._session_changed.clear()
            timer = self._session
            if timer is None:
                await self._session_changed.wait()
                continue
            with contextlib.suppress(TimeoutError):
                wait = self._refreshed_at + timer.act_after - loop.time()
                await asyncio.wait_for(self._session_changed.wait(), max(0.0, wait))
                continue  # a refresh (or a new timer) came first
            if not timer.we_refresh:
                self._end("the far end did not refresh the session (RFC 4028)")
                return
            await self._refresh(timer)

    async def _refresh(self, timer: SessionTimer) -> None:
        """One session refresh: UPDATE, or where the far end does not allow it a re-INVITE
        with our unchanged description (RFC 4028 7.4). 408, 481 or silence end the call
        (section 10); another failure is tried again halfway to the session's end."""
        use_update = "UPDATE" in self._dialog.allowed
        refresh = self._dialog.next_request("UPDATE" if use_update else "INVITE")
        interval = max(timer.seconds, self._min_se or 0)
        refresh.add("Session-Expires", f"{interval};refresher=uac")
        if self._min_se is not None:
            refresh.add("Min-SE", str(self._min_se))
        if not use_update:
            refresh.add("Content-Type", "application/sdp")
            refresh.body = self._local.sdp()
        self._offering = not use_update
        try:
            response = await self._transact(refresh)
        finally:
            self._offering = False
        if response is None or response.status in (408, 481):
            what = "no answer" if response is None else f"{response.status} {response.reason}"
            self._end(f"the session refresh failed ({what})")
            return
        if not use_update:
            self._acknowledge(refresh, response)
        if response.status < 300:
            if response.body.strip():
                with contextlib.suppress(sdp.SdpError):
                    self.media.follow(self._far_media(response.body))
            self._time_session(session_timer.from_our_request(response))
            return
        logger.warning("session refresh of %s answered %s", self.provider_call_id, response.status)
        if response.status == 422:
            self._min_se = session_timer.min_se(response) or self._min_se
        now = asyncio.get_running_loop().time()
        if self._refreshed_at + timer.seconds - now < 1.0:
            self._end(f"the session refresh failed ({response.status} {response.reason})")
            return
        # Counting from halfway between then and now puts the next try halfway to the end.
        self._refreshed_at = (self._refreshed_at + now) / 2

    def _acknowledge(self, reinvite: SipMessage, response: SipMessage) -> None:
        """ACK the final response to a re-INVITE of ours: a new ACK for a 2xx (kept for its
        retransmissions), the transaction's own for a failure (RFC 3261 13.2.2.4, 17.1.1.3)."""
        number = reinvite.cseq[0]
        if response.status < 300:
            ack = self._acks[number] = self._dialog.ack(number)
        else:
            ack = self._dialog.failure_ack(reinvite, response)
        with contextlib.suppress(TransportError):
            self._send(ack)

    # -- the spoken menu ------------------------------------------------------------------

    async def _media_phase(self, synthesis: asyncio.Task[Samples]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.max_call_seconds
        prompt = await synthesis
        if not self.request.offers_menu:
            await self._say_and_hang_up(prompt, deadline, detail="said without a menu")
            return
        keys = ""
        parts: tuple[Samples | float, ...] = (prompt,)
        while True:
            happening, digit = await self._next_happening(self.media.play(*parts), deadline)
            if happening is _Happening.PLAYED:
                parts = (PAUSE_BEFORE_REPEAT, prompt)
                continue
            self.media.stop()
            if happening is _Happening.REMOTE_BYE:
                self._emit(CallEventKind.COMPLETED, detail="callee hung up")
                return
            if happening is _Happening.HANGUP:
                await self._bye()
                self._emit(CallEventKind.COMPLETED, detail=self._ending or "hung up by Tocsin")
                return
            if happening is _Happening.TIME_UP:
                await self._bye()
                self._emit(CallEventKind.COMPLETED, detail="no key before the time limit")
                return
            self._emit(CallEventKind.DIGITS, digits=digit)
            keys += digit
            reply = reply_to(keys, self.request.language)
            if reply.then is Then.PROMPT and not reply.says:
                parts = (prompt,)
                continue
            said = await self._synthesize(reply.says, self.request.voice)
            if reply.then is Then.HANG_UP:
                await self._say_and_hang_up(said, deadline, detail=f"key {digit}")
                return
            if reply.then is Then.WAIT_FOR_KEY:
                # Once the wait is played out, the loop reads the full prompt again.
                parts = (said, QUESTION_WAIT)
            else:
                parts = (said, PAUSE_BEFORE_REPEAT, prompt)

    async def _say_and_hang_up(self, clip: Samples, deadline: float, *, detail: str) -> None:
        # The last words may run past max_call_seconds by their own length, never more.
        limit = max(deadline, asyncio.get_running_loop().time()) + len(clip) / 8000 + 1
        playing = self.media.play(clip)
        happening = _Happening.DIGIT
        while happening is _Happening.DIGIT:  # further keys neither cut it short nor restart it
            happening, _ = await self._next_happening(playing, limit)
        if happening is not _Happening.REMOTE_BYE:
            await self._bye()
        self._emit(CallEventKind.COMPLETED, detail=detail)

    async def _next_happening(
        self, playing: asyncio.Future[None], deadline: float
    ) -> tuple[_Happening, str]:
        digit = asyncio.ensure_future(self.media.digits.get())
        bye = asyncio.ensure_future(self._remote_bye.wait())
        hangup = asyncio.ensure_future(self._hangup.wait())
        waiting: list[asyncio.Future[Any]] = [digit, bye, hangup, playing]
        timeout = max(0.0, deadline - asyncio.get_running_loop().time())
        try:
            done, _ = await asyncio.wait(waiting, timeout=timeout, return_when="FIRST_COMPLETED")
        finally:
            for future in (digit, bye, hangup):
                if not future.done():
                    future.cancel()
        if bye in done:
            return _Happening.REMOTE_BYE, ""
        if hangup in done:
            return _Happening.HANGUP, ""
        if digit in done:
            return _Happening.DIGIT, digit.result()
        if playing in done and not playing.cancelled():
            # A digit may have arrived in the same loop iteration; it stays queued.
            return _Happening.PLAYED, ""
        return _Happening.TIME_UP, ""

    # -- SIP messages ---------------------------------------------------------------------

    def _on_message(self, message: SipMessage) -> None:
        number, method = message.cseq
        if message.is_request:
            self._on_request(message)
            return
        ack = self._acks.get(number) if method == "INVITE" else None
        if ack is not None and 200 <= message.status < 300:
            self._send(ack)  # our ACK was lost: the 2xx is retransmitted
            return
        pending = self._pending.get((number, method))
        if pending is not None:
            if message.status >= 200:
                del self._pending[(number, method)]
                if not pending.done():
                    pending.set_result(message)
        elif method == "INVITE" and self._ack is None:
            self._responses.put_nowait(message)  # the call's INVITE, or one given up on

    def _end(self, why: str) -> None:
        """Hang up for a reason of our own (the session cannot go on), said in the event."""
        self._ending = self._ending or why
        self._hangup.set()

    def _on_request(self, request: SipMessage) -> None:
        if request.method == "ACK":
            self._on_ack(request)
            return
        reply = self._replies.get(request.cseq)
        if reply is not None:
            # A retransmission (RFC 3261 17.2.2): the same answer again, and nothing done twice,
            # so an INFO whose 200 was lost is still one key.
            with contextlib.suppress(TransportError):
                self._transport.reply(request, reply)
            return
        reply = response_to(request, 200, "OK")
        if request.method == "BYE":
            self._remote_bye.set()
        elif request.method == "INFO":
            reply = self._on_info(request)
        elif request.method in ("INVITE", "UPDATE"):
            reply = self._on_session_request(request)
        elif request.method == "OPTIONS":
            reply.add("Allow", ALLOW)
            reply.add("Supported", SUPPORTED)
        elif request.method != "CANCEL":
            # A CANCEL can only be for a re-INVITE, which we answer at once: it has no effect
            # and gets its 200 (RFC 3261 9.2).
            reply = response_to(request, 501, "Not Implemented")
        self._replies[request.cseq] = reply
        while len(self._replies) > _REMEMBERED_REPLIES:
            self._replies.popitem(last=False)
        with contextlib.suppress(TransportError):
            self._transport.reply(request, reply)

    def _on_session_request(self, request: SipMessage) -> SipMessage:
        """A re-INVITE or UPDATE from the far end (RFC 3261 14.2, RFC 3311): SBCs refreshing
        or moving media, session timers, hold. An offer is answered with our description
        (unchanged, so with the same version, unless the direction must change) and followed
        where it moves the far end's media; a re-INVITE without one gets our description as
        the offer, answered in the ACK."""
        if self._ack is None or (self._offering and request.body.strip()):
            # RFC 3261 14.2, RFC 3311 5.2: no offer is taken before the call is answered, nor
            # while one of ours is unanswered (glare: the far end tries again later).
            return response_to(request, 491, "Request Pending")
        body = b""
        if request.body.strip():
            try:
                remote = self._far_media(request.body)
            except sdp.SdpError:
                return response_to(request, 488, "Not Acceptable Here")
            self.media.follow(remote)
            body = self._local.sdp(sdp.answering(remote.direction))
        elif request.method == "INVITE":
            body = self._local.sdp()
        reply = response_to(request, 200, "OK")
        reply.add("Contact", self._dialog.contact())
        reply.add("Allow", ALLOW)
        reply.add("Supported", SUPPORTED)
        timed = session_timer.from_their_request(request)
        if timed is not None:
            reply.add("Session-Expires", timed[1])
            if not timed[0].we_refresh:
                reply.add("Require", "timer")  # RFC 4028 9: the far end must refresh
        self._time_session(timed[0] if timed else None)
        if body:
            reply.add("Content-Type", "application/sdp")
            reply.body = body
        if request.method == "INVITE":
            self._keep(self._until_acked(request, reply))
        return reply

    def _far_media(self, body: bytes) -> sdp.MediaAnswer:
        """The far end's new description, keeping our codec while it still offers it."""
        try:
            return sdp.parse_answer(body, (self.media.codec,))
        except sdp.SdpError:
            return sdp.parse_answer(body, self.config.codecs)

    def _on_ack(self, ack: SipMessage) -> None:
        acked = self._unacked.pop(ack.cseq[0], None)
        if acked is None:
            return
        acked.set()
        if ack.body.strip():
            # The answer to the offer our 2xx made to a re-INVITE that carried none.
            with contextlib.suppress(sdp.SdpError):
                self.media.follow(self._far_media(ack.body))

    async def _until_acked(self, reinvite: SipMessage, ok: SipMessage) -> None:
        """Send our 2xx to a re-INVITE again, T1 doubling to T2, until its ACK (RFC 3261
        13.3.1.4); with no ACK after 64*T1 the session is over and we hang up."""
        cseq = reinvite.cseq[0]
        acked = self._unacked[cseq] = asyncio.Event()
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + 64 * T1
        interval = T1
        while (remaining := give_up_at - loop.time()) > 0:
            wait = remaining if self._transport.reliable else min(interval, remaining)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(acked.wait(), wait)
                return
            if not self._transport.reliable:
                with contextlib.suppress(TransportError):
                    self._transport.reply(reinvite, ok)
                interval = min(interval * 2, T2)
        self._unacked.pop(cseq, None)
        self._end("no ACK to our answer to a re-INVITE")

    def _on_info(self, request: SipMessage) -> SipMessage:
        content_type = request.get("Content-Type") or ""
        if request.body.strip() and info_media_type(content_type) not in DTMF_INFO_TYPES:
            # RFC 6086 4.2.2: a body we cannot read is refused with 415, naming the ones we can.
            reply = response_to(request, 415, "Unsupported Media Type")
            reply.add("Accept", ", ".join(sorted(DTMF_INFO_TYPES)))
            return reply
        key = info_key(content_type, request.body)
        if key:
            self.media.key(key, KeyPath.INFO)
        return response_to(request, 200, "OK")

    async def _transact(self, request: SipMessage) -> SipMessage | None:
        """A non-INVITE client transaction: retransmit over UDP until a final response."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[SipMessage] = loop.create_future()
        self._pending[request.cseq] = future
        give_up_at = loop.time() + TRANSACTION_TIMEOUT
        interval = T1
        try:
            self._send(request)
            while True:
                remaining = give_up_at - loop.time()
                if remaining <= 0:
                    return None
                wait = remaining if self._transport.reliable else min(interval, remaining)
                with contextlib.suppress(TimeoutError):
                    return await asyncio.wait_for(asyncio.shield(future), wait)
                if not self._transport.reliable:
                    self._send(request)
                    interval = min(interval * 2, T2)
        except TransportError:
            return None
        finally:
            self._pending.pop(request.cseq, None)

    async def _bye(self) -> None:
        if self._remote_bye.is_set():
            return
        await self._transact(self._dialog.bye())


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a future's exception as seen; nobody is left to receive it."""
    if not future.cancelled():
        future.exception()
