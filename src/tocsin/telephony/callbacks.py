"""Provider callbacks: how Tocsin hears and answers a provider that reports its calls over HTTP.

A REST provider (Twilio, Plivo, Telnyx, Vonage) tells Tocsin what happens on a call, and asks
what to say next, in signed callbacks to `/v1/telephony/{kind}/{hook}`. Everything about them
that depends on the provider is the job of its `CallbackAdapter`, which lives next to the
provider's code in `telephony/rest/` (as GoAlert's provider packages serve their own callbacks):

- `verify` checks the signature over what the provider signs (URL, body, headers), in constant
  time, with the credentials of the account that placed the call;
- `parse` reads the request into a `CallbackEvent`, the same for every provider: the call's key,
  the hook (answer, keypress, status), what happened as ranked `CallEvent`s, the key pressed;
- `reply` renders what the provider expects back (TwiML, Plivo XML, an NCCO, or an empty 2xx
  after steering the call with Telnyx commands) from the call's `CallView`.

What a callback does to its call is the same for every provider, and decided elsewhere
(`tocsin.paging.call_events`). Which account's credentials check a callback is found from the key
the request names before it is verified (`CallbackKind.reference`), by reading only, so an
unsigned request changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlsplit

from tocsin.core.errors import InvalidInput, NotFound
from tocsin.telephony.base import CallEvent
from tocsin.telephony.dialogue import CallScript, Turn
from tocsin.telephony.prompts import DEFAULT_LANGUAGE


class Hook(StrEnum):
    """Which moment of a call a callback reports, whatever the provider calls it."""

    # The callee picked up: the reply is the call's first turn.
    ANSWER = "answer"
    # A key was pressed, or the wait for one ended in silence: the reply is the next turn.
    KEYPRESS = "keypress"
    # Progress or the end of the call: nothing to say back.
    STATUS = "status"
    # The call's last turn has been said: a provider that keeps a call open until it is told
    # otherwise (Telnyx) is told to hang up.
    GOODBYE = "goodbye"


@dataclass(frozen=True)
class CallbackRequest:
    """A callback as the provider sent it."""

    # The last segment of its path, as the URLs Tocsin gave the provider name it: answer,
    # gather, status, events, input or event.
    route: str
    # The public URL the provider requested, query included. Providers sign the URL they were
    # given, not the address a proxy forwards to.
    url: str
    # Looked up by lower-case name (Starlette's headers are case-insensitive already).
    headers: Mapping[str, str]
    body: bytes
    # By Tocsin's clock: Telnyx and Vonage signatures are good for a few minutes only.
    received_at: datetime

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def query(self, name: str, default: str = "") -> str:
        """A parameter of the URL's query; the last one when it is repeated."""
        params = dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))
        return params.get(name, default)

    def form(self) -> list[tuple[str, str]]:
        """The fields of a form-encoded body, in the order sent."""
        return parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; InvalidInput `malformed_body` when it is not one."""
        try:
            parsed = json.loads(self.body)
        except ValueError as exc:
            raise InvalidInput("callback body is not valid JSON", code="malformed_body") from exc
        if not isinstance(parsed, dict):
            raise InvalidInput("callback body is not a JSON object", code="malformed_body")
        return parsed


@dataclass(frozen=True)
class CallbackEvent:
    """One callback, read: the same fields whichever provider sent it."""

    # The idempotency key Tocsin gave the call (an attempt's, or `verify/<id>` for a number
    # verification call). None for a callback about a call Tocsin did not place, which is
    # acknowledged and changes nothing.
    key: str | None
    hook: Hook
    # The provider's id for the call ('' when the callback names none).
    provider_call_id: str
    # What happened, each ranked by its place in a call's life rather than by its arrival
    # (`dialogue.sequence_of`), so that a late callback cannot move the call backwards.
    events: tuple[CallEvent, ...] = ()
    # For a keypress: the key ('' for silence) and the prompt round it answers.
    digits: str = ""
    round_no: int = 0


@dataclass(frozen=True)
class CallView:
    """What a callback's reply is made from."""

    script: CallScript
    # A finished attempt's call is over: a late webhook must not start talking to it again.
    finished: bool

    def spoken_by(self, speaks: Callable[[str], bool]) -> CallView:
        """The call as a provider that `speaks` some languages only can say it: in its own
        language when the provider speaks that, else in English, which every provider speaks.
        A call in words its provider cannot pronounce would be worse than one in English. The
        alert is read as written; a text that is all Tocsin's words (a verification code) is
        said in its English version."""
        script = self.script
        if script.language == DEFAULT_LANGUAGE or speaks(script.language):
            return self
        text = script.in_english if script.in_english is not None else script.spoken_text
        english = replace(script, language=DEFAULT_LANGUAGE, spoken_text=text, in_english=None)
        return replace(self, script=english)


def turn_after(event: CallbackEvent, call: CallView) -> Turn | None:
    """What the call says after this callback; None after one that only reports progress."""
    if event.hook is Hook.ANSWER:
        return call.script.first_turn()
    if event.hook is Hook.KEYPRESS:
        return call.script.next_turn(event.digits, event.round_no)
    return None


@dataclass(frozen=True)
class CallbackReply:
    """The HTTP answer to a callback."""

    status_code: int = 204
    body: bytes = b""
    media_type: str | None = None

    @classmethod
    def xml(cls, document: str) -> CallbackReply:
        return cls(200, document.encode(), "application/xml")

    @classmethod
    def json(cls, content: Any) -> CallbackReply:
        # Compact, as Starlette's JSONResponse writes it.
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return cls(200, text.encode(), "application/json")


# Received; nothing to say.
NO_CONTENT = CallbackReply()


class CallbackAdapter(Protocol):
    """One provider account's callbacks: checked with its credentials, read in its wire format,
    answered in the form it expects."""

    def verify(self, request: CallbackRequest) -> bool:
        """Whether the provider signed this request with the account's credentials (and, for
        providers that date their signatures, recently), compared in constant time."""
        ...

    def parse(self, request: CallbackRequest) -> CallbackEvent:
        """A verified request, read; InvalidInput `malformed_body` when its body cannot be."""
        ...

    async def reply(self, event: CallbackEvent, call: CallView | None) -> CallbackReply:
        """What the provider gets back once the event is recorded; `call` is None for an event
        about no call of Tocsin's. An adapter that steers the call through the provider's API
        (Telnyx) does so here, and only logs a failure: the event is recorded already."""
        ...


@runtime_checkable
class ServesCallbacks(Protocol):
    """A provider that learns what happens on its calls from callbacks."""

    @property
    def callbacks(self) -> CallbackAdapter: ...


def callback_adapter(provider: object) -> CallbackAdapter | None:
    """The adapter for a provider's callbacks; None for one that sends none (SIP, simulator)."""
    return provider.callbacks if isinstance(provider, ServesCallbacks) else None


@dataclass(frozen=True)
class CallbackKind:
    """What serving a kind of provider's callbacks needs before anyone knows whose call it is."""

    name: str
    # The routes of the callback URLs Tocsin gives this kind of provider; any other is not found.
    routes: frozenset[str]
    # The call key a request names, read before it is verified, only to find the account whose
    # credentials check it.
    reference: Callable[[CallbackRequest], str | None]


def hook_of(request: CallbackRequest, hooks: Mapping[str, Hook]) -> Hook:
    """The hook a callback's route stands for, for providers that give each its own URL."""
    hook = hooks.get(request.route)
    if hook is None:
        raise NotFound(f"no callback route {request.route!r}", code="not_found")
    return hook


def key_in_url(request: CallbackRequest) -> str:
    """The call key in the callback URLs Tocsin gives Twilio, Plivo and Vonage."""
    return request.query("key")


def round_in_url(request: CallbackRequest) -> int:
    """The prompt round in a keypress callback's URL; 0 without one."""
    value = request.query("round", "0")
    try:
        return int(value)
    except ValueError as exc:
        raise InvalidInput("callback round is not a number", code="malformed_body") from exc
