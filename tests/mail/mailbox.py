"""A real SMTP server in the test process: aiosmtpd on a free local port, which asks for the
user and password of TOCSIN_SMTP_URL and keeps every message it accepts, parsed.

`mailbox.refuse = "451 4.3.0 try later"` makes it answer the next messages with that reply
instead, as a busy or unhappy server does; `mailbox.stop()` takes it off the network.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tocsin.engine import mailer
from tocsin.runtime import Runtime

USER = "tocsin"
PASSWORD = "mail-password"
_LINK = re.compile(r"https?://\S+/verify-email\?token=[A-Za-z0-9._~-]+")


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None, "the message has no plain-text part"
        return str(cast(EmailMessage, part).get_content())

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None, "the message has no HTML part"
        return str(cast(EmailMessage, part).get_content())

    def link(self) -> str:
        """The verification link the message carries (the same in both parts)."""
        found = _LINK.findall(self.text)
        assert len(found) == 1, self.text
        assert found[0] in self.html
        return str(found[0])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.logins: list[str] = []
        self.refuse: str | None = None
        # Set when a message arrives, for tests of a running worker to wait on.
        self.arrived = threading.Event()
        self.port = free_port()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://{USER}:{PASSWORD}@127.0.0.1:{self.port}?starttls=0"

    def start(self) -> None:
        """Listen on this mailbox's port (again, after `stop`)."""
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            auth_required=True,
            auth_require_tls=False,
            authenticator=self._authenticate,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False)
        login = data.login.decode()
        self.logins.append(login)
        return AuthResult(success=(login, data.password.decode()) == (USER, PASSWORD))

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse is not None:
            return self.refuse
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        self.received.append(
            Received(
                sender=str(envelope.mail_from),
                recipients=list(envelope.rcpt_tos),
                message=cast(EmailMessage, message_from_bytes(content, policy=default)),
            )
        )
        self.arrived.set()
        return "250 2.0.0 accepted"

    def to(self, address: str) -> list[Received]:
        return [mail for mail in self.received if address in mail.recipients]


def send_mail(runtime: Runtime) -> mailer.MailRound:
    """One round of the worker's mail module, as the worker runs it."""
    mail = runtime.worker_settings().mail
    assert mail is not None, "TOCSIN_SMTP_URL is not set in this test"
    return asyncio.run(mailer.deliver_mail(runtime.database, clock=runtime.clock, mail=mail))
