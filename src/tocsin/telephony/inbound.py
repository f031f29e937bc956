"""Texts sent to Tocsin's numbers: how a provider delivers them, and how Tocsin answers.

A person can text one of the numbers Tocsin sends from, and the SMS programme rules require
that STOP, HELP and START be honoured. Each REST provider delivers such a text in a signed
inbound-message webhook to `/v1/telephony/{kind}/sms` (with `?account=<provider account id>`
when it arrived for an organization's own account). Everything about it that depends on the
provider is the job of the provider's `TextAdapter`, next to its code in `telephony/rest/`:

- `verify` checks the signature exactly as the provider signs (the same scheme as its call
  callbacks: Twilio's X-Twilio-Signature, Plivo's V3, Telnyx's Ed25519, Vonage's signed JWT),
  with the credentials of the account the message arrived for;
- `parse` reads it into an `InboundText`, the same for every provider, or None for a webhook
  that is no inbound text (Telnyx sends delivery reports to the same URL);
- `reply` sends Tocsin's answer, from the number that received the text, through the same
  account, and `acknowledgement` is what the webhook itself gets back.

What a text does is decided elsewhere (`tocsin.trust.inbound_texts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from tocsin.core.errors import InvalidInput
from tocsin.telephony.base import TextMessage, TextSender
from tocsin.telephony.callbacks import CallbackReply, CallbackRequest

# The route of the inbound-message webhook, under /v1/telephony/{kind}/.
INBOUND_ROUTE = "sms"
# The query parameter naming the organization's provider account the text arrived for.
ACCOUNT_PARAMETER = "account"


@dataclass(frozen=True)
class InboundText:
    """A text someone sent to one of Tocsin's numbers, as the provider delivered it."""

    # The provider's id for the message: a webhook sent again carries the same one.
    message_id: str
    # Who sent it and which number received it, both E.164 with the plus.
    from_number: str
    to_number: str
    body: str


class TextAdapter(Protocol):
    """One provider account's inbound-message webhooks."""

    def verify(self, request: CallbackRequest) -> bool:
        """Whether the provider signed this request with the account's credentials (and, for
        providers that date their signatures, recently), compared in constant time."""
        ...

    def parse(self, request: CallbackRequest) -> InboundText | None:
        """A verified request, read; None for an event that is no inbound text; InvalidInput
        `malformed_body` for one that cannot be read."""
        ...

    async def reply(self, text: InboundText, body: str) -> str:
        """Answer `text` with `body` from the number that received it; the provider's id of
        the answer, or ProviderError."""
        ...

    @property
    def acknowledgement(self) -> CallbackReply:
        """What the webhook gets back: the provider must not answer anything itself."""
        ...


@runtime_checkable
class ReceivesTexts(Protocol):
    """A provider that delivers texts sent to its numbers in webhooks."""

    @property
    def inbound_texts(self) -> TextAdapter: ...


def text_adapter(provider: object) -> TextAdapter | None:
    """The adapter for a provider's inbound texts; None for one that delivers none."""
    return provider.inbound_texts if isinstance(provider, ReceivesTexts) else None


def e164(raw: object, *, field: str) -> str:
    """A number as a provider wrote it (Plivo and Vonage drop the plus), with the plus."""
    digits = str(raw or "").strip().removeprefix("+")
    if not digits.isdigit():
        raise InvalidInput(f"inbound text has no {field} number", code="malformed_body")
    return f"+{digits}"


def required(value: object, *, field: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise InvalidInput(f"inbound text has no {field}", code="malformed_body")
    return text


async def send_reply(sender: TextSender, text: InboundText, body: str) -> str:
    """The answer to `text`, sent back from the number that received it. Keyed by the message
    it answers: providers that take an idempotency key send it at most once."""
    return await sender.send_text(
        TextMessage(
            idempotency_key=f"reply/{text.message_id}",
            to_number=text.from_number,
            sender=text.to_number,
            body=body,
        )
    )
