"""What rotations, schedules, overrides and temporary schedules refuse, and what still naming
them keeps them from being deleted; a member who leaves leaves on-call too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests import seeded
from tests.oncall.schedule_rows import named_member, override, rotation, schedule
from tocsin import rota
from tocsin.accounts.models import Role
from tocsin.audit import trail
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput, NotFound
from tocsin.oncall import calendar_feeds, evaluation, overrides, rotations, schedules
from tocsin.oncall.rotations import Shape
from tocsin.organizations import commands as organizations
from tocsin.runtime import Runtime
from tocsin.telephony.hosts import HostPolicy

OWNER = Actor("user", "usr_owner")


def _shape(**changes: object) -> Shape:
    values: dict[str, object] = {
        "unit": "days",
        "count": 1,
        "handoff_time": "09:00",
        "timezone": "Europe/London",
        "start_at": datetime(2026, 1, 1, tzinfo=UTC),
        **changes,
    }
    return Shape(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"timezone": "Mars/Olympus"}, "invalid_timezone"),
        ({"unit": "fortnights"}, "invalid_unit"),
        ({"count": 0}, "invalid_count"),
        ({"handoff_time": "24:00"}, "invalid_handoff"),
        ({"start_at": datetime(2026, 1, 1)}, "invalid_start"),
    ],
)
def test_a_rotation_refuses_a_shape_that_cannot_be(
    runtime: Runtime, changes: dict[str, object], code: str
) -> None:
    owner = seeded.person(runtime)
    with runtime.database.write() as session, pytest.raises(InvalidInput) as refused:
        rotations.create_rotation(
            session,
            org_id=owner.org_id,
            name="Primary",
            shape=_shape(**changes),
            participants=[owner.user_id],
            project_id=None,
            actor=OWNER,
            now=runtime.clock.now(),
        )
    assert refused.value.code == code


def test_participants_and_layers_are_this_organizations_members(runtime: Runtime) -> None:
    owner = seeded.person(runtime)
    stranger = seeded.person(runtime).user_id
    with pytest.raises(NotFound) as refused:
        rotation(runtime, owner.org_id, owner.user_id, stranger)
    assert refused.value.code == "member_not_found"
    with pytest.raises(NotFound) as refused:
        schedule(runtime, owner.org_id, {"name": "Fixed", "user_ids": [stranger]})
    assert refused.value.code == "member_not_found"
    other = seeded.person(runtime)
    other_rotation = rotation(runtime, other.org_id, other.user_id)
    with pytest.raises(NotFound) as refused:
        schedule(runtime, owner.org_id, {"name": "Theirs", "rotation_id": other_rotation})
    assert refused.value.code == "rotation_not_found"
    with pytest.raises(NotFound) as refused:
        schedule(runtime, owner.org_id, {"name": "Feed", "calendar_id": "cal_nowhere"})
    assert refused.value.code == "calendar_not_found"


@pytest.mark.parametrize(
    "layer",
    [
        {"name": "Two sources", "user_ids": ["usr_x"], "rotation_id": "rot_x"},
        {"name": "None"},
        {
            "name": "Bad day",
            "user_ids": ["usr_x"],
            "restrictions": [{"days": [7], "start": "09:00", "end": "17:00"}],
        },
        {
            "name": "Bad time",
            "user_ids": ["usr_x"],
            "restrictions": [{"days": [1], "start": "9am", "end": "17:00"}],
        },
        {"name": "  ", "user_ids": ["usr_x"]},
    ],
)
def test_a_malformed_layer_is_refused(runtime: Runtime, layer: dict[str, object]) -> None:
    owner = seeded.person(runtime)
    with pytest.raises(InvalidInput) as refused:
        schedule(runtime, owner.org_id, layer)
    assert refused.value.code == "invalid_layers"


def test_another_organizations_rotation_and_schedule_are_not_found(runtime: Runtime) -> None:
    owner = seeded.person(runtime)
    other = seeded.person(runtime)
    theirs = rotation(runtime, other.org_id, other.user_id)
    their_schedule = schedule(runtime, other.org_id, {"name": "L", "rotation_id": theirs})
    with runtime.database.write() as session:
        with pytest.raises(NotFound):
            rotations.delete_rotation(
                session,
                org_id=owner.org_id,
                rotation_id=theirs,
                actor=OWNER,
                now=runtime.clock.now(),
            )
        with pytest.raises(NotFound):
            schedules.update_schedule(
                session,
                org_id=owner.org_id,
                schedule_id=their_schedule,
                name="Mine",
                actor=OWNER,
                now=runtime.clock.now(),
            )
    with pytest.raises(NotFound) as refused:
        override(runtime, owner.org_id, their_schedule, "add", owner.user_id)
    assert refused.value.code == "schedule_not_found"


def test_what_is_still_used_cannot_be_deleted(runtime: Runtime) -> None:
    owner = seeded.person(runtime)
    weekly = rotation(runtime, owner.org_id, owner.user_id)
    platform = schedule(runtime, owner.org_id, {"name": "Primary", "rotation_id": weekly})
    seeded.endpoint(
        runtime,
        owner.org_id,
        rules=[{"action": {"type": "call_on_schedule", "schedule_id": platform}}],
    )
    seeded.escalation(runtime, owner.org_id, {"type": "call", "schedule_ids": [platform]})
    now = runtime.clock.now()
    with runtime.database.write() as session:
        with pytest.raises(Conflict) as refused:
            rotations.delete_rotation(
                session, org_id=owner.org_id, rotation_id=weekly, actor=OWNER, now=now
            )
        assert refused.value.code == "rotation_in_use"
        with pytest.raises(Conflict) as refused:
            schedules.delete_schedule(
                session, org_id=owner.org_id, schedule_id=platform, actor=OWNER, now=now
            )
        assert refused.value.code == "schedule_in_use"
        assert {user["type"] for user in refused.value.details["used_by"]} == {
            "endpoint",
            "escalation",
        }


def test_a_schedule_nobody_pages_is_deleted_with_its_overrides(runtime: Runtime) -> None:
    owner = seeded.person(runtime)
    weekly = rotation(runtime, owner.org_id, owner.user_id)
    platform = schedule(runtime, owner.org_id, {"name": "Primary", "rotation_id": weekly})
    override(runtime, owner.org_id, platform, "add", owner.user_id)
    now = runtime.clock.now()
    with runtime.database.write() as session:
        schedules.delete_schedule(
            session, org_id=owner.org_id, schedule_id=platform, actor=OWNER, now=now
        )
        rotations.delete_rotation(
            session, org_id=owner.org_id, rotation_id=weekly, actor=OWNER, now=now
        )
    with runtime.database.read() as session:
        actions = [e.action for e in trail.search(session, org_id=owner.org_id, limit=50).items]
    assert "schedule.deleted" in actions
    assert "rotation.deleted" in actions
    assert "schedule.override_added" in actions


@pytest.mark.parametrize(
    ("kind", "starts", "hours", "replaces", "code"),
    [
        ("add", 0, -1, False, "invalid_period"),
        ("add", 0, 24 * 91, False, "period_too_long"),
        ("add", -48, 24, False, "period_in_past"),
        ("replace", 0, 4, False, "invalid_override"),
        ("add", 0, 4, True, "invalid_override"),
        ("swap", 0, 4, False, "invalid_override"),
    ],
)
def test_an_override_refuses_what_makes_no_sense(
    runtime: Runtime, kind: str, starts: int, hours: int, replaces: bool, code: str
) -> None:
    owner = seeded.person(runtime)
    ana = named_member(runtime, owner.org_id, "Ana")
    platform = schedule(runtime, owner.org_id, {"name": "Fixed", "user_ids": [ana]})
    begins = runtime.clock.now() + timedelta(hours=starts)
    with runtime.database.write() as session, pytest.raises(InvalidInput) as refused:
        overrides.add_override(
            session,
            org_id=owner.org_id,
            schedule_id=platform,
            kind=kind,
            user_id=owner.user_id,
            replaces_user_id=ana if replaces else None,
            starts_at=begins,
            ends_at=begins + timedelta(hours=hours),
            actor=OWNER,
            now=runtime.clock.now(),
        )
    assert refused.value.code == code


def test_a_member_who_leaves_is_taken_out_of_on_call(runtime: Runtime) -> None:
    owner = seeded.person(runtime)
    ana = named_member(runtime, owner.org_id, "Ana")
    ben = named_member(runtime, owner.org_id, "Ben")
    daily = rotation(runtime, owner.org_id, ana, ben, unit="days")
    platform = schedule(
        runtime,
        owner.org_id,
        {"name": "Primary", "rotation_id": daily},
        {
            "name": "Extra",
            "user_ids": [ana, ben],
            "restrictions": [{"days": [5], "start": "00:00", "end": "01:00"}],
        },
    )
    override(runtime, owner.org_id, platform, "replace", owner.user_id, replaces=ben)
    now = runtime.clock.now()
    with runtime.database.read() as session:
        before = evaluation.on_call(session, org_id=owner.org_id, schedule_id=platform, at=now)
    assert before is not None
    assert before.user_ids == [ana]

    with runtime.database.write() as session:
        organizations.remove_member(
            session,
            org_id=owner.org_id,
            user_id=ana,
            removed_by=owner.user_id,
            remover_role=Role.OWNER,
            actor=Actor("user", owner.user_id),
            now=now,
        )
    with runtime.database.read() as session:
        after = evaluation.on_call(session, org_id=owner.org_id, schedule_id=platform, at=now)
        row = rotations.get_rotation(session, org_id=owner.org_id, rotation_id=daily)
        layers = schedules.get_schedule(session, org_id=owner.org_id, schedule_id=platform).layers
        actions = [e.action for e in trail.search(session, org_id=owner.org_id, limit=50).items]
    # Ben takes over at once; the override that named Ben still stands (Ben is still here).
    assert row.participants == [ben]
    assert layers[1]["user_ids"] == [ben]
    assert after is not None
    assert after.user_ids == [owner.user_id]
    assert "oncall.member_left" in actions


def test_changing_participants_keeps_the_shift_in_progress(runtime: Runtime) -> None:
    owner = seeded.person(runtime)
    ana = named_member(runtime, owner.org_id, "Ana")
    ben = named_member(runtime, owner.org_id, "Ben")
    cy = named_member(runtime, owner.org_id, "Cy")
    daily = rotation(runtime, owner.org_id, ana, ben, unit="days")
    platform = schedule(runtime, owner.org_id, {"name": "Primary", "rotation_id": daily})
    now = runtime.clock.now()

    def on_call(at: datetime) -> list[str]:
        with runtime.database.read() as session:
            found = evaluation.on_call(session, org_id=owner.org_id, schedule_id=platform, at=at)
        assert found is not None
        return found.user_ids

    assert on_call(now) == [ana]
    with runtime.database.write() as session:
        rotations.update_rotation(
            session,
            org_id=owner.org_id,
            rotation_id=daily,
            participants=[cy, ana, ben],
            actor=OWNER,
            now=now,
        )
    # Ana keeps the shift she is in; turns go on after her in the new order.
    assert on_call(now) == [ana]
    assert on_call(now + timedelta(days=1)) == [ben]
    assert on_call(now + timedelta(days=2)) == [cy]


def test_a_member_who_leaves_is_taken_out_of_external_calendars_copies(runtime: Runtime) -> None:
    """A calendar layer reads the last good copy of its feed, kept for as long as fetches fail:
    an event of a member who left would keep them on call, paging nobody, and hide the layer
    below, until the calendar's own server answered again."""
    owner = seeded.person(runtime)
    ana = named_member(runtime, owner.org_id, "Ana")
    now = runtime.clock.now()
    with runtime.database.write() as session:
        feed = calendar_feeds.add_feed(
            session,
            org_id=owner.org_id,
            name="Team rota",
            url="https://calendar.example/team.ics",
            policy=HostPolicy(resolver=lambda host, port: ["93.184.216.34"]),
            actor=OWNER,
            now=now,
        )
        calendar_feeds.record_read(
            session,
            feed_id=feed.id,
            events=[rota.Event(ana, now - timedelta(hours=1), now + timedelta(days=3))],
            error=None,
            now=now,
        )
        feed_id = feed.id
    platform = schedule(
        runtime,
        owner.org_id,
        {"name": "Fallback", "user_ids": [owner.user_id]},
        {"name": "Rota", "calendar_id": feed_id},
    )
    with runtime.database.read() as session:
        before = evaluation.on_call(session, org_id=owner.org_id, schedule_id=platform, at=now)
    assert before is not None
    assert before.user_ids == [ana]

    with runtime.database.write() as session:
        organizations.remove_member(
            session,
            org_id=owner.org_id,
            user_id=ana,
            removed_by=owner.user_id,
            remover_role=Role.OWNER,
            actor=Actor("user", owner.user_id),
            now=now,
        )
    with runtime.database.read() as session:
        after = evaluation.on_call(session, org_id=owner.org_id, schedule_id=platform, at=now)
    assert after is not None
    assert after.user_ids == [owner.user_id]


def test_a_schedule_holds_a_bounded_number_of_overrides_not_over_yet(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every timeline, shift list, iCal feed and page reads them: with no bound, 2,000
    overrides made a 62-day timeline take 2.3 s and 8,000 took 2.7 s, and a member's shifts
    pay that for every schedule. Overrides already over do not count."""
    monkeypatch.setattr(overrides, "MAX_LIVE_OVERRIDES", 3)
    owner = seeded.person(runtime)
    ana = named_member(runtime, owner.org_id, "Ana")
    platform = schedule(runtime, owner.org_id, {"name": "Days", "user_ids": [ana]})
    now = runtime.clock.now()
    for n in range(3):
        override(
            runtime, owner.org_id, platform, "add", owner.user_id, starts_at=now + timedelta(days=n)
        )
    with pytest.raises(Conflict) as refused:
        override(
            runtime, owner.org_id, platform, "add", owner.user_id, starts_at=now + timedelta(days=5)
        )
    assert refused.value.code == "too_many_overrides"
    # Once the first is over, there is room again.
    runtime.clock.advance(5 * 3600)
    override(
        runtime, owner.org_id, platform, "add", owner.user_id, starts_at=now + timedelta(days=5)
    )
