"""Claiming due jobs with a lease, extending it while working, and letting it go.

A lease is what lets another worker take over a job whose worker died: once `lease_expires_at`
passes without a heartbeat, the job is due again. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets
many workers claim at once without waiting on each other; on SQLite the single writer
(`BEGIN IMMEDIATE`) serialises claims.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from tocsin.paging.models import CallJob, JobStatus


def claim_due_jobs(
    session: Session,
    *,
    worker_id: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    skip_locked: bool,
) -> list[str]:
    due = or_(
        and_(CallJob.status.in_((JobStatus.PENDING, JobStatus.AWAITING)), CallJob.run_at <= now),
        and_(CallJob.status == JobStatus.LEASED, CallJob.lease_expires_at < now),
    )
    query = select(CallJob.id).where(due).order_by(CallJob.run_at).limit(limit)
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    job_ids = list(session.scalars(query))
    if job_ids:
        session.execute(
            update(CallJob)
            .where(CallJob.id.in_(job_ids))
            .values(
                status=JobStatus.LEASED,
                lease_owner=worker_id,
                lease_expires_at=now + lease,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    return job_ids


def extend_leases(
    session: Session, *, worker_id: str, job_ids: Collection[str], now: datetime, lease: timedelta
) -> set[str]:
    """Extend the leases this worker still holds; returns the ids another worker has taken
    over since (this worker's lease expired). Jobs this worker let go of itself are neither."""
    if not job_ids:
        return set()
    # Rows another transaction of this worker holds right now (a call being planned or
    # settled) are passed over rather than waited for: waiting on them while they wait on a
    # row this heartbeat holds is a deadlock. Their transaction is short; the next heartbeat,
    # a third of a lease later, extends them.
    held = list(
        session.scalars(
            select(CallJob.id)
            .where(
                CallJob.id.in_(job_ids),
                CallJob.lease_owner == worker_id,
                CallJob.status == JobStatus.LEASED,
            )
            .order_by(CallJob.id)
            .with_for_update(skip_locked=True)
        )
    )
    if held:
        session.execute(
            update(CallJob)
            .where(CallJob.id.in_(held))
            .values(lease_expires_at=now + lease)
            .execution_options(synchronize_session=False)
        )
    return set(
        session.scalars(
            select(CallJob.id).where(
                CallJob.id.in_(job_ids),
                CallJob.status == JobStatus.LEASED,
                CallJob.lease_owner != worker_id,
            )
        )
    )


def holds_lease(job: CallJob, worker_id: str) -> bool:
    return job.status == JobStatus.LEASED and job.lease_owner == worker_id


def release(
    job: CallJob, *, status: JobStatus, now: datetime, run_at: datetime | None = None
) -> None:
    job.status = status
    job.lease_owner = None
    job.lease_expires_at = None
    job.updated_at = now
    if run_at is not None:
        job.run_at = run_at
