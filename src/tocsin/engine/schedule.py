"""What a worker finds when it looks for work: calls to place, escalations to move on, and when
the next thing becomes due. One transaction per look, because on SQLite every transaction
waits its turn with the webhooks coming in."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.paging.escalation import WAKING, due_escalations
from tocsin.paging.hangups import Hangup, closed_while_running, pending_hangups
from tocsin.paging.leases import ClaimedJob, claim_due
from tocsin.paging.models import CallJob, Escalation, JobStatus


@dataclass(frozen=True)
class Work:
    jobs: list[ClaimedJob]
    escalation_ids: list[str]
    # The earliest moment more work becomes due, when this look found less than it could take;
    # None when nothing is scheduled or it did not need to look.
    next_due: datetime | None = None
    # Calls to hang up because their alert was closed (paging/hangups.py).
    hangups: list[Hangup] = field(default_factory=list)

    @property
    def job_ids(self) -> list[str]:
        return [job.id for job in self.jobs]


_NEXT_DUE = select(
    select(func.min(CallJob.run_at))
    .where(CallJob.status.in_((JobStatus.PENDING, JobStatus.AWAITING)))
    .scalar_subquery(),
    select(func.min(CallJob.lease_expires_at))
    .where(CallJob.status == JobStatus.LEASED)
    .scalar_subquery(),
    select(func.min(Escalation.next_at)).where(Escalation.status.in_(WAKING)).scalar_subquery(),
)


def next_due(session: Session) -> datetime | None:
    """The earliest run_at of a waiting job, expiry of a lease, or next_at of an escalation. An
    idle worker sleeps until then (or its poll, if sooner), so a wait step or a retry is on
    time however long the poll is."""
    row = session.execute(_NEXT_DUE).one()
    found = [moment for moment in row if moment is not None]
    return min(found) if found else None


def look_for_work(
    session: Session,
    *,
    worker_id: str,
    now: datetime,
    lease: timedelta,
    job_limit: int,
    escalation_limit: int,
    skip_locked: bool,
    running: Collection[str] = (),
) -> Work:
    """`running`: the attempts whose calls this worker is running, to hang up any whose alert
    was closed meanwhile."""
    jobs = (
        claim_due(
            session,
            worker_id=worker_id,
            now=now,
            lease=lease,
            limit=job_limit,
            skip_locked=skip_locked,
        )
        if job_limit > 0
        else []
    )
    escalation_ids = due_escalations(session, now=now, limit=escalation_limit)
    idle = not escalation_ids and len(jobs) < job_limit
    hangups = pending_hangups(session, worker_id=worker_id)
    marked = {hangup.attempt_id for hangup in hangups}
    hangups += [
        hangup
        for hangup in closed_while_running(session, attempt_ids=running)
        if hangup.attempt_id not in marked
    ]
    return Work(jobs, escalation_ids, next_due(session) if idle else None, hangups)
