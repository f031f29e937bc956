"""Request and response bodies of rotations, schedules, overrides, temporary schedules and who
is on call."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

from tocsin import rota
from tocsin.http.api.schemas.common import CreatedAt, OwnId, UpdatedAt
from tocsin.http.api.schemas.fields import Count, Id, Name, TimeZone, described_by
from tocsin.oncall.checks import MAX_PARTICIPANTS, MAX_TEMPORARY_SHIFTS
from tocsin.oncall.evaluation import OnCallNow
from tocsin.oncall.layers import CLOCK, MAX_LAYERS, LayerDoc
from tocsin.oncall.models import OverrideKind
from tocsin.oncall.overrides import MAX_NOTE

# Layers are checked by the command that saves them (oncall/layers.py, `invalid_layers`), which
# also sees that each names exactly one source and that the source is the organization's.
LAYERS: dict[str, Any] = {
    "type": "array",
    "items": described_by(TypeAdapter(LayerDoc)),
    "maxItems": MAX_LAYERS,
}
LAYERS_DESCRIPTION = (
    "Lowest first; each names one of rotation_id, user_ids or calendar_id, and optionally "
    'restrictions: [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]'
)
Participants = list[Id]
Note = str
# RFC 3339, as the description's date-time says: never a number of seconds, never without an
# offset (which pydantic's datetime would otherwise take).
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("must be an RFC 3339 date-time with an offset")
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]


class RotationIn(BaseModel):
    name: Name
    unit: rota.Unit = Field(description="hours (elapsed), days or weeks (local wall time)")
    count: Count = Field(
        default=1,
        json_schema_extra={"minimum": 1},
        description="How many units a shift lasts: a custom length (at most a month of hours, "
        "366 days or 52 weeks: `invalid_count`)",
    )
    handoff_time: str = Field(default="09:00", pattern=CLOCK, description="HH:MM, local")
    timezone: TimeZone
    start_at: Instant = Field(description="When the first participant's shift starts")
    participants: Participants = Field(min_length=1, max_length=MAX_PARTICIPANTS)
    project_id: Id | None = None


class RotationPatch(BaseModel):
    """A field left out stays as it is. Changing the unit, count, handoff, time zone or start
    restarts the turns from the start; changing the participants keeps the shift in progress."""

    name: Name | None = None
    unit: rota.Unit | None = None
    count: Count | None = Field(default=None, json_schema_extra={"minimum": 1})
    handoff_time: str | None = Field(default=None, pattern=CLOCK)
    timezone: TimeZone | None = None
    start_at: Instant | None = None
    participants: Participants | None = Field(
        default=None, min_length=1, max_length=MAX_PARTICIPANTS
    )
    project_id: Id | None = Field(default=None, description="null takes it out of its project")


class RotationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    name: str
    unit: str
    count: int
    handoff_time: str
    timezone: str
    start_at: datetime
    participants: list[str]
    project_id: str | None
    created_at: CreatedAt
    updated_at: UpdatedAt


class ScheduleIn(BaseModel):
    name: Name
    timezone: TimeZone
    project_id: Id | None = None
    layers: list[dict[str, Any]] = Field(
        default_factory=list,
        max_length=MAX_LAYERS,
        description=LAYERS_DESCRIPTION,
        json_schema_extra=LAYERS,
    )


class SchedulePatch(BaseModel):
    name: Name | None = None
    timezone: TimeZone | None = None
    project_id: Id | None = Field(default=None, description="null takes it out of its project")
    layers: list[dict[str, Any]] | None = Field(
        default=None,
        max_length=MAX_LAYERS,
        description="Replaces every layer",
        json_schema_extra={"anyOf": [LAYERS, {"type": "null"}]},
    )


class ScheduleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    name: str
    timezone: str
    project_id: str | None
    layers: list[dict[str, Any]]
    gap_starts_at: datetime | None = Field(
        description="When the first instant within the next 14 days with nobody on call "
        "begins; null while someone is on call throughout"
    )
    created_at: CreatedAt
    updated_at: UpdatedAt


class OverrideIn(BaseModel):
    kind: OverrideKind = Field(
        description="replace: user_id takes over from replaces_user_id; add: user_id is on call "
        "too; remove: user_id is not on call"
    )
    user_id: Id
    replaces_user_id: Id | None = Field(default=None, description="replace only")
    starts_at: Instant
    ends_at: Instant = Field(description="After starts_at, at most 90 days later, ahead")
    note: Note = Field(default="", max_length=MAX_NOTE)


class OverrideOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    schedule_id: str
    kind: str
    user_id: str
    replaces_user_id: str | None
    starts_at: datetime
    ends_at: datetime
    note: str
    created_by: str | None
    created_at: CreatedAt


class TemporaryShiftIn(BaseModel):
    user_id: Id
    starts_at: Instant
    ends_at: Instant


class TemporaryIn(BaseModel):
    starts_at: Instant
    ends_at: Instant = Field(description="After starts_at, at most 90 days later, ahead")
    shifts: list[TemporaryShiftIn] = Field(
        max_length=MAX_TEMPORARY_SHIFTS, description="Within the period; outside them, nobody"
    )
    note: Note = Field(default="", max_length=MAX_NOTE)


class TemporaryShiftOut(BaseModel):
    user_id: str
    starts_at: datetime
    ends_at: datetime


class TemporaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    schedule_id: str
    starts_at: datetime
    ends_at: datetime
    shifts: list[TemporaryShiftOut]
    note: str
    created_at: CreatedAt


class HolderOut(BaseModel):
    user_id: str
    name: str
    layer: str | None = Field(description="The layer that put them on call")
    override_id: str | None
    replaces_user_id: str | None
    temporary_id: str | None


class OnCallOut(BaseModel):
    schedule_id: str
    schedule_name: str
    at: datetime
    user_ids: list[str]
    holders: list[HolderOut]
    description: str = Field(description="As the alert's timeline words it")


class ProjectOnCallOut(BaseModel):
    project_id: str
    at: datetime
    schedules: list[OnCallOut]


class ShiftOut(BaseModel):
    schedule_id: str
    user_id: str
    name: str
    starts_at: datetime
    ends_at: datetime


class ShiftsOut(BaseModel):
    items: list[ShiftOut]


class SegmentOut(BaseModel):
    starts_at: datetime
    ends_at: datetime
    holders: list[HolderOut] = Field(description="Empty: nobody is on call (a gap)")


class TimelineOut(BaseModel):
    schedule_id: str
    segments: list[SegmentOut]


def holders_out(holders: tuple[rota.Holder, ...], names: dict[str, str]) -> list[HolderOut]:
    return [
        HolderOut(
            user_id=holder.user_id,
            name=names.get(holder.user_id, holder.user_id),
            layer=holder.layer,
            override_id=holder.override_id,
            replaces_user_id=holder.replaces_user_id,
            temporary_id=holder.temporary_id,
        )
        for holder in holders
    ]


def on_call_out(now: OnCallNow, at: datetime) -> OnCallOut:
    return OnCallOut(
        schedule_id=now.schedule_id,
        schedule_name=now.schedule_name,
        at=at,
        user_ids=now.user_ids,
        holders=holders_out(now.holders, now.names),
        description=now.describe(),
    )
