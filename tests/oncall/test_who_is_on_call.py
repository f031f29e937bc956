"""Who a schedule has on call, read from its rows: layers (a rotation, fixed members within
restrictions), overrides and a temporary schedule, the words the alert's timeline shows, and a
member's shifts across schedules. The clock starts on Thursday 1 January 2026, 00:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests import seeded
from tests.oncall.schedule_rows import named_member, override, rotation, schedule
from tocsin.core.actors import Actor
from tocsin.oncall import evaluation, temporaries
from tocsin.oncall.evaluation import OnCallNow
from tocsin.oncall.temporaries import TemporaryShift
from tocsin.runtime import Runtime

MON_NOON = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
MON_NIGHT = datetime(2026, 1, 5, 22, 0, tzinfo=UTC)


class Team:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.org_id = seeded.person(runtime, org_name="Platform").org_id
        self.ana = named_member(runtime, self.org_id, "Ana")
        self.ben = named_member(runtime, self.org_id, "Ben")
        self.cy = named_member(runtime, self.org_id, "Cy")
        self.dee = named_member(runtime, self.org_id, "Dee")

    def on_call(self, schedule_id: str, at: datetime) -> OnCallNow:
        with self.runtime.database.read() as session:
            found = evaluation.on_call(session, org_id=self.org_id, schedule_id=schedule_id, at=at)
        assert found is not None
        return found


@pytest.fixture
def team(runtime: Runtime) -> Team:
    return Team(runtime)


def _two_layers(team: Team) -> str:
    """A weekly rotation of Ana then Ben (Ana's week from Thursday 1 January, 09:00 London),
    and Cy on top during office hours on weekdays."""
    weekly = rotation(
        team.runtime,
        team.org_id,
        team.ana,
        team.ben,
        start=datetime(2026, 1, 1, 9, 0, tzinfo=UTC),
    )
    return schedule(
        team.runtime,
        team.org_id,
        {"name": "Primary", "rotation_id": weekly},
        {
            "name": "Office hours",
            "user_ids": [team.cy],
            "restrictions": [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}],
        },
    )


def test_the_highest_layer_with_anyone_decides_within_its_restrictions(team: Team) -> None:
    platform = _two_layers(team)

    assert team.on_call(platform, MON_NOON).user_ids == [team.cy]
    assert (
        team.on_call(platform, MON_NOON).describe() == "Platform primary: Cy (Office hours layer)"
    )
    # Outside office hours the rotation shows through: still Ana's week until Thursday 09:00.
    assert team.on_call(platform, MON_NIGHT).describe() == "Platform primary: Ana (Primary layer)"
    # Saturday noon: a weekend, and Ben's week.
    saturday = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    assert team.on_call(platform, saturday).user_ids == [team.ben]


def test_a_replacement_override_wins_and_says_whom_it_replaces(team: Team) -> None:
    platform = _two_layers(team)
    override(
        team.runtime,
        team.org_id,
        platform,
        "replace",
        team.ben,
        replaces=team.ana,
        starts_at=MON_NIGHT - timedelta(hours=1),
    )

    now = team.on_call(platform, MON_NIGHT)
    assert now.user_ids == [team.ben]
    assert now.describe() == "Platform primary: Ben (override for Ana)"
    # Cy is not Ana: the override leaves office hours alone.
    assert team.on_call(platform, MON_NIGHT - timedelta(minutes=30)).user_ids == [team.ben]


def test_added_and_removed_people(team: Team) -> None:
    platform = _two_layers(team)
    starts = MON_NIGHT - timedelta(hours=1)
    override(team.runtime, team.org_id, platform, "add", team.dee, starts_at=starts)

    now = team.on_call(platform, MON_NIGHT)
    assert now.user_ids == [team.ana, team.dee]
    assert now.describe() == "Platform primary: Ana (Primary layer), Dee (added by override)"

    override(team.runtime, team.org_id, platform, "remove", team.ana, starts_at=starts)
    assert team.on_call(platform, MON_NIGHT).user_ids == [team.dee]


def test_a_temporary_schedule_replaces_the_layers_in_its_period(team: Team) -> None:
    platform = _two_layers(team)
    holiday = (datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 6, tzinfo=UTC))
    with team.runtime.database.write() as session:
        temporaries.add_temporary(
            session,
            org_id=team.org_id,
            schedule_id=platform,
            starts_at=holiday[0],
            ends_at=holiday[1],
            shifts=[TemporaryShift(team.dee, holiday[0], holiday[0] + timedelta(hours=18))],
            actor=Actor("user", "usr_owner"),
            now=team.runtime.clock.now(),
        )

    assert team.on_call(platform, MON_NOON).describe() == (
        "Platform primary: Dee (temporary schedule)"
    )
    # Inside the period but after its one shift: nobody, whatever the layers say.
    assert team.on_call(platform, MON_NIGHT).user_ids == []
    assert team.on_call(platform, MON_NIGHT).describe() == "Platform primary: nobody"
    # After the period the layers are back.
    assert team.on_call(platform, holiday[1] + timedelta(hours=1)).user_ids == [team.ana]


def test_a_calendar_layer_reads_the_last_good_copy(team: Team, runtime: Runtime) -> None:
    from tocsin.core.ids import new_id
    from tocsin.oncall.models import CalendarFeed

    feed_id = new_id("cal")
    with runtime.database.write() as session:
        session.add(
            CalendarFeed(
                id=feed_id,
                org_id=team.org_id,
                name="Team calendar",
                url="https://calendar.example/team.ics",
                events=[
                    {
                        "user_id": team.dee,
                        "starts_at": "2026-01-05T00:00:00+00:00",
                        "ends_at": "2026-01-06T00:00:00+00:00",
                        "summary": "Dee on call",
                    }
                ],
                next_fetch_at=runtime.clock.now(),
                created_at=runtime.clock.now(),
                updated_at=runtime.clock.now(),
            )
        )
    calendar = schedule(
        runtime, team.org_id, {"name": "Calendar", "calendar_id": feed_id}, name="Follow the sun"
    )

    assert team.on_call(calendar, MON_NOON).describe() == "Follow the sun: Dee (Calendar layer)"
    assert team.on_call(calendar, MON_NOON + timedelta(days=1)).user_ids == []


def test_shifts_tile_a_members_week_across_schedules(team: Team, runtime: Runtime) -> None:
    platform = _two_layers(team)
    weekend = schedule(
        runtime,
        team.org_id,
        {
            "name": "Weekend",
            "user_ids": [team.ana],
            "restrictions": [{"days": [5, 6], "start": "10:00", "end": "12:00"}],
        },
        name="Weekend desk",
    )
    window = (datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 12, tzinfo=UTC))
    with runtime.database.read() as session:
        mine = evaluation.member_shifts(
            session, org_id=team.org_id, user_id=team.ana, starts_at=window[0], ends_at=window[1]
        )
        shifts = evaluation.schedule_shifts(
            session,
            org_id=team.org_id,
            schedule_id=platform,
            starts_at=window[0],
            ends_at=window[1],
        )
    assert shifts is not None
    # Ana's nights and early mornings of Monday to Thursday, until her week ends.
    assert {schedule_id for schedule_id, _ in mine} == {platform, weekend}
    assert [s.starts_at for _, s in mine] == sorted(s.starts_at for _, s in mine)
    ana_on_platform = [s for s in shifts if s.user_id == team.ana]
    assert [(s.starts_at, s.ends_at) for sid, s in mine if sid == platform] == [
        (s.starts_at, s.ends_at) for s in ana_on_platform
    ]
    assert ana_on_platform[0].starts_at == window[0]
    assert ana_on_platform[0].ends_at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert ana_on_platform[-1].ends_at == datetime(2026, 1, 8, 9, 0, tzinfo=UTC)
    saturday = [s for sid, s in mine if sid == weekend]
    assert [(s.starts_at.hour, s.ends_at.hour) for s in saturday] == [(10, 12), (10, 12)]


def test_another_organizations_schedule_is_nobodys(team: Team, runtime: Runtime) -> None:
    platform = _two_layers(team)
    other = seeded.person(runtime, org_name="Other").org_id
    with runtime.database.read() as session:
        assert evaluation.on_call(session, org_id=other, schedule_id=platform, at=MON_NOON) is None
        assert (
            evaluation.schedule_timeline(
                session,
                org_id=other,
                schedule_id=platform,
                starts_at=MON_NOON,
                ends_at=MON_NIGHT,
            )
            is None
        )
