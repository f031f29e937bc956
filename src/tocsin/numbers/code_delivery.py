"""Sending a verification code: by SMS through the first provider that sends texts, or by a
call through the first provider that accepts it. The API process sends it itself: a code is
worth nothing if it arrives after the person gave up waiting for it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from tocsin.core.errors import TocsinError
from tocsin.messages import sms
from tocsin.messages.org_names import who_asks, who_asks_briefly
from tocsin.numbers.verification import Channel, Purpose, spoken_code
from tocsin.providers.choice import ProviderChoice
from tocsin.telephony.base import CallHandle, CallRequest, ProviderError, TextMessage, text_sender
from tocsin.telephony.prompts import DEFAULT_LANGUAGE, prompts_for

log = logging.getLogger(__name__)

# Calls whose events are still being read; held so the tasks are not collected mid-call.
_listening: set[asyncio.Task[None]] = set()


class CodeNotSent(TocsinError):
    status_code = 502
    default_code = "verification_not_sent"


class SmsUnsupported(TocsinError):
    status_code = 422
    default_code = "sms_unsupported"


@dataclass(frozen=True)
class CodeMessage:
    """What a code says, in the platform's words (`telephony.prompts.CodeWords`), in
    `language`: it names Tocsin, says what the code is for and how to stop every call. The
    organization is named only by a name that passed `messages.org_names.shown_org_name`; the
    caller gives that, or None."""

    purpose: Purpose
    code: str
    # The organization asking for consent, as it may be shown; None for a public opt-out, or
    # when its name may not be said.
    org_name: str | None
    opt_out_url: str
    # A code of the catalogue: the contact's, the member's or the organization's
    # (`contacts.languages.language_of_number`).
    language: str = DEFAULT_LANGUAGE

    def spoken(self) -> str:
        words = prompts_for(self.language).codes
        digits = spoken_code(self.code)
        if self.purpose == Purpose.CALLER_ID:
            return words.caller_id_call.format(digits=digits)
        if self.purpose == Purpose.OPT_OUT:
            return words.opt_out_call.format(digits=digits)
        who = who_asks(self.org_name, self.language)
        return words.consent_call.format(who=who, digits=digits, url=self.opt_out_url)

    def in_english(self) -> CodeMessage:
        """The same code in English, for a provider that cannot speak `language`."""
        return replace(self, language=DEFAULT_LANGUAGE)

    def text(self) -> str:
        """The SMS, ending with the opt-out instruction: a STOP in reply stops the calls and
        texts of whoever sent it (every Tocsin call and text, from a platform number), so it
        stands in for the opt-out URL. In English, one GSM-7 segment for any name that may be
        shown (at most 40 characters); a name in a script outside GSM-7 takes more, and so do
        most other languages, whose letters are outside GSM-7 (`tocsin.messages.sms.segments`;
        tests/messages/test_sms_texts.py bounds them)."""
        words = prompts_for(self.language).codes
        if self.purpose == Purpose.CALLER_ID:
            body = words.caller_id_text.format(code=self.code)
        elif self.purpose == Purpose.OPT_OUT:
            body = words.opt_out_text.format(code=self.code)
        else:
            who = who_asks_briefly(self.org_name, self.language)
            body = words.consent_text.format(code=self.code, who=who)
        return sms.with_opt_out_line(body, self.language)


def has_sms(choices: Sequence[ProviderChoice]) -> bool:
    return any(text_sender(choice.provider) is not None for choice in choices)


async def send_code(
    choices: Sequence[ProviderChoice],
    *,
    verification_id: str,
    to_number: str,
    channel: Channel,
    message: CodeMessage,
    voice: str,
) -> str:
    """Send the code and return the provider's id of the call or message; raise CodeNotSent
    when no provider took it. Each provider sends from the caller ID it presents (an
    organization's account from its proven caller ID, the platform's from its own number).
    A call speaks the message's language with `voice`, one of that language's
    (`telephony.prompts.voice_for`)."""
    key = f"verify/{verification_id}"
    if not choices:
        raise CodeNotSent(
            "no telephony provider is configured to send the code: add a provider account, or "
            "ask the operator to configure the platform's provider (TOCSIN_PROVIDER)"
        )
    refusals: list[str] = []
    for choice in choices:
        provider = choice.provider
        try:
            if channel == Channel.SMS:
                sender = text_sender(provider)
                if sender is None:
                    continue
                return await sender.send_text(
                    TextMessage(
                        idempotency_key=key,
                        to_number=to_number,
                        sender=choice.caller_id,
                        body=message.text(),
                    )
                )
            handle = await provider.dial(
                CallRequest(
                    idempotency_key=key,
                    to_number=to_number,
                    caller_id=choice.caller_id,
                    spoken_text=message.spoken(),
                    voice=voice,
                    language=message.language,
                    offers_menu=False,
                )
            )
        except ProviderError as error:
            if not error.retry_safe:
                # It may have gone out: another provider could make it two.
                raise CodeNotSent(f"{provider.name}: {error.user_message}") from error
            refusals.append(f"{provider.name}: {error.user_message}")
            continue
        _follow(handle)
        return handle.provider_call_id
    if channel == Channel.SMS and not refusals:
        raise SmsUnsupported("none of this organization's providers sends SMS; use a call")
    raise CodeNotSent("no provider sent the code: " + "; ".join(refusals))


def _follow(handle: CallHandle) -> None:
    """Read the call's events to its end in the background: some providers need that to run
    the call, and the API answers as soon as the call is placed."""

    async def drain() -> None:
        try:
            async for _ in handle.events():
                pass
        except Exception:
            log.warning("verification call %s ended badly", handle.provider_call_id)

    task = asyncio.get_running_loop().create_task(drain())
    _listening.add(task)
    task.add_done_callback(_listening.discard)
