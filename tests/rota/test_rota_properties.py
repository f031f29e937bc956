"""Property tests: random rotations, layers, restrictions, overrides and temporaries in zones
with odd DST changes. The timeline tiles time, and who is on call at random instants equals a
brute-force oracle written here, separately and simply: walk shift by shift from the start, and
resolve a local time that does not exist by trying each later minute until one does."""

from __future__ import annotations

import bisect
import itertools
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.rota import (
    FixedUsers,
    Holder,
    Layer,
    OnCall,
    Override,
    OverrideKind,
    Restriction,
    Rotation,
    Schedule,
    Shift,
    Temporary,
    Unit,
    change_participants,
    on_call_at,
    rotation_shifts,
    shifts,
    timeline,
)

ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
TIMES = [time(0), time(1, 30), time(2), time(2, 30), time(9), time(23, 30)]
PEOPLE = "abcde"
PROPERTY = settings(max_examples=150, deadline=None, derandomize=True)


# The oracle.


def wall(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A local time as an instant: the first occurrence, or the first minute after a gap."""
    naive = datetime.combine(day, at)
    while True:
        instant = naive.replace(tzinfo=zone).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == naive:
            return instant
        naive += timedelta(minutes=1)


@cache
def handoffs(rotation: Rotation) -> list[datetime]:
    """Every shift start up to a year after the rotation's start, walked one at a time."""
    start = rotation.start
    horizon = start + timedelta(days=400)
    if rotation.unit is Unit.HOURS:
        found = [start]
        while found[-1] < horizon:
            found.append(found[-1] + timedelta(hours=rotation.count))
        return found
    zone = ZoneInfo(rotation.timezone)
    days = rotation.count * (7 if rotation.unit is Unit.WEEKS else 1)
    day = start.astimezone(zone).date()
    found = [start]
    while found[-1] < horizon:
        handoff = wall(day, rotation.handoff, zone)
        if handoff > start:
            found.append(handoff)
        day += timedelta(days=days)
    return found


def oracle_rotation(rotation: Rotation, at: datetime) -> str | None:
    if not rotation.participants or at < rotation.start:
        return None
    turn = bisect.bisect_right(handoffs(rotation), at) - 1
    return rotation.participants[turn % len(rotation.participants)]


def oracle_inside(restrictions: tuple[Restriction, ...], zone: ZoneInfo, at: datetime) -> bool:
    if not restrictions:
        return True
    today = at.astimezone(zone).date()
    for day in (today - timedelta(days=1), today):
        for restriction in restrictions:
            if day.weekday() not in restriction.days:
                continue
            begin = wall(day, restriction.start, zone)
            end_day = day + timedelta(days=1) if restriction.end <= restriction.start else day
            if begin <= at < wall(end_day, restriction.end, zone):
                return True
    return False


def oracle(schedule: Schedule, at: datetime) -> OnCall:
    zone = ZoneInfo(schedule.timezone)
    holders: list[Holder] = []
    for layer in reversed(schedule.layers):
        if not oracle_inside(layer.restrictions, zone, at):
            continue
        if isinstance(layer.source, Rotation):
            user = oracle_rotation(layer.source, at)
            users = [user] if user else []
        else:
            assert isinstance(layer.source, FixedUsers)
            users = list(dict.fromkeys(layer.source.user_ids))
        if users:
            holders = [Holder(user, layer.name) for user in users]
            break
    for temporary in sorted(schedule.temporaries, key=lambda t: (t.starts_at, t.id)):
        if temporary.starts_at <= at < temporary.ends_at:
            users = [s.user_id for s in temporary.shifts if s.starts_at <= at < s.ends_at]
            holders = [Holder(u, None, temporary_id=temporary.id) for u in dict.fromkeys(users)]
    for override in sorted(schedule.overrides, key=lambda o: (o.starts_at, o.id)):
        if not override.starts_at <= at < override.ends_at:
            continue
        if override.kind is OverrideKind.REMOVE:
            holders = [h for h in holders if h.user_id != override.user_id]
        elif override.kind is OverrideKind.ADD:
            if override.user_id not in [h.user_id for h in holders]:
                holders.append(Holder(override.user_id, None, override_id=override.id))
        else:
            replaced: list[Holder] = []
            for h in holders:
                if h.user_id == override.replaces_user_id:
                    h = Holder(
                        override.user_id,
                        h.layer,
                        override_id=override.id,
                        replaces_user_id=override.replaces_user_id,
                        temporary_id=h.temporary_id,
                    )
                if h.user_id not in [r.user_id for r in replaced]:
                    replaced.append(h)
            holders = replaced
    return OnCall(tuple(holders))


# Strategies.

BASE = datetime(2024, 1, 1, tzinfo=UTC)
people = st.lists(st.sampled_from(PEOPLE), max_size=4).map(tuple)
minutes = st.integers(min_value=0, max_value=366 * 24 * 60)


@st.composite
def rotations(draw: st.DrawFn, zone: str) -> Rotation:
    unit = draw(st.sampled_from(list(Unit)))
    counts = [1, 5, 8, 12, 36] if unit is Unit.HOURS else [1, 2, 3]
    handoff = draw(st.sampled_from(TIMES))
    day = (BASE + timedelta(days=draw(st.integers(0, 365)))).date()
    if draw(st.booleans()):
        start = wall(day, handoff, ZoneInfo(zone))
    else:
        start = BASE + timedelta(minutes=draw(minutes))
    return Rotation(draw(people), unit, draw(st.sampled_from(counts)), handoff, zone, start)


restrictions = st.lists(
    st.builds(
        Restriction,
        st.frozensets(st.integers(0, 6), min_size=1),
        st.sampled_from(TIMES),
        st.sampled_from(TIMES),
    ),
    max_size=2,
).map(tuple)


@st.composite
def schedules(draw: st.DrawFn) -> tuple[Schedule, datetime]:
    zone = draw(st.sampled_from(ZONES))
    layers = []
    for i in range(draw(st.integers(1, 3))):
        source = draw(st.one_of(rotations(zone), st.builds(FixedUsers, people)))
        layers.append(Layer(f"l{i}", source, draw(restrictions)))
    around = BASE + timedelta(minutes=draw(minutes))
    spans = st.tuples(st.integers(-3 * 24 * 60, 20 * 24 * 60), st.integers(1, 5 * 24 * 60)).map(
        lambda p: (around + timedelta(minutes=p[0]), around + timedelta(minutes=p[0] + p[1]))
    )
    overrides = []
    for i in range(draw(st.integers(0, 3))):
        begin, end = draw(spans)
        kind = draw(st.sampled_from(list(OverrideKind)))
        replaces = draw(st.sampled_from(PEOPLE)) if kind is OverrideKind.REPLACE else None
        overrides.append(
            Override(kind, draw(st.sampled_from(PEOPLE)), begin, end, replaces, f"o{i}")
        )
    temporaries = []
    for i in range(draw(st.integers(0, 1))):
        begin, end = draw(spans)
        temporary_shifts = tuple(
            Shift(draw(st.sampled_from(PEOPLE)), *draw(spans)) for _ in range(2)
        )
        temporaries.append(Temporary(begin, end, temporary_shifts, f"t{i}"))
    schedule = Schedule(zone, tuple(layers), tuple(overrides), tuple(temporaries))
    return schedule, around


@given(schedules(), st.lists(st.integers(-3 * 24 * 60 * 60, 21 * 24 * 60 * 60), max_size=6))
@PROPERTY
def test_on_call_at_random_instants_equals_the_oracle(
    drawn: tuple[Schedule, datetime], offsets: list[int]
) -> None:
    schedule, around = drawn
    for offset in offsets:
        at = around + timedelta(seconds=offset)
        assert on_call_at(schedule, at) == oracle(schedule, at), at


@given(schedules(), st.integers(0, 14 * 24 * 60), st.integers(1, 14 * 24 * 60))
@PROPERTY
def test_the_timeline_tiles_the_window_and_agrees_with_the_oracle(
    drawn: tuple[Schedule, datetime], offset: int, length: int
) -> None:
    schedule, around = drawn
    starts_at = around - timedelta(days=2) + timedelta(minutes=offset)
    ends_at = starts_at + timedelta(minutes=length)
    segments = timeline(schedule, starts_at, ends_at)
    assert segments[0].starts_at == starts_at
    assert segments[-1].ends_at == ends_at
    for before, after in itertools.pairwise(segments):
        assert before.ends_at == after.starts_at
        assert before.on_call != after.on_call
    for segment in segments:
        assert segment.starts_at < segment.ends_at
        assert segment.on_call == oracle(schedule, segment.starts_at)
        assert len(set(segment.on_call.user_ids)) == len(segment.on_call.user_ids)
    # Each person's shifts are exactly the stretches of segments that hold them, maximal.
    found = shifts(schedule, starts_at, ends_at)
    for user in PEOPLE:
        theirs = [(s.starts_at, s.ends_at) for s in found if s.user_id == user]
        stretches: list[tuple[datetime, datetime]] = []
        for segment in segments:
            if user in segment.on_call.user_ids:
                if stretches and stretches[-1][1] == segment.starts_at:
                    stretches[-1] = (stretches[-1][0], segment.ends_at)
                else:
                    stretches.append((segment.starts_at, segment.ends_at))
        assert theirs == stretches


@given(st.sampled_from(ZONES).flatmap(rotations), minutes, people)
@PROPERTY
def test_a_change_of_participants_keeps_who_is_on_call_and_the_handoffs(
    rotation: Rotation, minute: int, new: tuple[str, ...]
) -> None:
    at = BASE + timedelta(minutes=minute)
    changed = change_participants(rotation, new, at)
    before = oracle_rotation(rotation, at)
    later = at + timedelta(days=30)
    old_starts = [s.starts_at for s in rotation_shifts(rotation, at, later) if s.starts_at > at]
    new_shifts = rotation_shifts(changed, at, later)
    now = next((s.user_id for s in new_shifts if s.starts_at <= at < s.ends_at), None)
    if not new:
        assert new_shifts == []
        return
    if before is not None and before in new:
        assert now == before
    elif before is not None:
        remaining = [p for p in rotation.participants if p in new]
        assert now in (remaining or [new[0]])
    if rotation.participants and at >= rotation.start:
        assert [s.starts_at for s in new_shifts if s.starts_at > at] == old_starts
        # Turns after the change follow the new order.
        users = [s.user_id for s in new_shifts]
        first = new.index(users[0]) if users[0] in new else 0
        for i, user in enumerate(users[1:], 1):
            assert user == new[(first + i) % len(new)] or new.count(users[0]) > 1
