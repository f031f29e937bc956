"""Every change that can move a gap checks it at once (told once per gap, not once per edit),
and a change inside the window of handoffs already told is looked at again: a late handoff is
told, one told already is not told twice, and one told that no longer happens is corrected."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from tests import seeded
from tests.oncall import oncall_rows, schedule_rows
from tocsin.audit.models import Notice
from tocsin.cli.common import CLI_ACTOR
from tocsin.oncall import overrides, rotations, schedules
from tocsin.oncall.departures import member_left
from tocsin.oncall.handoffs import tell_handoffs
from tocsin.oncall.models import Schedule
from tocsin.runtime import Runtime

AHEAD = timedelta(minutes=60)
DAY = timedelta(days=1)


def _told(runtime: Runtime, kind: str) -> list[Notice]:
    with runtime.database.read() as session:
        return list(
            session.scalars(
                select(Notice).where(Notice.kind == kind).order_by(Notice.created_at, Notice.id)
            )
        )


def _gap(runtime: Runtime, schedule_id: str) -> datetime | None:
    with runtime.database.read() as session:
        schedule = session.get(Schedule, schedule_id)
        assert schedule is not None
        return schedule.gap_starts_at


def _remove(runtime: Runtime, org_id: str, schedule_id: str, user_id: str, at: datetime) -> str:
    return schedule_rows.override(
        runtime, org_id, schedule_id, "remove", user_id, hours=2, starts_at=at
    )


def test_a_gap_is_told_at_once_and_an_override_that_covers_it_clears_it_quietly(
    runtime: Runtime,
) -> None:
    owner = seeded.person(runtime, org_name="Gaps")
    ana = seeded.member(runtime, owner.org_id).user_id
    ben = seeded.member(runtime, owner.org_id).user_id
    schedule_id = schedule_rows.schedule(runtime, owner.org_id, oncall_rows.always(ana))
    assert _gap(runtime, schedule_id) is None
    in_three_days = runtime.clock.now() + 3 * DAY

    # A day off for Ana: a gap, flagged and told in the same transaction.
    _remove(runtime, owner.org_id, schedule_id, ana, in_three_days)
    assert _gap(runtime, schedule_id) == in_three_days
    assert len(_told(runtime, "schedule_gap")) == 1

    # Ben covers it: cleared at once, and nobody is told anything.
    runtime.clock.advance(60)
    schedule_rows.override(
        runtime, owner.org_id, schedule_id, "add", ben, hours=2, starts_at=in_three_days
    )
    assert _gap(runtime, schedule_id) is None
    assert len(_told(runtime, "schedule_gap")) == 1


def test_an_edit_that_leaves_the_same_gap_tells_nobody_and_a_new_earlier_gap_is_told(
    runtime: Runtime,
) -> None:
    owner = seeded.person(runtime, org_name="Gaps")
    ana = seeded.member(runtime, owner.org_id).user_id
    schedule_id = schedule_rows.schedule(runtime, owner.org_id, oncall_rows.always(ana))
    in_three_days = runtime.clock.now() + 3 * DAY
    _remove(runtime, owner.org_id, schedule_id, ana, in_three_days)
    assert len(_told(runtime, "schedule_gap")) == 1

    # Layers edited, the gap where it was: the flag stays, nobody is told again.
    runtime.clock.advance(60)
    with runtime.database.write() as session:
        schedules.update_schedule(
            session,
            org_id=owner.org_id,
            schedule_id=schedule_id,
            layers=[oncall_rows.always(ana, name="Everyone")],
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    assert _gap(runtime, schedule_id) == in_three_days
    assert len(_told(runtime, "schedule_gap")) == 1

    # A gap sooner than the one told is news.
    runtime.clock.advance(60)
    tomorrow = runtime.clock.now() + DAY
    _remove(runtime, owner.org_id, schedule_id, ana, tomorrow)
    assert _gap(runtime, schedule_id) == tomorrow
    assert len(_told(runtime, "schedule_gap")) == 2

    # Gone, then back later: a new gap, told.
    with runtime.database.read() as session:
        found = overrides.list_overrides(
            session, org_id=owner.org_id, schedule_id=schedule_id, ending_after=tomorrow
        )
    for row in found:
        with runtime.database.write() as session:
            overrides.remove_override(
                session,
                org_id=owner.org_id,
                schedule_id=schedule_id,
                override_id=row.id,
                actor=CLI_ACTOR,
                now=runtime.clock.now(),
            )
    assert _gap(runtime, schedule_id) is None
    runtime.clock.advance(60)
    _remove(runtime, owner.org_id, schedule_id, ana, in_three_days)
    assert len(_told(runtime, "schedule_gap")) == 3


def test_a_rotation_change_and_a_member_leaving_flag_the_gap_at_once(runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Gaps")
    ana = seeded.member(runtime, owner.org_id).user_id
    ben = seeded.member(runtime, owner.org_id).user_id
    rotation_id = schedule_rows.rotation(runtime, owner.org_id, ana, unit="days")
    by_rotation = schedule_rows.schedule(
        runtime, owner.org_id, {"name": "Turns", "rotation_id": rotation_id}
    )
    by_ben = schedule_rows.schedule(
        runtime, owner.org_id, oncall_rows.always(ben), name="Secondary"
    )
    assert (_gap(runtime, by_rotation), _gap(runtime, by_ben)) == (None, None)

    with runtime.database.write() as session:
        rotations.update_rotation(
            session,
            org_id=owner.org_id,
            rotation_id=rotation_id,
            # Turns that start only in two days: nobody until then.
            start_at=runtime.clock.now() + 2 * DAY,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    assert _gap(runtime, by_rotation) == runtime.clock.now()

    with runtime.database.write() as session:
        member_left(
            session, org_id=owner.org_id, user_id=ben, actor=CLI_ACTOR, now=runtime.clock.now()
        )
    assert _gap(runtime, by_ben) == runtime.clock.now()


def _handoffs(runtime: Runtime) -> int:
    with runtime.database.write() as session:
        return tell_handoffs(session, now=runtime.clock.now(), ahead=AHEAD)


def _words(runtime: Runtime) -> list[tuple[str, str | None]]:
    kinds = ("handoff_on", "handoff_off", "handoff_cancelled")
    with runtime.database.read() as session:
        rows = session.execute(
            select(Notice.kind, Notice.user_id)
            .where(Notice.kind.in_(kinds))
            .order_by(Notice.created_at, Notice.kind, Notice.user_id)
        ).all()
    return [(kind, user_id) for kind, user_id in rows]


def test_a_late_override_is_told_corrected_when_removed_and_told_again_when_back(
    runtime: Runtime,
) -> None:
    owner = seeded.person(runtime, org_name="Handoffs")
    ana = seeded.member(runtime, owner.org_id).user_id
    ben = seeded.member(runtime, owner.org_id).user_id
    schedule_id = schedule_rows.schedule(runtime, owner.org_id, oncall_rows.always(ben))
    runtime.clock.advance(8 * 3600)  # 08:00: the hour to 09:00 is checked, nothing changes
    assert _handoffs(runtime) == 0
    half_past = runtime.clock.now() + timedelta(minutes=30)

    # 08:10: Ana takes over from 08:30, inside the window already told.
    runtime.clock.advance(600)
    override_id = schedule_rows.override(
        runtime, owner.org_id, schedule_id, "replace", ana, replaces=ben, starts_at=half_past
    )
    runtime.clock.advance(60)
    assert _handoffs(runtime) == 2
    assert sorted(_words(runtime)) == sorted([("handoff_on", ana), ("handoff_off", ben)])
    [on] = _told(runtime, "handoff_on")
    assert "08:30" in on.message

    # An edit that changes nothing looks again, and says nothing twice.
    with runtime.database.write() as session:
        schedules.update_schedule(
            session,
            org_id=owner.org_id,
            schedule_id=schedule_id,
            layers=[oncall_rows.always(ben, name="Everyone")],
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    runtime.clock.advance(60)
    assert _handoffs(runtime) == 0

    # 08:15: the override goes: both are told that what they heard no longer holds.
    runtime.clock.advance(180)
    with runtime.database.write() as session:
        overrides.remove_override(
            session,
            org_id=owner.org_id,
            schedule_id=schedule_id,
            override_id=override_id,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
    runtime.clock.advance(60)
    assert _handoffs(runtime) == 2
    cancelled = _told(runtime, "handoff_cancelled")
    assert sorted(n.user_id or "" for n in cancelled) == sorted([ana, ben])
    [for_ana] = [n for n in cancelled if n.user_id == ana]
    assert "no longer go on call" in for_ana.message
    assert _handoffs(runtime) == 0

    # 08:20: back again: told again, so the last word each heard is what will happen.
    runtime.clock.advance(180)
    schedule_rows.override(
        runtime, owner.org_id, schedule_id, "replace", ana, replaces=ben, starts_at=half_past
    )
    runtime.clock.advance(60)
    assert _handoffs(runtime) == 2
    assert [n.user_id for n in _told(runtime, "handoff_on")] == [ana, ana]
    assert _handoffs(runtime) == 0
