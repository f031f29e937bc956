"""The mail module: turns new notices into mail, sends what the outbox holds, records how it went.

Each round, in three steps that never hold a transaction across the network:
1. one write transaction queues a mail per verified owner of each new notice
   (organizations/notice_mail.py) and claims the due messages for a lease (mail/outbox.py);
2. one SMTP connection sends them (mail/smtp.py);
3. one write transaction per message records it sent, or failed with the server's words, to be
   tried again after a backoff or given up; the notice shows either.

Failures are logged at WARNING, once per message attempt. The worker runs a round every
`MAIL_POLL` when TOCSIN_SMTP_URL is set, and never otherwise (mail is off: nothing to log).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from tocsin.core.clock import Clock
from tocsin.db.engine import Database
from tocsin.mail import outbox
from tocsin.mail.letters import as_message
from tocsin.mail.models import MailStatus
from tocsin.mail.outbox import Outgoing
from tocsin.mail.smtp import MailSettings, Outcome, Result, send_all
from tocsin.organizations.notice_mail import queue_notice_mail

log = logging.getLogger(__name__)

MAIL_POLL = timedelta(seconds=10)
BATCH = 50


@dataclass(frozen=True)
class MailRound:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


async def deliver_mail(
    database: Database, *, clock: Clock, mail: MailSettings, batch: int = BATCH
) -> MailRound:
    """One round: queue new notices' mail, send what is due, record the results."""

    def claim(session: Session) -> list[Outgoing]:
        now = clock.now()
        skip = database.is_postgres
        queue_notice_mail(session, now=now, base_url=mail.base_url, skip_locked=skip)
        return outbox.claim_due(session, now=now, limit=batch, skip_locked=skip)

    claimed = await database.off_loop(_in_write, database, claim)
    if not claimed:
        return MailRound()
    messages = [
        as_message(
            sender=mail.sender,
            to=item.to,
            subject=item.subject,
            text=item.text,
            html=item.html,
            headers=item.headers,
            now=clock.now(),
        )
        for item in claimed
    ]
    results = await send_all(messages, mail)
    counts = {MailStatus.SENT: 0, MailStatus.PENDING: 0, MailStatus.FAILED: 0}
    for item, result in zip(claimed, results, strict=True):
        status = await database.off_loop(_record, database, clock, item, result)
        counts[status] += 1
    return MailRound(
        sent=counts[MailStatus.SENT],
        retrying=counts[MailStatus.PENDING],
        failed=counts[MailStatus.FAILED],
    )


def _in_write(database: Database, work: Callable[[Session], list[Outgoing]]) -> list[Outgoing]:
    with database.write() as session:
        return work(session)


def _record(database: Database, clock: Clock, item: Outgoing, result: Result) -> MailStatus:
    with database.write() as session:
        if result.outcome == Outcome.SENT:
            outbox.record_sent(session, mail_id=item.id, now=clock.now())
            return MailStatus.SENT
        status = outbox.record_failure(
            session,
            mail_id=item.id,
            error=result.error or "not sent",
            permanent=result.outcome == Outcome.REFUSED,
            now=clock.now(),
        )
    what = "giving up" if status == MailStatus.FAILED else "will try again"
    log.warning("mail %s to %s not sent (%s): %s", item.id, item.to, what, result.error)
    return status
