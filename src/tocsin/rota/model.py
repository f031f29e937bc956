"""The values a schedule is computed from. Pure data: no database, no clock.

Every instant is an aware datetime in UTC; local times (handoffs, restrictions) are read in the
time zone named beside them (IANA names, `zoneinfo`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum


class Unit(StrEnum):
    """How a rotation's shift length is counted. `hours` are elapsed time (a 12-hour shift is 12
    hours even across a DST change); `days` and `weeks` hand over at the same local wall time,
    so a day shift across a DST change lasts 23 or 25 hours."""

    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"


@dataclass(frozen=True)
class Rotation:
    """Participants (member ids, in order; one may appear more than once) who take turns, each
    for `count` `unit`s. The first shift starts at `start`; days and weeks hand over at
    `handoff` local time in `timezone` (hours shifts run from `start` on).

    `anchor_at`/`anchor_index`: from `anchor_at` (a handoff instant) on, the shift that starts
    at `anchor_at` belongs to `participants[anchor_index]` and turns continue from there. A
    change of participants sets them so the shift in progress stays where users expect it
    (see rota.rotation.change_participants)."""

    participants: tuple[str, ...]
    unit: Unit
    count: int
    handoff: time
    timezone: str
    start: datetime
    anchor_at: datetime | None = None
    anchor_index: int = 0


@dataclass(frozen=True)
class Restriction:
    """A layer counts only inside these windows, in the schedule's time zone: on each of `days`
    (0 Monday .. 6 Sunday) from `start` to `end` local time; `end` at or before `start` runs
    past midnight into the next day. No restrictions: always."""

    days: frozenset[int]
    start: time
    end: time


@dataclass(frozen=True)
class FixedUsers:
    """Always these people (within the layer's restrictions)."""

    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class Event:
    """One event of an external calendar that names a member."""

    user_id: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class CalendarEvents:
    """The events of an external calendar: whoever an event names is on call during it."""

    events: tuple[Event, ...]


Source = Rotation | FixedUsers | CalendarEvents


@dataclass(frozen=True)
class Layer:
    name: str
    source: Source
    restrictions: tuple[Restriction, ...] = ()


class OverrideKind(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    REPLACE = "replace"


@dataclass(frozen=True)
class Override:
    """add: `user_id` is on call too; remove: `user_id` is not on call; replace: wherever
    `replaces_user_id` would be on call, `user_id` is instead. For [starts_at, ends_at)."""

    kind: OverrideKind
    user_id: str
    starts_at: datetime
    ends_at: datetime
    replaces_user_id: str | None = None
    id: str = ""


@dataclass(frozen=True)
class Shift:
    user_id: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Temporary:
    """Holidays: within [starts_at, ends_at) these shifts replace every layer (overrides still
    apply on top); outside its shifts but inside its period nobody is on call."""

    starts_at: datetime
    ends_at: datetime
    shifts: tuple[Shift, ...]
    id: str = ""


@dataclass(frozen=True)
class Schedule:
    """Layers lowest first: at each instant the highest layer that has anyone on call decides
    who is (a layer outside its restrictions, or with nobody, lets the layers below show
    through); then temporaries, then overrides."""

    timezone: str
    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = ()
    temporaries: tuple[Temporary, ...] = ()


@dataclass(frozen=True)
class Holder:
    """One person on call and why: the layer that put them there, or the override."""

    user_id: str
    layer: str | None
    override_id: str | None = None
    replaces_user_id: str | None = None
    temporary_id: str | None = None


@dataclass(frozen=True)
class OnCall:
    """Who is on call at one instant, in a stable order (layer order, then participant order)."""

    holders: tuple[Holder, ...] = ()

    @property
    def user_ids(self) -> tuple[str, ...]:
        return tuple(holder.user_id for holder in self.holders)


@dataclass(frozen=True)
class Segment:
    """[starts_at, ends_at) during which the same people are on call for the same reasons.
    A timeline is a list of segments that tile the window asked for, with no gap or overlap;
    a segment with no holders is a gap."""

    starts_at: datetime
    ends_at: datetime
    on_call: OnCall = field(default_factory=OnCall)
