"""Rotations: when each shift starts and whose turn it is.

Shift 0 begins at the rotation's `start`. `hours` shifts are elapsed time: shift k starts at
`start + k * count` hours, whatever the clocks do. `days` and `weeks` shifts hand over at the
local `handoff` time in the rotation's time zone, on the local date of `start` plus a multiple of
`count` days (`7 * count` for weeks), so a day shift that spans a DST change lasts 23 or 25
hours. When `start` is not itself at the handoff time, the first shift runs from `start` to the
next handoff on that grid (a daily rotation started at 15:00 that hands over at 09:00 gives its
first participant the 18 hours to 09:00 the next day; one started at 07:00 gives them 2 hours).
Before `start` nobody is on call; a rotation without participants has nobody on call.

Turns: shift k belongs to `participants[k mod n]`. A rotation with an anchor counts turns from
it: from `anchor_at` on, the shift in progress at `anchor_at` belongs to
`participants[anchor_index]` and the shifts after it to the participants after that one. An
anchor normally sits on a handoff; change_participants may set one inside a shift (someone
takes over at once), which splits that shift in two at `anchor_at`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from tocsin.rota.localtime import local_date, local_instant, to_utc, zone
from tocsin.rota.model import Rotation, Shift, Unit


def _step_days(rotation: Rotation) -> int:
    return rotation.count * (7 if rotation.unit is Unit.WEEKS else 1)


def _grid(rotation: Rotation, j: int) -> datetime:
    """The j-th handoff of the local-time grid of a days/weeks rotation (j=0: `start`'s date)."""
    tz = zone(rotation.timezone)
    day = local_date(rotation.start, tz) + timedelta(days=j * _step_days(rotation))
    return local_instant(day, rotation.handoff, tz)


def _grid_offset(rotation: Rotation) -> int:
    """How many grid handoffs fall at or before `start` on its own date (0 or 1): shift k >= 1
    starts at grid handoff k - 1 + offset."""
    return 1 if _grid(rotation, 0) <= to_utc(rotation.start) else 0


def shift_start(rotation: Rotation, k: int) -> datetime:
    """When shift k (k >= 0) starts, before any anchor splits it."""
    start = to_utc(rotation.start)
    if k == 0:
        return start
    if rotation.unit is Unit.HOURS:
        return start + timedelta(hours=k * rotation.count)
    return _grid(rotation, k - 1 + _grid_offset(rotation))


def shift_index(rotation: Rotation, at: datetime) -> int | None:
    """The shift in progress at `at`; None before `start`."""
    at = to_utc(at)
    start = to_utc(rotation.start)
    if at < start:
        return None
    if rotation.unit is Unit.HOURS:
        return (at - start) // timedelta(hours=rotation.count)
    tz = zone(rotation.timezone)
    days = (local_date(at, tz) - local_date(start, tz)).days
    offset = _grid_offset(rotation)
    # An estimate from local dates, then corrected: the grid is monotonic, and the estimate is at
    # most one step off either way.
    k = max(days // _step_days(rotation) + 1 - offset, 0)
    while k > 0 and shift_start(rotation, k) > at:
        k -= 1
    while shift_start(rotation, k + 1) <= at:
        k += 1
    return k


def _anchor(rotation: Rotation) -> tuple[int, datetime] | None:
    """(index of the shift the anchor falls in, the anchor instant), or None."""
    if rotation.anchor_at is None:
        return None
    anchor_at = max(to_utc(rotation.anchor_at), to_utc(rotation.start))
    k = shift_index(rotation, anchor_at)
    assert k is not None
    return k, anchor_at


def _participant(rotation: Rotation, k: int, anchored: bool, anchor_k: int) -> str:
    n = len(rotation.participants)
    if anchored:
        return rotation.participants[(rotation.anchor_index + k - anchor_k) % n]
    return rotation.participants[k % n]


def rotation_shifts(rotation: Rotation, starts_at: datetime, ends_at: datetime) -> list[Shift]:
    """The rotation's own shifts overlapping [starts_at, ends_at), unclipped: one per turn (a
    participant with two turns in a row has two shifts), a shift split by a mid-shift anchor
    being two."""
    starts_at, ends_at = to_utc(starts_at), to_utc(ends_at)
    if not rotation.participants or starts_at >= ends_at:
        return []
    first = shift_index(rotation, max(starts_at, to_utc(rotation.start)))
    if first is None:
        return []
    anchor = _anchor(rotation)
    anchor_k, anchor_at = anchor if anchor is not None else (-1, None)
    result: list[Shift] = []
    k = first
    begin = shift_start(rotation, k)
    while begin < ends_at:
        end = shift_start(rotation, k + 1)
        pieces = [(begin, end, anchor_at is not None and k > anchor_k)]
        if anchor_at is not None and k == anchor_k:
            pieces = [(begin, anchor_at, False), (anchor_at, end, True)]
        for piece_start, piece_end, anchored in pieces:
            if piece_start < piece_end and piece_end > starts_at and piece_start < ends_at:
                user = _participant(rotation, k, anchored, anchor_k)
                result.append(Shift(user, piece_start, piece_end))
        k, begin = k + 1, end
    return result


def on_call(rotation: Rotation, at: datetime) -> str | None:
    """Whose turn it is at `at`; None before `start` or with no participants."""
    found = rotation_shifts(rotation, at, to_utc(at) + timedelta(microseconds=1))
    return found[0].user_id if found else None


def change_participants(
    rotation: Rotation, participants: tuple[str, ...], at: datetime
) -> Rotation:
    """The rotation with `participants` from `at` on (GoAlert's rule).

    The person on call at `at` stays on call until the regular handoff if they are still in the
    list, and turns then continue after them in the new order: adding or reordering participants
    never changes who is on call now. If they were removed, the next participant in the old
    order who remains takes over at once, for the rest of that shift, and turns continue after
    them; handoffs keep their cadence. If nobody was on call (no participants), the first new
    participant takes over at once; if nobody of the old list remains, the first of the new.

    The rotation keeps one anchor, so the shifts computed before the change's shift use the new
    list (the alert timeline records who was actually paged)."""
    at = to_utc(at)
    k = shift_index(rotation, at)
    if k is None or not participants:
        return replace(rotation, participants=participants, anchor_at=None, anchor_index=0)
    current = on_call(rotation, at)
    if current is not None and current in participants:
        position = _position(rotation, at, current, participants)
        begin = max(_piece_start(rotation, k, at), to_utc(rotation.start))
        return replace(rotation, participants=participants, anchor_at=begin, anchor_index=position)
    successor = _successor(rotation, at, participants)
    return replace(
        rotation,
        participants=participants,
        anchor_at=at,
        anchor_index=participants.index(successor) if successor is not None else 0,
    )


def _piece_start(rotation: Rotation, k: int, at: datetime) -> datetime:
    """Where the stretch of shift k that holds `at` begins (after a mid-shift anchor, if any)."""
    begin = shift_start(rotation, k)
    anchor = _anchor(rotation)
    if anchor is not None and anchor[0] == k and anchor[1] <= at:
        return anchor[1]
    return begin


def _old_position(rotation: Rotation, at: datetime) -> int:
    k = shift_index(rotation, at)
    assert k is not None
    anchor = _anchor(rotation)
    n = len(rotation.participants)
    if anchor is not None and (k > anchor[0] or (k == anchor[0] and at >= anchor[1])):
        return (rotation.anchor_index + k - anchor[0]) % n
    return k % n


def _position(rotation: Rotation, at: datetime, user: str, participants: tuple[str, ...]) -> int:
    """Where the person on call stands in the new list: their old place if it still holds
    them (one may appear more than once), else their first place."""
    old = _old_position(rotation, at)
    if old < len(participants) and participants[old] == user:
        return old
    return participants.index(user)


def _successor(rotation: Rotation, at: datetime, participants: tuple[str, ...]) -> str | None:
    """The next participant in the old order after the one on call who is still in the list."""
    old = rotation.participants
    if not old:
        return participants[0]
    position = _old_position(rotation, at)
    for step in range(1, len(old) + 1):
        candidate = old[(position + step) % len(old)]
        if candidate in participants:
            return candidate
    return None
