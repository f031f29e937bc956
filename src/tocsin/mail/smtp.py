"""Talking to the operator's SMTP server: its settings, read from one URL, and sending.

`TOCSIN_SMTP_URL` is `smtp://user:password@host:port?starttls=1` (STARTTLS required; `=0` never;
left out, used when the server offers it) or `smtps://user:password@host:port` (TLS from the first
byte). The user and password are percent-decoded, so either may hold `@` or `:` written as
`%40`, `%3A`. Ports default to 587 (smtp with STARTTLS), 25 (smtp otherwise) and 465 (smtps).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr
from enum import StrEnum
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from tocsin.core.config import Settings
from tocsin.core.errors import InvalidInput

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# Long enough for a slow server, short enough that a dead one does not hold the mail module.
TIMEOUT_SECONDS = 30.0


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(f"TOCSIN_SMTP_URL: {message}", code="invalid_settings")


@dataclass(frozen=True)
class MailSettings:
    """Where mail goes and what it says it is from; `base_url` starts every link in it."""

    host: str
    port: int
    sender: str
    base_url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    implicit_tls: bool = False
    # True: STARTTLS or nothing; False: never; None: when the server offers it.
    starttls: bool | None = None

    @property
    def envelope_sender(self) -> str:
        """The bare address of `sender`, for the SMTP envelope (MAIL FROM)."""
        return parseaddr(self.sender)[1]

    @classmethod
    def from_settings(cls, settings: Settings) -> MailSettings | None:
        """None when no SMTP URL is set: mail is off."""
        if settings.smtp_url is None or not settings.smtp_url.get_secret_value().strip():
            return None
        base_url = settings.public_base_url.rstrip("/")
        sender = settings.mail_from or default_sender(base_url)
        return parse_url(settings.smtp_url.get_secret_value().strip(), sender, base_url)


def default_sender(base_url: str) -> str:
    host = urlsplit(base_url).hostname or "localhost"
    return str(Address("Tocsin", "tocsin", host))


def parse_url(url: str, sender: str, base_url: str) -> MailSettings:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise _invalid("the scheme must be smtp:// or smtps://")
    if not parts.hostname:
        raise _invalid("no host")
    if "@" not in parseaddr(sender)[1]:
        raise InvalidInput(
            f"TOCSIN_MAIL_FROM: {sender!r} is not an e-mail address", code="invalid_settings"
        )
    query = {name: values[-1].lower() for name, values in parse_qs(parts.query).items()}
    starttls = _flag(query.get("starttls"))
    implicit = parts.scheme == "smtps"
    if implicit and starttls:
        raise _invalid("smtps:// is TLS already; starttls applies to smtp:// only")
    try:
        port = parts.port
    except ValueError as error:
        raise _invalid("the port is not a number") from error
    return MailSettings(
        host=parts.hostname,
        port=port or (465 if implicit else 587 if starttls else 25),
        sender=sender,
        base_url=base_url,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit,
        starttls=False if implicit else starttls,
    )


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _invalid(f"starttls={value!r}; use 1 or 0")


class Outcome(StrEnum):
    SENT = "sent"
    # Worth trying again: the server was down, busy (4xx), or the connection broke.
    RETRY = "retry"
    # The server refused this message for good (5xx): trying again changes nothing.
    REFUSED = "refused"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    error: str | None = None


async def send_all(messages: Sequence[EmailMessage], settings: MailSettings) -> list[Result]:
    """Send each message over one connection; a result per message, in order. Never raises:
    what went wrong is in the results."""
    client = aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        username=settings.username,
        password=settings.password,
        use_tls=settings.implicit_tls,
        start_tls=settings.starttls,
        timeout=TIMEOUT_SECONDS,
    )
    try:
        await client.connect()
    except (aiosmtplib.SMTPException, OSError) as error:
        # Login failures land here too: a setting to fix, not a reason to give mail up.
        failed = Result(Outcome.RETRY, f"could not reach the mail server: {_describe(error)}")
        return [failed for _ in messages]
    results: list[Result] = []
    try:
        for message in messages:
            results.append(await _send_one(client, message, settings))
            if not client.is_connected:
                break
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
    lost = Result(Outcome.RETRY, "the mail server closed the connection")
    return results + [lost for _ in messages[len(results) :]]


async def _send_one(
    client: aiosmtplib.SMTP, message: EmailMessage, settings: MailSettings
) -> Result:
    try:
        await client.send_message(message, sender=settings.envelope_sender)
    except aiosmtplib.SMTPRecipientsRefused as error:
        codes = [refused.code for refused in error.recipients]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        text = "; ".join(_describe(refused) for refused in error.recipients)
        return Result(Outcome.REFUSED if permanent else Outcome.RETRY, text)
    except aiosmtplib.SMTPResponseException as error:
        outcome = Outcome.REFUSED if error.code >= 500 else Outcome.RETRY
        return Result(outcome, _describe(error))
    except (aiosmtplib.SMTPException, OSError) as error:
        return Result(Outcome.RETRY, _describe(error))
    return Result(Outcome.SENT)


def _describe(error: Exception) -> str:
    code = getattr(error, "code", None)
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return f"{code} {message}" if code else str(message)
