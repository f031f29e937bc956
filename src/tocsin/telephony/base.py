"""The provider protocol: how the delivery engine asks any telephony backend to place a call.

Providers know nothing about organizations, plans or alerts. They get a CallRequest, place the
call, and report CallEvents. Every provider maps its own statuses onto CallEventKind.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

log = logging.getLogger(__name__)


class CallEventKind(StrEnum):
    TRYING = "trying"
    RINGING = "ringing"
    ANSWERED = "answered"
    DIGITS = "digits"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset(
    {CallEventKind.COMPLETED, CallEventKind.BUSY, CallEventKind.NO_ANSWER, CallEventKind.FAILED}
)


@dataclass(frozen=True)
class CallEvent:
    kind: CallEventKind
    # Increases with every event of one call, so events that arrive late can be ignored.
    sequence: int
    digits: str = ""
    detail: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class CallRequest:
    # The same key for the same attempt: providers that support it refuse to place it twice.
    idempotency_key: str
    to_number: str
    caller_id: str
    spoken_text: str
    # The espeak-ng voice that speaks it (simulator, SIP), one of `language`'s
    # (`prompts.voice_for`).
    voice: str = "en"
    # The language of the call's fixed prompts (`telephony.prompts`); the alert text is as
    # written.
    language: str = "en"
    ring_timeout_seconds: float = 45.0
    # False for a call that only says something (a verification code): no keypad menu.
    offers_menu: bool = True
    # Asked, with the E.164 number a redirect (SIP 3xx) names, whether the call may follow it
    # there; None follows no redirect at all. It must be quick and must not block.
    redirect_allowed: Callable[[str], bool] | None = None


@dataclass(frozen=True)
class CallRecord:
    """What a provider knows about a call it accepted, found again by idempotency key."""

    provider_call_id: str
    events: tuple[CallEvent, ...] = field(default_factory=tuple)

    @property
    def is_finished(self) -> bool:
        return any(event.kind.is_final for event in self.events)


@dataclass(frozen=True)
class TextMessage:
    # The same key for the same message: a provider that supports it sends it only once.
    idempotency_key: str
    to_number: str
    sender: str
    body: str


@dataclass(frozen=True)
class Capabilities:
    lookup_by_idempotency_key: bool = False
    records_audio: bool = False
    # Whether the provider also implements TextSender (SMS).
    sends_text: bool = False
    # Nobody is called: what the "callee" does is made up. A simulated keypress is never
    # shown as a person's, and a simulator never stands in for a real provider.
    simulated: bool = False
    # Whether the provider also implements NumberOwner: it can say whether the account owns a
    # number (or has it as a verified caller ID), which proves it as a caller ID.
    checks_ownership: bool = False


class ProviderError(Exception):
    """A failure to place a call.

    `retry_safe` is True only when the provider certainly did not place the call, so dialling
    again cannot ring the phone twice. `user_message` can be shown to an operator as is.
    `retry_after`, when the provider was told one (a SIP Retry-After), is how many seconds it
    was asked to wait before calling again through the same route.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_safe: bool,
        user_message: str,
        code: str,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retry_safe = retry_safe
        self.user_message = user_message
        self.code = code
        self.retry_after = retry_after


class CallHandle(Protocol):
    provider_call_id: str

    def events(self) -> AsyncIterator[CallEvent]:
        """The call's events in order, ending after the final one."""
        ...

    async def hangup(self) -> None: ...


class Provider(Protocol):
    name: str
    capabilities: Capabilities

    async def dial(self, request: CallRequest) -> CallHandle:
        """Place the call. Returning means the provider accepted it; raising ProviderError means
        it did not (or, with retry_safe False, that we cannot tell)."""
        ...

    async def lookup(self, idempotency_key: str) -> CallRecord | None:
        """The call placed for this key, or None when the provider never accepted one."""
        ...


@dataclass(frozen=True)
class NumberOwnership:
    """What a provider account's own records say of a number."""

    owned: bool
    # In words, for the audit log and the person who asked ("a Twilio incoming number").
    how: str


class NumberOwner(Protocol):
    async def owns_number(self, number: str) -> NumberOwnership:
        """Whether the account owns `number` (E.164) or may present it as its caller ID; raise
        ProviderError when the provider could not be asked or refused the credentials."""
        ...


class TextSender(Protocol):
    async def send_text(self, message: TextMessage) -> str:
        """Send an SMS and return the provider's id of the message; raise ProviderError when
        it was refused."""
        ...


async def close_provider(provider: Provider) -> None:
    """Let go of what a provider holds (sockets, tasks, a SIP registration), if it holds
    anything; a failure to close is logged, never raised, since it must not stop a shutdown."""
    close = getattr(provider, "close", None)
    if close is None:
        return
    try:
        await close()
    except Exception:
        log.exception("closing provider %s failed", provider.name)


def number_owner(provider: Provider) -> NumberOwner | None:
    """The provider as a judge of which numbers its account owns, when it is one."""
    if provider.capabilities.checks_ownership and hasattr(provider, "owns_number"):
        return provider  # type: ignore[return-value]
    return None


def text_sender(provider: Provider) -> TextSender | None:
    """The provider as an SMS sender, when it is one."""
    if provider.capabilities.sends_text and hasattr(provider, "send_text"):
        return provider  # type: ignore[return-value]
    return None
