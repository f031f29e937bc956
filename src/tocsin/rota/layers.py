"""What each layer has on call, as sorted, disjoint pieces of time with their people.

A rotation's piece is a turn; fixed users are all on call at once; an external calendar's people
are whoever its events name at that instant (all of them, ordered by member id). Each is then
clipped to the layer's restriction windows (rota.restrictions), in the schedule's time zone.
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import datetime

from tocsin.rota.localtime import to_utc
from tocsin.rota.model import CalendarEvents, FixedUsers, Layer, Rotation, Source
from tocsin.rota.restrictions import Interval, windows
from tocsin.rota.rotation import rotation_shifts

Piece = tuple[datetime, datetime, tuple[str, ...]]


def layer_pieces(
    layer: Layer, timezone: str, starts_at: datetime, ends_at: datetime
) -> list[Piece]:
    """The stretches within [starts_at, ends_at) where the layer has someone on call."""
    pieces = source_pieces(layer.source, starts_at, ends_at)
    if not layer.restrictions or not pieces:
        return pieces
    return clip(pieces, windows(layer.restrictions, timezone, starts_at, ends_at))


def source_pieces(source: Source, starts_at: datetime, ends_at: datetime) -> list[Piece]:
    if isinstance(source, Rotation):
        return [
            (max(shift.starts_at, starts_at), min(shift.ends_at, ends_at), (shift.user_id,))
            for shift in rotation_shifts(source, starts_at, ends_at)
        ]
    if isinstance(source, FixedUsers):
        users = tuple(dict.fromkeys(source.user_ids))
        return [(starts_at, ends_at, users)] if users else []
    return _calendar_pieces(source, starts_at, ends_at)


def _calendar_pieces(source: CalendarEvents, starts_at: datetime, ends_at: datetime) -> list[Piece]:
    """A sweep over the events' edges: who is named changes only where an event starts or ends."""
    changes: dict[datetime, list[tuple[str, int]]] = {}
    for event in source.events:
        begin = max(to_utc(event.starts_at), starts_at)
        end = min(to_utc(event.ends_at), ends_at)
        if begin < end:
            changes.setdefault(begin, []).append((event.user_id, 1))
            changes.setdefault(end, []).append((event.user_id, -1))
    active: Counter[str] = Counter()
    pieces: list[Piece] = []
    edges = sorted(changes)
    for begin, end in itertools.pairwise(edges):
        for user, delta in changes[begin]:
            active[user] += delta
        users = tuple(sorted(user for user, count in active.items() if count > 0))
        if users:
            pieces.append((begin, end, users))
    return pieces


def clip(pieces: list[Piece], allowed: list[Interval]) -> list[Piece]:
    """The parts of `pieces` inside `allowed` (both sorted and disjoint)."""
    result: list[Piece] = []
    i = j = 0
    while i < len(pieces) and j < len(allowed):
        begin = max(pieces[i][0], allowed[j][0])
        end = min(pieces[i][1], allowed[j][1])
        if begin < end:
            result.append((begin, end, pieces[i][2]))
        if pieces[i][1] <= allowed[j][1]:
            i += 1
        else:
            j += 1
    return result
