"""Who is on call, computed: rotations, layers with restrictions, overrides and temporary
schedules, exact across time zones and DST changes; and iCal feeds of the shifts, out and in.

Pure: no database, no clock, no I/O. tocsin.oncall reads rows, builds a rota.Schedule and asks.
"""

from __future__ import annotations

from datetime import datetime

from tocsin.rota.model import (
    CalendarEvents,
    Event,
    FixedUsers,
    Holder,
    Layer,
    OnCall,
    Override,
    OverrideKind,
    Restriction,
    Rotation,
    Schedule,
    Segment,
    Shift,
    Source,
    Temporary,
    Unit,
)

__all__ = [
    "CalendarEvents",
    "Event",
    "FeedError",
    "FixedUsers",
    "Holder",
    "Layer",
    "OnCall",
    "Override",
    "OverrideKind",
    "Restriction",
    "Rotation",
    "Schedule",
    "Segment",
    "Shift",
    "Source",
    "Temporary",
    "Unit",
    "change_participants",
    "gaps",
    "on_call_at",
    "parse_feed",
    "render_feed",
    "rotation_shifts",
    "shifts",
    "timeline",
]


# INTERFACE: the rota helper replaces these stubs with the real implementations (in modules of
# their own, re-exported here). Signatures are fixed: tocsin.oncall codes against them.


class FeedError(ValueError):
    """An iCal feed that cannot be read (not iCal, too large, no events in the window)."""


def on_call_at(schedule: Schedule, at: datetime) -> OnCall:
    """Who the schedule has on call at `at`."""
    raise NotImplementedError


def timeline(schedule: Schedule, starts_at: datetime, ends_at: datetime) -> list[Segment]:
    """Segments tiling [starts_at, ends_at) exactly; adjacent segments differ in who is on call
    or why."""
    raise NotImplementedError


def shifts(schedule: Schedule, starts_at: datetime, ends_at: datetime) -> list[Shift]:
    """Each person's unbroken stretches on call within [starts_at, ends_at) (clipped to it),
    ordered by start then user id: what a person's calendar shows."""
    raise NotImplementedError


def gaps(
    schedule: Schedule, starts_at: datetime, ends_at: datetime
) -> list[tuple[datetime, datetime]]:
    """The stretches within [starts_at, ends_at) with nobody on call."""
    raise NotImplementedError


def rotation_shifts(rotation: Rotation, starts_at: datetime, ends_at: datetime) -> list[Shift]:
    """The rotation's own shifts overlapping [starts_at, ends_at), unclipped."""
    raise NotImplementedError


def change_participants(
    rotation: Rotation, participants: tuple[str, ...], at: datetime
) -> Rotation:
    """The rotation with new participants from `at` on, keeping the shift in progress where users
    expect it (the rule is in docs/on-call.md)."""
    raise NotImplementedError


def render_feed(
    *, name: str, shifts: list[Shift], names: dict[str, str], calendar_id: str, now: datetime
) -> bytes:
    """An iCal (RFC 5545) calendar with one VEVENT per shift."""
    raise NotImplementedError


def parse_feed(
    data: bytes, *, user_for: dict[str, str], starts_at: datetime, ends_at: datetime
) -> list[Event]:
    """The events of an iCal calendar within [starts_at, ends_at), recurrences expanded, that
    name a member: `user_for` maps lower-cased e-mail addresses and display names to member
    ids, matched against ATTENDEE, ORGANIZER and SUMMARY."""
    raise NotImplementedError
