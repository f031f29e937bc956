"""One call for all of a number's open alerts: throttles bundle, they do not pile up.

When a call to a number is about to be placed, the organization's other calls waiting for the
same number (other open alerts, throttled or due later) ride along: the call reads them all
("3 open alerts. Alert 1: ... Alert 2: ..."), and a key acts on every alert it read, so 1
acknowledges all of them. A rider's job waits for the call (`riding_attempt_id`); when the call
ends, each rider moves on exactly as if the call had been its own: settled if its alert was
acknowledged or resolved, called again later if nobody answered (the carried call counts as one
of its calls), tried again if the call was never placed.

At most `MAX_ALERTS_READ` alerts are read in one call; the others wait for the next one. A
rider's wait is bounded: should the carrying call's worker vanish, the rider is looked at again
once the call must be over, and planned as usual if the call has ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.db.statements import run
from tocsin.paging.leases import release
from tocsin.paging.models import Alert, AlertStatus, AttemptStatus, CallAttempt, CallJob, JobStatus
from tocsin.restrictions.blocks import dial_block
from tocsin.telephony.prompts import DEFAULT_LANGUAGE, prompts_for

# Alerts one call reads: the call's own and four more. A longer call is one people hang up on.
MAX_ALERTS_READ = 5
# How long a rider waits before it is looked at again, if its call never settles it.
RIDE_TIMEOUT = timedelta(minutes=16)


def riders_for(
    session: Session, job: CallJob, *, now: datetime, skip_locked: bool
) -> list[tuple[CallJob, Alert]]:
    """The organization's other waiting calls to `job`'s number, oldest alert first, whose
    alerts are open and may be called about now. Waiting means pending, or claimed by this
    same worker in the same look and not yet planned (a worker claims several due jobs at once,
    and those to one number would otherwise each wait for the throttle)."""
    dialling = exists().where(
        CallAttempt.job_id == CallJob.id,
        CallAttempt.status.in_((AttemptStatus.SENDING, AttemptStatus.IN_PROGRESS)),
    )
    waiting = or_(
        CallJob.status == JobStatus.PENDING,
        and_(
            CallJob.status == JobStatus.LEASED,
            CallJob.lease_owner == job.lease_owner,
            ~dialling,
        ),
    )
    query = (
        select(CallJob, Alert)
        .join(Alert, Alert.id == CallJob.alert_id)
        .where(
            CallJob.org_id == job.org_id,
            CallJob.to_number == job.to_number,
            # A call carries other calls only: a text to the number goes on its own.
            CallJob.channel == "voice",
            waiting,
            CallJob.id != job.id,
            CallJob.alert_id != job.alert_id,
            Alert.status == AlertStatus.OPEN,
        )
        .order_by(Alert.received_at, Alert.id)
        .limit(MAX_ALERTS_READ * 2)
    )
    if skip_locked:
        query = query.with_for_update(of=CallJob, skip_locked=True)
    riders: list[tuple[CallJob, Alert]] = []
    seen = {job.alert_id}
    blocked: dict[str, bool] = {}
    for rider, alert in session.execute(query):
        if alert.id in seen:
            continue
        if alert.endpoint_id not in blocked:
            blocked[alert.endpoint_id] = (
                dial_block(
                    session,
                    org_id=job.org_id,
                    endpoint_id=alert.endpoint_id,
                    number=job.to_number,
                    now=now,
                )
                is not None
            )
        if blocked[alert.endpoint_id]:
            continue  # its own turn will say why it is not called
        seen.add(alert.id)
        riders.append((rider, alert))
        if len(riders) == MAX_ALERTS_READ - 1:
            break
    return riders


def attach(
    session: Session,
    riders: Sequence[tuple[CallJob, Alert]],
    attempt: CallAttempt,
    *,
    now: datetime,
    actor: Actor,
) -> None:
    """Let the riders wait for `attempt`'s call, and say so on each of their timelines."""
    for rider, alert in riders:
        release(rider, status=JobStatus.AWAITING, now=now, run_at=now + RIDE_TIMEOUT)
        rider.riding_attempt_id = attempt.id
        rider.held_until = None
        rider.hold_reason = f"carried by the call to {attempt.to_number} placed now"
        audit.record(
            session,
            actor=actor,
            action=AuditAction.CALL_CARRIED,
            at=now,
            org_id=rider.org_id,
            target_type="alert",
            target_id=alert.id,
            details={"job_id": rider.id, "attempt_id": attempt.id, "with_alert": attempt.alert_id},
        )


_RIDERS = (
    select(CallJob)
    .where(CallJob.riding_attempt_id == bindparam("attempt_id"))
    .order_by(CallJob.id)
    .with_for_update()
)
_RIDERS_ALERTS = select(CallJob.alert_id).where(
    CallJob.riding_attempt_id == bindparam("attempt_id")
)


def riders_of(session: Session, attempt_id: str) -> list[CallJob]:
    return list(session.scalars(_RIDERS, {"attempt_id": attempt_id}))


def alert_ids_read(session: Session, attempt: CallAttempt) -> list[str]:
    """Every alert the call read: its own first, then its riders'."""
    riders = run(session, _RIDERS_ALERTS, {"attempt_id": attempt.id}).scalars().all()
    return [attempt.alert_id, *riders]


def all_closed(session: Session, attempt: CallAttempt) -> bool:
    """Whether every alert the call reads is acknowledged or resolved."""
    ids = alert_ids_read(session, attempt)
    still_open = session.scalar(
        select(Alert.id).where(Alert.id.in_(ids), Alert.status == AlertStatus.OPEN).limit(1)
    )
    return still_open is None


_STATUS = select(CallAttempt.status).where(CallAttempt.id == bindparam("attempt_id"))


def carrier_still_running(session: Session, job: CallJob) -> bool:
    """Whether the call `job` rides on is still going on (or about to be)."""
    if job.riding_attempt_id is None:
        return False
    status = run(session, _STATUS, {"attempt_id": job.riding_attempt_id}).scalar()
    return status is not None and not AttemptStatus(status).is_final


def spoken_bundle(texts: Sequence[str], language: str = DEFAULT_LANGUAGE) -> str:
    """What a call carrying several alerts says before its menu: the alerts as written, counted
    and numbered in the call's language."""
    if len(texts) == 1:
        return texts[0]
    words = prompts_for(language)
    count = len(texts)
    read = " ".join(f"{words.alert_label(index)} {text}" for index, text in enumerate(texts))
    return (
        f"{words.open_alerts.format(count=count)} {read} "
        f"{words.acknowledges_all.format(count=count)}"
    )
