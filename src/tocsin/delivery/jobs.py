"""Writing and cancelling call jobs: the outbox that ingest fills in the alert's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from tocsin.delivery.models import CallJob, JobStatus
from tocsin.endpoints.models import Contact
from tocsin.ids import new_id


def enqueue_calls(
    session: Session, *, org_id: str, alert_id: str, contacts: Sequence[Contact], now: datetime
) -> list[CallJob]:
    jobs = [
        CallJob(
            id=new_id("job"),
            org_id=org_id,
            alert_id=alert_id,
            contact_id=contact.id,
            to_number=contact.phone_e164,
            status=JobStatus.PENDING,
            run_at=now,
            attempt_count=0,
            created_at=now,
            updated_at=now,
        )
        for contact in contacts
    ]
    session.add_all(jobs)
    return jobs


def cancel_pending_calls(session: Session, *, alert_id: str, now: datetime, reason: str) -> int:
    """Cancel the alert's jobs that no worker holds. A held job is cancelled by its worker, which
    re-reads the alert before dialling, so a call already ringing is never cut by this."""
    result = session.execute(
        update(CallJob)
        .where(CallJob.alert_id == alert_id, CallJob.status == JobStatus.PENDING)
        .values(status=JobStatus.CANCELLED, last_error=reason, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
