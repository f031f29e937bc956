"""Who is on call, computed: rotations, layers with restrictions, overrides and temporary
schedules, exact across time zones and DST changes; and iCal feeds of the shifts, out and in.

Pure: no database, no clock, no I/O. tocsin.oncall reads rows, builds a rota.Schedule and asks.
"""

from __future__ import annotations

from tocsin.rota.evaluate import gaps, on_call_at, shifts, timeline
from tocsin.rota.feeds import FeedError, parse_feed, render_feed
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
