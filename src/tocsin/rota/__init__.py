"""Who is on call, computed: rotations, layers with restrictions, overrides and temporary
schedules, exact across time zones and DST changes; and iCal feeds of the shifts, out and in.

Pure: no database, no clock, no I/O. tocsin.oncall reads rows, builds a rota.Schedule and asks.
"""

from __future__ import annotations

from datetime import datetime

from tocsin.rota.evaluate import gaps, on_call_at, shifts, timeline
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
from tocsin.rota.rotation import change_participants, rotation_shifts

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


class FeedError(ValueError):
    """An iCal feed that cannot be read (not iCal, too large, no events in the window)."""


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
