"""Handoff notices (once per change, ahead of time, restart-safe) and gap flags (flagged,
told once, cleared when fixed), with the test clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests import seeded
from tests.oncall import oncall_rows
from tocsin.audit.models import Notice
from tocsin.mail.models import OutboundEmail
from tocsin.oncall.gaps import check_all_gaps, check_gap
from tocsin.oncall.handoffs import tell_handoffs
from tocsin.oncall.models import Schedule
from tocsin.organizations.notice_mail import queue_notice_mail
from tocsin.runtime import Runtime

AHEAD = timedelta(minutes=60)


def notices(runtime: Runtime, kind: str) -> list[Notice]:
    with runtime.database.read() as session:
        rows = session.scalars(select(Notice).where(Notice.kind == kind).order_by(Notice.period))
        return list(rows)


def round_of_handoffs(runtime: Runtime) -> int:
    with runtime.database.write() as session:
        return tell_handoffs(session, now=runtime.clock.now(), ahead=AHEAD)


def test_each_handoff_is_told_once_ahead_to_the_member_coming_on_and_going_off(
    runtime: Runtime,
) -> None:
    # 2026-01-01 00:00 UTC is a Thursday: Ana's day starts at 09:00 London (UTC in winter).
    owner = seeded.person(runtime, org_name="Handoffs")
    ana = seeded.member(runtime, owner.org_id)
    ben = seeded.member(runtime, owner.org_id)
    oncall_rows.schedule(
        runtime,
        owner.org_id,
        oncall_rows.always(ben.user_id),
        oncall_rows.working_hours(ana.user_id),
    )
    runtime.clock.advance(7 * 3600)  # 07:00: 09:00 is two hours away
    assert round_of_handoffs(runtime) == 0
    runtime.clock.advance(3600 + 60)  # 08:01: within the hour
    assert round_of_handoffs(runtime) == 2
    on = notices(runtime, "handoff_on")
    off = notices(runtime, "handoff_off")
    assert [n.user_id for n in on] == [ana.user_id]
    assert [n.user_id for n in off] == [ben.user_id]
    assert "09:00" in on[0].message
    assert "Platform primary" in on[0].message

    # Another round, and a worker started afresh, say nothing twice.
    assert round_of_handoffs(runtime) == 0
    runtime.clock.advance(60)
    assert round_of_handoffs(runtime) == 0
    assert len(notices(runtime, "handoff_on")) == 1

    # A worker down from 08:02 until 16:30 still tells the 17:00 handoff, once.
    runtime.clock.advance(8 * 3600 + 28 * 60)
    assert round_of_handoffs(runtime) == 2
    assert [n.user_id for n in notices(runtime, "handoff_on")] == [ana.user_id, ben.user_id]
    assert round_of_handoffs(runtime) == 0


def test_a_handoff_notice_is_mailed_to_its_member_alone(runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Handoffs")
    ana = seeded.member(runtime, owner.org_id)
    oncall_rows.schedule(runtime, owner.org_id, oncall_rows.working_hours(ana.user_id))
    runtime.clock.advance(8 * 3600 + 30 * 60)
    round_of_handoffs(runtime)
    with runtime.database.write() as session:
        queue_notice_mail(session, now=runtime.clock.now(), base_url="https://tocsin.test")
        handoff_mail = session.scalars(
            select(OutboundEmail.to_address)
            .join(Notice, Notice.id == OutboundEmail.notice_id)
            .where(Notice.kind == "handoff_on")
        ).all()
    assert handoff_mail == [ana.email]


def test_a_gap_is_flagged_told_once_and_cleared_when_fixed(runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Gaps")
    ana = seeded.member(runtime, owner.org_id)
    schedule_id = oncall_rows.schedule(
        runtime, owner.org_id, oncall_rows.working_hours(ana.user_id)
    )
    now = runtime.clock.now()
    with runtime.database.write() as session:
        assert check_all_gaps(session, now=now) == 1
        schedule = session.get(Schedule, schedule_id)
        assert schedule is not None
        assert schedule.gap_starts_at == now  # nobody at midnight
    for _ in range(3):
        runtime.clock.advance(300)
        with runtime.database.write() as session:
            check_all_gaps(session, now=runtime.clock.now())
    told = notices(runtime, "schedule_gap")
    assert len(told) == 1
    assert "nobody on call" in told[0].message

    # Fixed: a layer that always has someone.
    with runtime.database.write() as session:
        schedule = session.get(Schedule, schedule_id)
        assert schedule is not None
        schedule.layers = [oncall_rows.always(owner.user_id), *schedule.layers]
    with runtime.database.write() as session:
        assert (
            check_gap(
                session, org_id=owner.org_id, schedule_id=schedule_id, now=runtime.clock.now()
            )
            is None
        )
        schedule = session.get(Schedule, schedule_id)
        assert schedule is not None
        assert (schedule.gap_starts_at, schedule.gap_noticed_at) == (None, None)
    assert len(notices(runtime, "schedule_gap")) == 1
