"""Who a schedule has on call: layers, then temporary schedules, then overrides.

Layers are lowest first. At each instant the highest layer that has anyone on call (inside its
restrictions) decides who is on call, all of its people; the layers below show through wherever
it has nobody. Inside a temporary schedule's period its shifts replace every layer, and outside
its shifts (but inside its period) nobody is on call; when temporaries overlap, the one that
starts last (then the greater id) decides. Overrides then apply on top, in order of `starts_at`
then id, each for [starts_at, ends_at): `replace` puts `user_id` wherever `replaces_user_id` is
on call, `add` adds `user_id`, `remove` takes `user_id` off. A person appears at most once.

The timeline is computed from edges, not by sampling: the instants where a turn ends, a
restriction window opens or closes, an event, override or temporary starts or ends. Between two
edges nothing changes, so each stretch is evaluated once and equal neighbours are merged.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable
from datetime import datetime, timedelta

from tocsin.rota.layers import Piece, layer_pieces
from tocsin.rota.localtime import to_utc
from tocsin.rota.model import (
    Holder,
    OnCall,
    Override,
    OverrideKind,
    Schedule,
    Segment,
    Shift,
    Temporary,
)


class _LayerLookup:
    def __init__(self, name: str, pieces: list[Piece]) -> None:
        self.name = name
        self.pieces = pieces
        self.starts = [piece[0] for piece in pieces]

    def users_at(self, at: datetime) -> tuple[str, ...]:
        i = bisect.bisect_right(self.starts, at) - 1
        if i >= 0 and at < self.pieces[i][1]:
            return self.pieces[i][2]
        return ()


def timeline(schedule: Schedule, starts_at: datetime, ends_at: datetime) -> list[Segment]:
    """Segments tiling [starts_at, ends_at) exactly; adjacent segments differ in who is on call
    or why. Empty when the window is."""
    starts_at, ends_at = to_utc(starts_at), to_utc(ends_at)
    if starts_at >= ends_at:
        return []
    layers = [
        _LayerLookup(layer.name, layer_pieces(layer, schedule.timezone, starts_at, ends_at))
        for layer in schedule.layers
    ]
    overrides = sorted(schedule.overrides, key=lambda o: (to_utc(o.starts_at), o.id))
    temporaries = sorted(schedule.temporaries, key=lambda t: (to_utc(t.starts_at), t.id))
    edges = sorted(_edges(starts_at, ends_at, layers, overrides, temporaries))
    segments: list[Segment] = []
    for begin, end in itertools.pairwise(edges):
        on_call = _on_call(begin, layers, overrides, temporaries)
        if segments and segments[-1].on_call == on_call:
            segments[-1] = Segment(segments[-1].starts_at, end, on_call)
        else:
            segments.append(Segment(begin, end, on_call))
    return segments


def on_call_at(schedule: Schedule, at: datetime) -> OnCall:
    """Who the schedule has on call at `at`."""
    at = to_utc(at)
    return timeline(schedule, at, at + timedelta(microseconds=1))[0].on_call


def shifts(schedule: Schedule, starts_at: datetime, ends_at: datetime) -> list[Shift]:
    """Each person's unbroken stretches on call within [starts_at, ends_at) (clipped to it),
    ordered by start then user id: what a person's calendar shows. A stretch runs on across a
    change of reason (another layer, an override) as long as the person stays on call."""
    open_since: dict[str, datetime] = {}
    found: list[Shift] = []
    for segment in timeline(schedule, starts_at, ends_at):
        present = set(segment.on_call.user_ids)
        for user in [user for user in open_since if user not in present]:
            found.append(Shift(user, open_since.pop(user), segment.starts_at))
        for user in segment.on_call.user_ids:
            open_since.setdefault(user, segment.starts_at)
    end = to_utc(ends_at)
    found.extend(Shift(user, since, end) for user, since in open_since.items())
    return sorted(found, key=lambda shift: (shift.starts_at, shift.user_id))


def gaps(
    schedule: Schedule, starts_at: datetime, ends_at: datetime
) -> list[tuple[datetime, datetime]]:
    """The stretches within [starts_at, ends_at) with nobody on call."""
    return [
        (segment.starts_at, segment.ends_at)
        for segment in timeline(schedule, starts_at, ends_at)
        if not segment.on_call.holders
    ]


def _edges(
    starts_at: datetime,
    ends_at: datetime,
    layers: list[_LayerLookup],
    overrides: list[Override],
    temporaries: list[Temporary],
) -> set[datetime]:
    instants: list[datetime] = []
    for layer in layers:
        for begin, end, _ in layer.pieces:
            instants += (begin, end)
    for override in overrides:
        instants += (to_utc(override.starts_at), to_utc(override.ends_at))
    for temporary in temporaries:
        instants += (to_utc(temporary.starts_at), to_utc(temporary.ends_at))
        for shift in temporary.shifts:
            instants += (to_utc(shift.starts_at), to_utc(shift.ends_at))
    return {starts_at, ends_at} | {at for at in instants if starts_at < at < ends_at}


def _on_call(
    at: datetime,
    layers: list[_LayerLookup],
    overrides: list[Override],
    temporaries: list[Temporary],
) -> OnCall:
    holders = _from_layers(at, layers)
    temporary = _temporary_at(at, temporaries)
    if temporary is not None:
        holders = [
            Holder(user, None, temporary_id=temporary.id)
            for user in _temporary_users(temporary, at)
        ]
    for override in overrides:
        if to_utc(override.starts_at) <= at < to_utc(override.ends_at):
            holders = _apply(override, holders)
    return OnCall(tuple(holders))


def _from_layers(at: datetime, layers: list[_LayerLookup]) -> list[Holder]:
    for layer in reversed(layers):
        users = layer.users_at(at)
        if users:
            return [Holder(user, layer.name) for user in users]
    return []


def _temporary_at(at: datetime, temporaries: list[Temporary]) -> Temporary | None:
    covering = [t for t in temporaries if to_utc(t.starts_at) <= at < to_utc(t.ends_at)]
    return covering[-1] if covering else None


def _temporary_users(temporary: Temporary, at: datetime) -> Iterable[str]:
    users = (
        shift.user_id
        for shift in temporary.shifts
        if to_utc(shift.starts_at) <= at < to_utc(shift.ends_at)
    )
    return dict.fromkeys(users)


def _apply(override: Override, holders: list[Holder]) -> list[Holder]:
    if override.kind is OverrideKind.REMOVE:
        return [holder for holder in holders if holder.user_id != override.user_id]
    if override.kind is OverrideKind.ADD:
        added = Holder(override.user_id, None, override_id=override.id)
        return _distinct([*holders, added])
    if override.replaces_user_id is None:
        return holders
    return _distinct(
        [
            Holder(
                override.user_id,
                holder.layer,
                override_id=override.id,
                replaces_user_id=override.replaces_user_id,
                temporary_id=holder.temporary_id,
            )
            if holder.user_id == override.replaces_user_id
            else holder
            for holder in holders
        ]
    )


def _distinct(holders: list[Holder]) -> list[Holder]:
    """Each person once, where they first appear (layer order, then participant order)."""
    seen: set[str] = set()
    kept: list[Holder] = []
    for holder in holders:
        if holder.user_id not in seen:
            seen.add(holder.user_id)
            kept.append(holder)
    return kept
