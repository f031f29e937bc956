"""Handoff notices: each member coming on call, and each going off, is told ahead of the change
(`ahead`, TOCSIN_HANDOFF_NOTICE_MINUTES), in the organization's notices and by e-mail.

`Schedule.handoffs_checked_until` says up to which instant every change has been told. Each
round tells the changes in [checked_until, now + ahead) and moves the mark in the same
transaction, and each notice's period names the schedule, the instant and the member, so a
worker that restarts neither says a change twice nor passes one over. A schedule seen for the
first time starts at now: changes already past are not news.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tocsin import rota
from tocsin.audit import log as audit
from tocsin.audit.notices import tell_member
from tocsin.oncall import evaluation
from tocsin.oncall.models import Schedule

# A worker that was down longer than this tells only the changes since then.
MAX_CATCH_UP = timedelta(days=1)
_JUST_BEFORE = timedelta(microseconds=1)


def tell_handoffs(session: Session, *, now: datetime, ahead: timedelta) -> int:
    """One round over every schedule not yet checked to `now + ahead`; returns how many
    notices were new."""
    horizon = now + ahead
    schedules = session.scalars(
        select(Schedule)
        .where(
            or_(
                Schedule.handoffs_checked_until.is_(None),
                Schedule.handoffs_checked_until < horizon,
            )
        )
        .order_by(Schedule.id)
    ).all()
    return sum(tell_schedule_handoffs(session, s, now=now, horizon=horizon) for s in schedules)


def tell_schedule_handoffs(
    session: Session, schedule: Schedule, *, now: datetime, horizon: datetime
) -> int:
    checked = schedule.handoffs_checked_until
    since = now if checked is None else max(checked, now - MAX_CATCH_UP)
    told = 0
    if since < horizon:
        segments = evaluation.schedule_timeline(
            session,
            org_id=schedule.org_id,
            schedule_id=schedule.id,
            starts_at=since - _JUST_BEFORE,
            ends_at=horizon,
        )
        for before, after in zip(segments or [], (segments or [])[1:], strict=False):
            told += _tell_change(session, schedule, before, after, now=now)
    schedule.handoffs_checked_until = max(horizon, checked or horizon)
    return told


def _tell_change(
    session: Session,
    schedule: Schedule,
    before: rota.Segment,
    after: rota.Segment,
    *,
    now: datetime,
) -> int:
    was, will_be = set(before.on_call.user_ids), set(after.on_call.user_ids)
    at = after.starts_at
    local = at.astimezone(ZoneInfo(schedule.timezone))
    when = f"{local:%a %d %b %H:%M} ({schedule.timezone})"
    told = 0
    for user_id, kind, message in [
        *(
            (u, "handoff_on", f"You go on call for {schedule.name} at {when}.")
            for u in will_be - was
        ),
        *(
            (u, "handoff_off", f"You go off call for {schedule.name} at {when}.")
            for u in was - will_be
        ),
    ]:
        told += tell_member(
            session,
            org_id=schedule.org_id,
            user_id=user_id,
            kind=kind,
            period=f"{schedule.id}:{at.isoformat()}:{user_id}",
            message=message,
            now=now,
            actor=audit.SYSTEM,
            details={"schedule_id": schedule.id, "at": at.isoformat()},
        )
    return told
