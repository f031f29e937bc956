"""Writing and cancelling call jobs: the outbox that ingest and escalations fill."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import ColumnElement, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from tocsin.core.ids import new_id
from tocsin.db.base import table_of
from tocsin.db.statements import run
from tocsin.paging.models import OPEN_JOB_STATUSES, CallJob, JobOutcome, JobStatus
from tocsin.routing.targets import CallTarget

_INSERT_JOB = insert(table_of(CallJob))


def enqueue_calls(
    session: Session,
    *,
    org_id: str,
    alert_id: str,
    targets: Sequence[CallTarget],
    now: datetime,
    escalation_id: str | None = None,
    step_index: int | None = None,
    round: int = 0,
    request_id: str | None = None,
) -> int:
    """Write one pending job per target; returns how many. `request_id`: the alert's."""
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
                "channel": target.channel,
                "user_id": target.user_id,
                "status": JobStatus.PENDING.value,
                "run_at": now + timedelta(seconds=target.delay_seconds),
                "attempt_count": 0,
                "escalation_id": escalation_id,
                "step_index": step_index,
                "round": round,
                "request_id": request_id,
                "created_at": now,
                "updated_at": now,
            }
            for target in targets
        ],
    )
    return len(targets)


_CANCEL_PENDING = (
    update(CallJob)
    .where(CallJob.alert_id == bindparam("of_alert"), CallJob.status == JobStatus.PENDING)
    .values(
        status=JobStatus.CANCELLED,
        outcome=bindparam("ended_as"),
        last_error=bindparam("ended_as"),
        held_until=None,
        updated_at=bindparam("now"),
    )
    .execution_options(synchronize_session=False)
)


def cancel_pending_calls(
    session: Session, *, alert_id: str, now: datetime, outcome: JobOutcome
) -> int:
    """Cancel the alert's jobs that no worker holds. A held job is cancelled by its worker, which
    re-reads the alert before dialling, so a call already ringing is never cut by this."""
    values = {"of_alert": alert_id, "ended_as": outcome.value, "now": now}
    result = run(session, _CANCEL_PENDING, values)
    return int(result.rowcount)


class CancelledJob(NamedTuple):
    org_id: str
    alert_id: str
    escalation_id: str | None


def cancel_pending_where(
    session: Session,
    condition: ColumnElement[bool],
    *,
    outcome: JobOutcome,
    reason: str,
    now: datetime,
) -> list[CancelledJob]:
    """Cancel the pending jobs matching `condition`; returns whose they were. Only
    `paging.stopped_calls` calls this: a job cancelled for a reason outside its alert must be
    said on the alert's timeline."""
    rows = session.execute(
        update(CallJob)
        .where(condition, CallJob.status == JobStatus.PENDING)
        .values(
            status=JobStatus.CANCELLED,
            outcome=outcome.value,
            last_error=reason,
            held_until=None,
            updated_at=now,
        )
        .returning(CallJob.org_id, CallJob.alert_id, CallJob.escalation_id)
        .execution_options(synchronize_session=False)
    )
    return [CancelledJob(*row) for row in rows]


class QueueDepth(NamedTuple):
    # Open jobs by status (pending, leased, awaiting), every status named.
    by_status: dict[str, int]
    # Jobs a worker should have taken by now: pending or awaiting, and due.
    due: int
    # When the longest-waiting of those fell due; None when none is due.
    oldest_due: datetime | None


# Jobs nobody works on although they are due; both statuses lead the `ix_call_jobs_due` index.
_WAITING = (JobStatus.PENDING, JobStatus.AWAITING)


def queue_depth(session: Session, *, now: datetime) -> QueueDepth:
    """The outbox's depth, for a metrics scrape: two queries, each over the (status, run_at)
    index's open statuses only, however many jobs have ended."""
    counted = dict(
        session.execute(
            select(CallJob.status, func.count())
            .where(CallJob.status.in_(OPEN_JOB_STATUSES))
            .group_by(CallJob.status)
        ).all()
    )
    due, oldest = session.execute(
        select(func.count(), func.min(CallJob.run_at)).where(
            CallJob.status.in_(_WAITING), CallJob.run_at <= now
        )
    ).one()
    return QueueDepth(
        by_status={status.value: int(counted.get(status.value, 0)) for status in OPEN_JOB_STATUSES},
        due=int(due),
        oldest_due=oldest,
    )
