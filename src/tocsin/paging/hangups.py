"""Hanging up calls that have nothing left to say: their alert was acknowledged or resolved.

Acknowledging or resolving happens wherever it is asked for (an API process, a provider
callback, a worker reading a key) and ends the alert's escalation at once; calls already ringing
or talking belong to whoever can reach them. So the transaction that closes the alert marks the
alert's calls in progress (`request_hangups`), and each worker, on its next look for work,
claims the marks it can act on (`claim_hangups`): a call it is running itself (a SIP call, by
BYE or CANCEL), or a call a REST provider runs, by that provider's hang-up API. A SIP call another
worker runs is left to that worker; if that worker is gone, its call is settled by
reconciliation and the mark goes with it.

The call whose own key closed the alert is not marked: it says "Acknowledged" and hangs up.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, exists, or_, select, update
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.db.statements import run
from tocsin.db.wakeup import announce_work
from tocsin.paging.models import Alert, AlertStatus, AttemptStatus, CallAttempt, CallJob
from tocsin.telephony.script import reply_to

_IN_PROGRESS = (AttemptStatus.SENDING, AttemptStatus.IN_PROGRESS)
# Providers whose calls any worker can end through their API.
REST_KINDS = frozenset({"twilio", "plivo", "telnyx", "vonage"})


@dataclass(frozen=True)
class Hangup:
    attempt_id: str
    alert_id: str
    org_id: str
    worker_id: str
    provider: str
    provider_call_id: str | None
    provider_account_id: str | None
    platform_provider: str | None

    @property
    def placed_by(self) -> tuple[str | None, str | None]:
        return self.provider_account_id, self.platform_provider


_COLUMNS = (
    CallAttempt.id,
    CallAttempt.alert_id,
    CallAttempt.org_id,
    CallAttempt.worker_id,
    CallAttempt.provider,
    CallAttempt.provider_call_id,
    CallAttempt.provider_account_id,
    CallAttempt.platform_provider,
)


def _carries_open_alerts(*, besides: Any) -> Any:
    """Whether an attempt's call also reads other alerts still open (paging/bundles.py): it
    goes on for their sake."""
    return (
        exists()
        .where(
            CallJob.riding_attempt_id == CallAttempt.id,
            CallJob.alert_id != besides,
            Alert.id == CallJob.alert_id,
            Alert.status == AlertStatus.OPEN,
        )
        .correlate(CallAttempt)
    )


_TO_HANG_UP = (
    select(CallAttempt.id)
    .where(
        CallAttempt.alert_id == bindparam("alert_id"),
        # Only calls can be hung up; a text still `sending` is settled by its own worker.
        CallAttempt.channel == "voice",
        CallAttempt.status.in_(_IN_PROGRESS),
        CallAttempt.hangup_requested_at.is_(None),
        ~_carries_open_alerts(besides=bindparam("alert_id")),
    )
    .with_for_update(of=CallAttempt, skip_locked=True)
)
_TO_HANG_UP_BUT_ONE = _TO_HANG_UP.where(CallAttempt.id != bindparam("except_attempt_id"))
_MARK = (
    update(CallAttempt)
    .where(CallAttempt.id.in_(bindparam("ids", expanding=True)))
    .values(hangup_requested_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)


def request_hangups(
    session: Session, *, alert_id: str, now: datetime, except_attempt_id: str | None = None
) -> int:
    """Mark the alert's calls in progress to be hung up; returns how many.

    A call whose row another transaction holds right now (its own event being recorded, which
    may be waiting for this alert's lock) is passed over rather than waited for, so the two never
    deadlock: the worker running such a call finds its alert closed by itself
    (`closed_while_running`)."""
    query = _TO_HANG_UP if except_attempt_id is None else _TO_HANG_UP_BUT_ONE
    values = {"alert_id": alert_id, "except_attempt_id": except_attempt_id}
    ids = list(run(session, query, values).scalars())
    if not ids:
        return 0
    run(session, _MARK, {"ids": ids, "now": now})
    announce_work(session)
    return len(ids)


# Chosen in the query, so other workers' marked SIP calls cannot fill the limit.
_PENDING = (
    select(*_COLUMNS)
    .where(
        CallAttempt.hangup_requested_at.is_not(None),
        CallAttempt.channel == "voice",
        CallAttempt.status.in_(_IN_PROGRESS),
        or_(
            CallAttempt.worker_id == bindparam("worker_id"),
            and_(
                CallAttempt.provider.in_(REST_KINDS),
                CallAttempt.provider_call_id.is_not(None),
                CallAttempt.provider_call_id != "",
            ),
        ),
    )
    .limit(bindparam("limit"))
)


def pending_hangups(session: Session, *, worker_id: str, limit: int = 100) -> list[Hangup]:
    """Marked calls this worker may act on: its own, and any REST provider's."""
    rows = session.execute(_PENDING, {"worker_id": worker_id, "limit": limit})
    return [Hangup(*row) for row in rows]


_CLOSED_WHILE_RUNNING = (
    select(*_COLUMNS, CallAttempt.digits)
    .join(Alert, Alert.id == CallAttempt.alert_id)
    .where(
        CallAttempt.id.in_(bindparam("ids", expanding=True)),
        CallAttempt.status.in_(_IN_PROGRESS),
        Alert.status != AlertStatus.OPEN,
        ~_carries_open_alerts(besides=CallAttempt.alert_id),
    )
)


def closed_while_running(session: Session, *, attempt_ids: Collection[str]) -> list[Hangup]:
    """Of the calls a worker is running, those whose alert is no longer open, marked or not:
    all but a call whose own key closed it (it says so and hangs up by itself)."""
    if not attempt_ids:
        return []
    rows = session.execute(_CLOSED_WHILE_RUNNING, {"ids": list(attempt_ids)})
    return [Hangup(*row[:-1]) for row in rows if reply_to(row.digits).effect is None]


def claim(session: Session, *, attempt_id: str) -> bool:
    """Take the mark off a call, so one worker acts on it once; False if another did."""
    taken = session.execute(
        update(CallAttempt)
        .where(CallAttempt.id == attempt_id, CallAttempt.hangup_requested_at.is_not(None))
        .values(hangup_requested_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def record_hangup(
    session: Session, *, hangup: Hangup, worker_id: str, now: datetime, outcome: str
) -> None:
    audit.record(
        session,
        actor=Actor("worker", worker_id),
        action=AuditAction.CALL_HUNG_UP,
        at=now,
        org_id=hangup.org_id,
        target_type="call_attempt",
        target_id=hangup.attempt_id,
        details={"reason": "the alert was acknowledged or resolved", "outcome": outcome},
    )
