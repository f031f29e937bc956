"""Handoff notices: each member coming on call, and each going off, is told ahead of the change
(`ahead`, TOCSIN_HANDOFF_NOTICE_MINUTES), in the organization's notices, by e-mail, and by
text when they take texts (oncall/member_texts.py).

`Schedule.handoffs_checked_until` says up to which instant every change has been told. Each
round tells the changes in [checked_until, now + ahead) and moves the mark in the same
transaction, and each notice's period names the schedule, the instant and the member (its kind
says on or off), so a worker that restarts neither says a change twice nor passes one over. A
schedule seen for the first time starts at now: changes already past are not news.

A late change (an override, temporary schedule, rotation or layer edit inside the window
already told) moves the mark back to the change (`rewind_handoffs`, from oncall/changes.py),
and keeps the old mark in `handoffs_recheck_until`. The next round then looks again from there:
a new handoff is told (late, but told); one told already is not told twice (same key); and one
told that no longer happens, still ahead, gets a correction ("you no longer go on call at
09:00"), kind `handoff_cancelled`. Should a later change bring it back, the member is told again
under a fresh key: what they heard last is always what will happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tocsin import rota
from tocsin.audit import log as audit
from tocsin.audit.models import Notice
from tocsin.audit.notices import tell_member
from tocsin.messages.handoff_texts import HandoffWord, handoff_text, when_words
from tocsin.oncall import evaluation, member_texts
from tocsin.oncall.models import Schedule

# A worker that was down longer than this tells only the changes since then.
MAX_CATCH_UP = timedelta(days=1)
_JUST_BEFORE = timedelta(microseconds=1)
ON, OFF, CANCELLED = "handoff_on", "handoff_off", "handoff_cancelled"


@dataclass(frozen=True)
class _Change:
    at: datetime
    user_id: str
    kind: str  # ON or OFF

    @property
    def key(self) -> tuple[datetime, str, str]:
        return (self.at, self.user_id, self.kind)


def rewind_handoffs(schedule: Schedule, *, since: datetime) -> None:
    """Who is on call from `since` may have changed: look again from there at the next round."""
    checked = schedule.handoffs_checked_until
    if checked is None or since >= checked:
        return
    recheck = schedule.handoffs_recheck_until
    schedule.handoffs_recheck_until = max(checked, recheck) if recheck is not None else checked
    schedule.handoffs_checked_until = since


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
        changes = [
            change
            for before, after in zip(segments or [], (segments or [])[1:], strict=False)
            for change in _changes(before, after)
        ]
        recheck = schedule.handoffs_recheck_until
        if recheck is not None and recheck > since:
            told += _tell_again(session, schedule, changes, since, recheck, now=now)
        else:
            told += sum(_tell(session, schedule, change, now=now) for change in changes)
    schedule.handoffs_checked_until = max(horizon, checked or horizon)
    schedule.handoffs_recheck_until = None
    return told


def _changes(before: rota.Segment, after: rota.Segment) -> list[_Change]:
    was, will_be = set(before.on_call.user_ids), set(after.on_call.user_ids)
    return [
        *(_Change(after.starts_at, user_id, ON) for user_id in sorted(will_be - was)),
        *(_Change(after.starts_at, user_id, OFF) for user_id in sorted(was - will_be)),
    ]


def _period(schedule: Schedule, change: _Change) -> str:
    return f"{schedule.id}:{change.at.isoformat()}:{change.user_id}"


def _tell(
    session: Session, schedule: Schedule, change: _Change, *, now: datetime, again: bool = False
) -> int:
    when = when_words(change.at, schedule.timezone)
    verb = "go on call" if change.kind == ON else "go off call"
    period = _period(schedule, change)
    if again:
        # Told, then cancelled, and now back: a key of its own, so it is said.
        period = f"{period}:{int(now.timestamp())}"
    word = HandoffWord.ON if change.kind == ON else HandoffWord.OFF
    return _say(
        session,
        schedule,
        change,
        kind=change.kind,
        period=period,
        message=f"You {verb} for {schedule.name} at {when}.",
        word=word,
        now=now,
    )


def _cancel(session: Session, schedule: Schedule, change: _Change, *, now: datetime) -> int:
    when = when_words(change.at, schedule.timezone)
    on = change.kind == ON
    message = (
        f"Change: you no longer go on call for {schedule.name} at {when}."
        if on
        else f"Change: you no longer go off call for {schedule.name} at {when}; you stay on."
    )
    return _say(
        session,
        schedule,
        change,
        kind=CANCELLED,
        period=f"{_period(schedule, change)}:{change.kind}:{int(now.timestamp())}",
        message=message,
        word=HandoffWord.NO_LONGER_ON if on else HandoffWord.NO_LONGER_OFF,
        now=now,
    )


def _say(
    session: Session,
    schedule: Schedule,
    change: _Change,
    *,
    kind: str,
    period: str,
    message: str,
    word: HandoffWord,
    now: datetime,
) -> int:
    new = tell_member(
        session,
        org_id=schedule.org_id,
        user_id=change.user_id,
        kind=kind,
        period=period,
        message=message,
        now=now,
        actor=audit.SYSTEM,
        details={"schedule_id": schedule.id, "at": change.at.isoformat(), "handoff": change.kind},
    )
    if new:
        member_texts.queue_text(
            session,
            org_id=schedule.org_id,
            user_id=change.user_id,
            key=f"{kind}:{period}",
            kind=kind,
            body=handoff_text(
                word=word, schedule_name=schedule.name, at=change.at, timezone=schedule.timezone
            ),
            about=change.at,
            now=now,
        )
    return int(new)


def _tell_again(
    session: Session,
    schedule: Schedule,
    changes: list[_Change],
    since: datetime,
    recheck: datetime,
    *,
    now: datetime,
) -> int:
    """After a rewind: what each member last heard of each handoff in [since, recheck), set
    against what now happens there."""
    last = _last_words(session, schedule, since, recheck, now=now)
    told = 0
    for change in changes:
        heard = last.get(change.key)
        if heard is None:
            told += _tell(session, schedule, change, now=now)
        elif heard == CANCELLED:
            told += _tell(session, schedule, change, now=now, again=True)
    happening = {change.key for change in changes}
    for key, heard in last.items():
        at, user_id, direction = key
        if heard != CANCELLED and key not in happening and at >= now:
            told += _cancel(session, schedule, _Change(at, user_id, direction), now=now)
    return told


def _last_words(
    session: Session, schedule: Schedule, since: datetime, until: datetime, *, now: datetime
) -> dict[tuple[datetime, str, str], str]:
    """(instant, member, on/off) -> the kind of the last notice about it (on, off, cancelled),
    for handoffs in [since, until). A notice about a handoff is written at most the notice time
    (about `until - now`) ahead of it, or up to a day late, which bounds the search."""
    earliest = since - MAX_CATCH_UP - max(until - now, timedelta(0))
    rows = session.execute(
        select(Notice.kind, Notice.user_id, Notice.details, Notice.created_at, Notice.id)
        .where(
            Notice.org_id == schedule.org_id,
            Notice.kind.in_([ON, OFF, CANCELLED]),
            Notice.created_at >= earliest,
            Notice.period.startswith(f"{schedule.id}:", autoescape=True),
        )
        .order_by(Notice.created_at, Notice.id)
    ).all()
    last: dict[tuple[datetime, str, str], str] = {}
    for kind, user_id, details, _created, _id in rows:
        if not isinstance(details, dict) or user_id is None or "at" not in details:
            continue
        at = datetime.fromisoformat(details["at"])
        direction = details.get("handoff") or kind
        if since <= at < until and direction in (ON, OFF):
            last[(at, user_id, direction)] = kind
    return last
