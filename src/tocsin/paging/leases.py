"""Claiming due jobs with a lease, extending it while working, and letting it go.

A lease is what lets another worker take over a job whose worker died: once `lease_expires_at`
passes without a heartbeat, the job is due again. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets
many workers claim at once without waiting on each other; on SQLite the single writer
(`BEGIN IMMEDIATE`) serialises claims.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Row, and_, bindparam, exists, or_, select, update
from sqlalchemy.orm import Session

from tocsin.endpoints.models import Endpoint
from tocsin.paging.models import Alert, CallJob, JobStatus


class ClaimedJob(NamedTuple):
    """What a worker needs of a job it has just claimed to know which way it goes, read in the
    claim itself: none of it changes while the job lives."""

    id: str
    channel: str
    org_id: str
    to_number: str
    # The request id of the webhook that opened the job's alert, for the job's log lines.
    request_id: str | None
    # Whether the alert's endpoint has a template, whose words are rendered ahead of planning.
    templated: bool


_DUE = or_(
    and_(
        CallJob.status.in_((JobStatus.PENDING, JobStatus.AWAITING)),
        CallJob.run_at <= bindparam("now"),
    ),
    and_(CallJob.status == JobStatus.LEASED, CallJob.lease_expires_at < bindparam("now")),
)
_TEMPLATED = exists(
    select(Endpoint.id)
    .join(Alert, Alert.endpoint_id == Endpoint.id)
    .where(Alert.id == CallJob.alert_id, Endpoint.template.is_not(None), Endpoint.template != "")
)
_CLAIMED_COLUMNS = select(
    CallJob.id,
    CallJob.channel,
    CallJob.org_id,
    CallJob.to_number,
    CallJob.request_id,
    _TEMPLATED,
)
_CLAIMABLE = _CLAIMED_COLUMNS.where(_DUE).order_by(CallJob.run_at).limit(bindparam("limit"))
# The subquery reads the alert and its endpoint without locking them.
_CLAIMABLE_SKIPPING_LOCKED = _CLAIMABLE.with_for_update(skip_locked=True, of=CallJob)
_LEASE = (
    update(CallJob)
    .where(CallJob.id.in_(bindparam("job_ids", expanding=True)))
    .values(
        status=JobStatus.LEASED,
        lease_owner=bindparam("worker_id"),
        lease_expires_at=bindparam("expires_at"),
        updated_at=bindparam("now"),
    )
    .execution_options(synchronize_session=False)
)


def claim_due(
    session: Session,
    *,
    worker_id: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    skip_locked: bool,
) -> list[ClaimedJob]:
    """Lease up to `limit` due jobs (and jobs whose worker's lease ran out) to this worker."""
    query = _CLAIMABLE_SKIPPING_LOCKED if skip_locked else _CLAIMABLE
    jobs = [_claimed(row) for row in session.execute(query, {"now": now, "limit": limit})]
    if jobs:
        session.execute(
            _LEASE,
            {
                "job_ids": [job.id for job in jobs],
                "worker_id": worker_id,
                "expires_at": now + lease,
                "now": now,
            },
        )
    return jobs


_BY_ID = _CLAIMED_COLUMNS.where(CallJob.id == bindparam("job_id"))


def _claimed(row: Row[str, str, str, str, str | None, bool]) -> ClaimedJob:
    job_id, channel, org_id, to_number, request_id, templated = row
    return ClaimedJob(job_id, channel, org_id, to_number, request_id, bool(templated))


def claimed_job(session: Session, job_id: str) -> ClaimedJob | None:
    """What `claim_due` reads of a job, for a job claimed some other way."""
    row = session.execute(_BY_ID, {"job_id": job_id}).one_or_none()
    return _claimed(row) if row is not None else None


def claim_due_jobs(
    session: Session,
    *,
    worker_id: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    skip_locked: bool,
) -> list[str]:
    """`claim_due`, for callers that need only the ids."""
    claimed = claim_due(
        session, worker_id=worker_id, now=now, lease=lease, limit=limit, skip_locked=skip_locked
    )
    return [job.id for job in claimed]


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
