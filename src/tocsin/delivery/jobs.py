"""Writing and cancelling call jobs: the outbox that ingest fills in the alert's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from tocsin.db.base import table_of
from tocsin.delivery.models import CallJob, JobStatus
from tocsin.endpoints.service import CallTarget
from tocsin.ids import new_id

_INSERT_JOB = insert(table_of(CallJob))


def enqueue_calls(
    session: Session, *, org_id: str, alert_id: str, targets: Sequence[CallTarget], now: datetime
) -> int:
    """Write one pending job per target; returns how many."""
    if not targets:
        return 0
    session.execute(
        _INSERT_JOB,
        [
            {
                "id": new_id("job"),
                "org_id": org_id,
                "alert_id": alert_id,
                "contact_id": target.contact_id,
                "to_number": target.phone_e164,
                "status": JobStatus.PENDING.value,
                "run_at": now,
                "attempt_count": 0,
                "created_at": now,
                "updated_at": now,
            }
            for target in targets
        ],
    )
    return len(targets)


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
