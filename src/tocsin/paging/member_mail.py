"""A member's e-mail about an alert: written to the outbox with its attempt, in one transaction.

The outbox (mail/outbox.py) carries it from there, with its own retries and expiry; the
attempt stands as `sent` from this commit on, since the mail is as durable as the alert. Only
a verified address gets one (engine/texting.py asks the text gate first).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tocsin.accounts.models import User
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.endpoints.models import Endpoint
from tocsin.mail import outbox
from tocsin.mail.letters import Letter, Link, write_letter
from tocsin.mail.models import MailKind
from tocsin.messages.alert_texts import alert_mail
from tocsin.paging.models import Alert, CallAttempt, CallJob, JobOutcome, JobStatus
from tocsin.paging.settle import settle

# How long a mail about an alert may wait in the outbox before it is not worth sending.
MAIL_LIFETIME = timedelta(hours=6)


def alert_url(base_url: str, alert: Alert) -> str:
    """The alert's page on the dashboard."""
    return f"{base_url.rstrip('/')}/o/{alert.org_id}/alerts/{alert.id}"


def mail_member(
    session: Session,
    *,
    job: CallJob,
    alert: Alert,
    attempt: CallAttempt,
    user: User,
    base_url: str,
    actor: Actor,
    now: datetime,
) -> None:
    """Queue the mail for `attempt` (the job's, just written) and settle the job as sent."""
    letter = _letter(session, alert, base_url)
    mail = outbox.queue(
        session,
        kind=MailKind.ALERT,
        to=user.email,
        letter=letter,
        now=now,
        expires_at=now + MAIL_LIFETIME,
        user_id=user.id,
    )
    attempt.spoken_text = letter.subject
    attempt.provider_call_id = mail.id
    attempt.accepted_at = attempt.ended_at = now
    settle(session, job, status=JobStatus.DONE, outcome=JobOutcome.SENT, now=now)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.EMAIL_QUEUED,
        at=now,
        org_id=job.org_id,
        target_type="call_attempt",
        target_id=attempt.id,
        details={"alert_id": job.alert_id, "user_id": user.id, "mail_id": mail.id},
    )


def _letter(session: Session, alert: Alert, base_url: str) -> Letter:
    endpoint = session.get(Endpoint, alert.endpoint_id)
    words = alert_mail(
        severity=alert.severity,
        title=alert.title,
        message=alert.message,
        endpoint=endpoint.name if endpoint is not None else "Tocsin",
        alert_id=alert.id,
        alert_url=alert_url(base_url, alert),
    )
    return write_letter(
        words.subject,
        words.paragraphs,
        link=Link(words.link_label, words.link_url),
        headers={"X-Tocsin-Alert": alert.id},
    )
