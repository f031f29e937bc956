"""Gap flags: a schedule that will have nobody on call at some instant within `LOOKAHEAD` is
flagged (`Schedule.gap_starts_at`, shown by the API and the CLI) and its owners told once,
by a notice that is also mailed; the flag is cleared when the gap is gone.

Owners are told once per gap, not once per edit: while the schedule stays flagged, an edit
that leaves the gap where it was, or moves its start later, says nothing (the flag shows the
new start). They are told again only when a gap is found after the flag was cleared, or when
the first gap now starts earlier than the flag said (news that makes things worse). Time alone
never tells again: a gap in progress starts "now", which only moves later.

The worker checks every schedule every few minutes (time alone moves the window); every
command that can move a gap calls `check_schedule_gap` in its own transaction
(oncall/changes.py), so the flag is right at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin import rota
from tocsin.audit import log as audit
from tocsin.audit.notices import tell_owners
from tocsin.oncall import evaluation
from tocsin.oncall.models import Schedule

LOOKAHEAD = timedelta(days=14)


def check_gap(session: Session, *, org_id: str, schedule_id: str, now: datetime) -> datetime | None:
    """Flag or clear the schedule's gap; when its first gap within `LOOKAHEAD` starts (None:
    nobody is missing, or no such schedule)."""
    schedule = session.get(Schedule, schedule_id)
    if schedule is None or schedule.org_id != org_id:
        return None
    return check_schedule_gap(session, schedule, now=now)


def check_all_gaps(session: Session, *, now: datetime) -> int:
    """One round over every schedule; returns how many are flagged."""
    schedules = session.scalars(select(Schedule).order_by(Schedule.id)).all()
    return sum(check_schedule_gap(session, schedule, now=now) is not None for schedule in schedules)


def check_schedule_gap(session: Session, schedule: Schedule, *, now: datetime) -> datetime | None:
    """Flag or clear `schedule`'s gap (the module docstring says when owners are told)."""
    ends_at = now + LOOKAHEAD
    model = evaluation.schedule_model(session, schedule, starts_at=now, ends_at=ends_at)
    found = rota.gaps(model, now, ends_at)
    if not found:
        schedule.gap_starts_at = None
        schedule.gap_noticed_at = None
        return None
    starts_at = found[0][0]
    flagged = schedule.gap_starts_at if schedule.gap_noticed_at is not None else None
    if flagged is None or starts_at < flagged:
        schedule.gap_noticed_at = now
        local = starts_at.astimezone(ZoneInfo(schedule.timezone))
        tell_owners(
            session,
            org_id=schedule.org_id,
            kind="schedule_gap",
            period=f"{schedule.id}:{now.isoformat()}",
            message=(
                f"The schedule {schedule.name} will have nobody on call from "
                f"{local:%a %d %b %Y %H:%M} ({schedule.timezone}). Add someone to a layer or "
                "an override before then, or pages to it will reach nobody."
            ),
            now=now,
            actor=audit.SYSTEM,
            details={"schedule_id": schedule.id, "gap_starts_at": starts_at.isoformat()},
        )
    schedule.gap_starts_at = starts_at
    return starts_at
