"""What the trunk's final answer to our INVITE means for the engine, and when it asks for rest.

Before any 18x (ringing or session progress) no phone has rung, so a final failure, whatever
its class (RFC 3261 21.4-21.6), means the call was certainly not placed: the dial fails with a
retry-safe ProviderError and the worker tries the next provider account at once. After 18x the
same answers mean the callee did not answer. Two exceptions hold in either phase: 486 Busy Here
and 600 Busy Everywhere are busy, and 603 Decline is a callee who did not take the call (an
unanswered call the engine tries again later), never a fault of the trunk.
"""

from __future__ import annotations

from tocsin.telephony.base import CallEventKind, ProviderError
from tocsin.telephony.sip.message import SipMessage

BUSY = frozenset({486, 600})
DECLINE = 603
# The longest rest a Retry-After can ask of us: beyond it a trunk that is back would lose calls.
MAX_RETRY_AFTER = 300.0


def rang(status: int) -> bool:
    """Whether a provisional response shows the call reached a phone (180 ringing, 181 being
    forwarded, 182 queued, 183 session progress); 100 Trying only shows the INVITE arrived."""
    return 180 <= status <= 189


def ended_by(status: int, *, rang: bool, cancelled: bool) -> CallEventKind | None:
    """The event a final failure ends a placed call with, or None when it means the trunk
    placed no call at all."""
    if status in BUSY:
        return CallEventKind.BUSY
    if cancelled or rang or status == DECLINE:
        return CallEventKind.NO_ANSWER
    return None


def retry_after(response: SipMessage) -> float | None:
    """The Retry-After of a response in seconds (RFC 3261 20.33: `120`, `120;duration=60` or
    `120 (comment)`), at most MAX_RETRY_AFTER; None when absent or zero."""
    value = (response.get("Retry-After") or "").strip()
    digits = value[: len(value) - len(value.lstrip("0123456789"))]
    seconds = float(digits) if digits else 0.0
    return min(seconds, MAX_RETRY_AFTER) or None


def rests_trunk(status: int) -> bool:
    """Whether a Retry-After on this status is about the trunk itself. A UAC that gets 503 must
    not send that server other requests for the Retry-After time (RFC 3261 21.5.4), and a proxy
    passes a 503 on only if any request it sent would get one too (16.7), so a 503 rests the
    trunk whenever it comes. On 480 and 486 Retry-After is about the callee."""
    return status == 503


def refusal(status: int, reason: str, rest: float | None) -> ProviderError:
    """The trunk turned the call away before any phone rang: safe to try elsewhere at once."""
    asked = f" and asked for no calls for {rest:g} s" if rest else ""
    return ProviderError(
        f"SIP trunk answered the INVITE with {status} {reason} before any 18x",
        retry_safe=True,
        user_message=(
            f"The SIP trunk refused the call ({status} {reason}) before it rang{asked};"
            " no call was placed."
        ),
        code=f"sip_{status}",
        retry_after=rest,
    )


def timed_out(seconds: float) -> ProviderError:
    """Timer B (RFC 3261 17.1.1.2): no response at all to the INVITE, so nothing rang."""
    return ProviderError(
        f"no response to the INVITE within {seconds:g} s (timer B)",
        retry_safe=True,
        user_message=(
            f"The SIP trunk did not answer the INVITE within {seconds:g} s; no call was placed."
        ),
        code="sip_timeout",
    )


def resting(asked: float, because: str, remaining: float) -> ProviderError:
    """We did not even try: the trunk asked for rest (503 with Retry-After) and is having it."""
    return ProviderError(
        f"SIP trunk resting for {remaining:.0f} s more after {because}",
        retry_safe=True,
        user_message=(
            f"The SIP trunk asked for no calls for {asked:g} s ({because}); "
            f"{remaining:.0f} s remain, no call was placed."
        ),
        code="sip_resting",
        retry_after=remaining,
    )
