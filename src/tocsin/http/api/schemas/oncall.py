"""Request and response bodies of rotations, schedules, overrides, temporary schedules and who
is on call."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

from tocsin import rota
from tocsin.http.api.schemas.common import CreatedAt, OwnId, UpdatedAt, listed, shown
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
    model_config = shown(
        {
            "name": "Weekly",
            "unit": "weeks",
            "count": 1,
            "handoff_time": "09:00",
            "timezone": "Europe/London",
            "start_at": "2025-01-06T09:00:00Z",
            "participants": ["usr_01m8ycrxap78197genycv3nvhg", "usr_01m8ycrxap78197genyejsdfa4"],
        }
    )

    name: Name = Field(description="What the rotation is")
    unit: rota.Unit = Field(description="hours (elapsed), days or weeks (local wall time)")
    count: Count = Field(
        default=1,
        json_schema_extra={"minimum": 1},
        description="How many units a shift lasts: a custom length (at most a month of hours, "
        "366 days or 52 weeks: `invalid_count`)",
    )
    handoff_time: str = Field(default="09:00", pattern=CLOCK, description="HH:MM, local")
    timezone: TimeZone = Field(description="The IANA time zone of its handoffs")
    start_at: Instant = Field(description="When the first participant's shift starts")
    participants: Participants = Field(
        min_length=1,
        max_length=MAX_PARTICIPANTS,
        description=("The members who take turns, in order"),
    )
    project_id: Id | None = Field(default=None, description="The project it belongs to, if any")


class RotationPatch(BaseModel):
    """A field left out stays as it is. Changing the unit, count, handoff, time zone or start
    restarts the turns from the start; changing the participants keeps the shift in progress."""

    model_config = shown(
        {"participants": ["usr_01m8ycrxap78197genyejsdfa4", "usr_01m8ycrxap78197genycv3nvhg"]}
    )

    name: Name | None = Field(default=None, description="A new name")
    unit: rota.Unit | None = Field(default=None, description="hours, days or weeks")
    count: Count | None = Field(
        default=None,
        json_schema_extra={"minimum": 1},
        description=("Units a shift lasts"),
    )
    handoff_time: str | None = Field(default=None, pattern=CLOCK, description="HH:MM, local")
    timezone: TimeZone | None = Field(default=None, description="The time zone of its handoffs")
    start_at: Instant | None = Field(
        default=None,
        description=("When the first participant's shift starts"),
    )
    participants: Participants | None = Field(
        description="The members who take turns, in order",
        default=None,
        min_length=1,
        max_length=MAX_PARTICIPANTS,
    )
    project_id: Id | None = Field(default=None, description="null takes it out of its project")


class RotationOut(BaseModel):
    model_config = shown(
        {
            "id": "rot_01m8ycrxap78197genycv3nvhg",
            "name": "Weekly",
            "unit": "weeks",
            "count": 1,
            "handoff_time": "09:00",
            "timezone": "Europe/London",
            "start_at": "2025-01-06T09:00:00Z",
            "participants": ["usr_01m8ycrxap78197genycv3nvhg", "usr_01m8ycrxap78197genyejsdfa4"],
            "project_id": None,
            "created_at": "2025-01-01T12:00:00Z",
            "updated_at": "2025-01-01T12:00:00Z",
        },
        from_attributes=True,
    )

    id: OwnId
    name: str = Field(description="What the rotation is")
    unit: str = Field(description="hours, days or weeks")
    count: int = Field(description="Units a shift lasts")
    handoff_time: str = Field(description="HH:MM, local")
    timezone: str = Field(description="The time zone of its handoffs")
    start_at: datetime = Field(description="When the first participant's shift started")
    participants: list[str] = Field(description="The members who take turns, in order")
    project_id: str | None = Field(description="The project it belongs to")
    created_at: CreatedAt
    updated_at: UpdatedAt


class ScheduleIn(BaseModel):
    model_config = shown(
        {
            "name": "Platform primary",
            "timezone": "Europe/London",
            "layers": [{"name": "Primary", "rotation_id": "rot_01m8ycrxap78197genycv3nvhg"}],
        }
    )

    name: Name = Field(description="What the schedule is")
    timezone: TimeZone = Field(description="The IANA time zone its restrictions are read in")
    project_id: Id | None = Field(default=None, description="The project it belongs to, if any")
    layers: list[dict[str, Any]] = Field(
        default_factory=list,
        max_length=MAX_LAYERS,
        description=LAYERS_DESCRIPTION,
        json_schema_extra=LAYERS,
    )


class SchedulePatch(BaseModel):
    model_config = shown(
        {"layers": [{"name": "Primary", "rotation_id": "rot_01m8ycrxap78197genycv3nvhg"}]}
    )

    name: Name | None = Field(default=None, description="A new name")
    timezone: TimeZone | None = Field(
        default=None,
        description=("The time zone its restrictions are read in"),
    )
    project_id: Id | None = Field(default=None, description="null takes it out of its project")
    layers: list[dict[str, Any]] | None = Field(
        default=None,
        max_length=MAX_LAYERS,
        description="Replaces every layer",
        json_schema_extra={"anyOf": [LAYERS, {"type": "null"}]},
    )


class ScheduleOut(BaseModel):
    model_config = shown(
        {
            "id": "sch_01m8ycrxap78197genycv3nvhg",
            "name": "Platform primary",
            "timezone": "Europe/London",
            "project_id": None,
            "layers": [{"name": "Primary", "rotation_id": "rot_01m8ycrxap78197genycv3nvhg"}],
            "gap_starts_at": None,
            "created_at": "2025-01-01T12:00:00Z",
            "updated_at": "2025-01-01T12:00:00Z",
        },
        from_attributes=True,
    )

    id: OwnId
    name: str = Field(description="What the schedule is")
    timezone: str = Field(description="The time zone its restrictions are read in")
    project_id: str | None = Field(description="The project it belongs to")
    layers: list[dict[str, Any]] = Field(description="Its layers, lowest first")
    gap_starts_at: datetime | None = Field(
        description="When the first instant within the next 14 days with nobody on call "
        "begins; null while someone is on call throughout"
    )
    created_at: CreatedAt
    updated_at: UpdatedAt


class OverrideIn(BaseModel):
    model_config = shown(
        {
            "kind": "replace",
            "user_id": "usr_01m8ycrxap78197genyejsdfa4",
            "replaces_user_id": "usr_01m8ycrxap78197genycv3nvhg",
            "starts_at": "2025-01-07T09:00:00Z",
            "ends_at": "2025-01-07T17:00:00Z",
            "note": "Ada is at the dentist",
        }
    )

    kind: OverrideKind = Field(
        description="replace: user_id takes over from replaces_user_id; add: user_id is on call "
        "too; remove: user_id is not on call"
    )
    user_id: Id = Field(description="Who goes on call (add, replace) or off it (remove)")
    replaces_user_id: Id | None = Field(default=None, description="replace only")
    starts_at: Instant = Field(description="When it begins, RFC 3339 with an offset")
    ends_at: Instant = Field(description="After starts_at, at most 90 days later, ahead")
    note: Note = Field(default="", max_length=MAX_NOTE, description="Why, for the others")


class OverrideOut(BaseModel):
    model_config = shown(
        {
            "id": "ovr_01m8ycrxap78197genycv3nvhg",
            "schedule_id": "sch_01m8ycrxap78197genycv3nvhg",
            "kind": "replace",
            "user_id": "usr_01m8ycrxap78197genyejsdfa4",
            "replaces_user_id": "usr_01m8ycrxap78197genycv3nvhg",
            "starts_at": "2025-01-07T09:00:00Z",
            "ends_at": "2025-01-07T17:00:00Z",
            "note": "Ada is at the dentist",
            "created_by": "usr_01m8ycrxap78197genycv3nvhg",
            "created_at": "2025-01-01T12:00:00Z",
        },
        from_attributes=True,
    )

    id: OwnId
    schedule_id: str = Field(description="Its schedule")
    kind: str = Field(description="add, replace or remove")
    user_id: str = Field(description="Who it puts on call or takes off")
    replaces_user_id: str | None = Field(description="Who it replaces (replace only)")
    starts_at: datetime = Field(description="When it begins")
    ends_at: datetime = Field(description="When it ends")
    note: str = Field(description="Why")
    created_by: str | None = Field(description="Who made it")
    created_at: CreatedAt


class TemporaryShiftIn(BaseModel):
    user_id: Id = Field(description="Who is on call")
    starts_at: Instant = Field(description="When the shift begins")
    ends_at: Instant = Field(description="When it ends")


class TemporaryIn(BaseModel):
    model_config = shown(
        {
            "starts_at": "2025-12-24T00:00:00Z",
            "ends_at": "2025-12-27T00:00:00Z",
            "shifts": [
                {
                    "user_id": "usr_01m8ycrxap78197genycv3nvhg",
                    "starts_at": "2025-12-24T00:00:00Z",
                    "ends_at": "2025-12-25T12:00:00Z",
                },
                {
                    "user_id": "usr_01m8ycrxap78197genyejsdfa4",
                    "starts_at": "2025-12-25T12:00:00Z",
                    "ends_at": "2025-12-27T00:00:00Z",
                },
            ],
            "note": "Holidays",
        }
    )

    starts_at: Instant = Field(
        description=("When the temporary schedule begins, RFC 3339 with an offset"),
    )
    ends_at: Instant = Field(description="After starts_at, at most 90 days later, ahead")
    shifts: list[TemporaryShiftIn] = Field(
        max_length=MAX_TEMPORARY_SHIFTS, description="Within the period; outside them, nobody"
    )
    note: Note = Field(default="", max_length=MAX_NOTE, description="Why, for the others")


class TemporaryShiftOut(BaseModel):
    user_id: str = Field(description="Who is on call")
    starts_at: datetime = Field(description="When the shift begins")
    ends_at: datetime = Field(description="When it ends")


class TemporaryOut(BaseModel):
    model_config = shown(
        {
            "id": "tmp_01m8ycrxap78197genycv3nvhg",
            "schedule_id": "sch_01m8ycrxap78197genycv3nvhg",
            "starts_at": "2025-12-24T00:00:00Z",
            "ends_at": "2025-12-27T00:00:00Z",
            "shifts": [
                {
                    "user_id": "usr_01m8ycrxap78197genycv3nvhg",
                    "starts_at": "2025-12-24T00:00:00Z",
                    "ends_at": "2025-12-25T12:00:00Z",
                },
                {
                    "user_id": "usr_01m8ycrxap78197genyejsdfa4",
                    "starts_at": "2025-12-25T12:00:00Z",
                    "ends_at": "2025-12-27T00:00:00Z",
                },
            ],
            "note": "Holidays",
            "created_at": "2025-01-01T12:00:00Z",
        },
        from_attributes=True,
    )

    id: OwnId
    schedule_id: str = Field(description="Its schedule")
    starts_at: datetime = Field(description="When it begins")
    ends_at: datetime = Field(description="When it ends")
    shifts: list[TemporaryShiftOut] = Field(
        description=("Its shifts; outside them nobody is on call"),
    )
    note: str = Field(description="Why")
    created_at: CreatedAt


class HolderOut(BaseModel):
    user_id: str = Field(description="The member on call")
    name: str = Field(description="Their name")
    layer: str | None = Field(description="The layer that put them on call")
    override_id: str | None = Field(description="The override that put them on call, if one")
    replaces_user_id: str | None = Field(description="Who that override replaced")
    temporary_id: str | None = Field(
        description=("The temporary schedule that put them on call, if one"),
    )


class OnCallOut(BaseModel):
    model_config = shown(
        {
            "schedule_id": "sch_01m8ycrxap78197genycv3nvhg",
            "schedule_name": "Platform primary",
            "at": "2025-01-07T10:00:00Z",
            "user_ids": ["usr_01m8ycrxap78197genycv3nvhg"],
            "holders": [
                {
                    "user_id": "usr_01m8ycrxap78197genycv3nvhg",
                    "name": "Ada",
                    "layer": "Primary",
                    "override_id": None,
                    "replaces_user_id": None,
                    "temporary_id": None,
                }
            ],
            "description": "Ada (Primary)",
        }
    )

    schedule_id: str = Field(description="The schedule")
    schedule_name: str = Field(description="Its name")
    at: datetime = Field(description="The moment asked about")
    user_ids: list[str] = Field(description="Who is on call then")
    holders: list[HolderOut] = Field(description="Who is on call and why")
    description: str = Field(description="As the alert's timeline words it")


class ProjectOnCallOut(BaseModel):
    model_config = shown(
        {
            "project_id": "prj_01m8ycrxap78197genycv3nvhg",
            "at": "2025-01-07T10:00:00Z",
            "schedules": [
                {
                    "schedule_id": "sch_01m8ycrxap78197genycv3nvhg",
                    "schedule_name": "Platform primary",
                    "at": "2025-01-07T10:00:00Z",
                    "user_ids": ["usr_01m8ycrxap78197genycv3nvhg"],
                    "holders": [
                        {
                            "user_id": "usr_01m8ycrxap78197genycv3nvhg",
                            "name": "Ada",
                            "layer": "Primary",
                            "override_id": None,
                            "replaces_user_id": None,
                            "temporary_id": None,
                        }
                    ],
                    "description": "Ada (Primary)",
                }
            ],
        }
    )

    project_id: str = Field(description="The project")
    at: datetime = Field(description="The moment asked about")
    schedules: list[OnCallOut] = Field(description="Who is on call in each of its schedules")


class ShiftOut(BaseModel):
    model_config = shown(
        {
            "schedule_id": "sch_01m8ycrxap78197genycv3nvhg",
            "user_id": "usr_01m8ycrxap78197genycv3nvhg",
            "name": "Ada",
            "starts_at": "2025-01-06T09:00:00Z",
            "ends_at": "2025-01-13T09:00:00Z",
        }
    )

    schedule_id: str = Field(description="The schedule")
    user_id: str = Field(description="The member on call")
    name: str = Field(description="Their name")
    starts_at: datetime = Field(description="When the shift begins")
    ends_at: datetime = Field(description="When it ends")


class ShiftsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=listed)

    items: list[ShiftOut] = Field(description="The shifts in the window, by start")


class SegmentOut(BaseModel):
    starts_at: datetime = Field(description="When it begins")
    ends_at: datetime = Field(description="When it ends")
    holders: list[HolderOut] = Field(description="Empty: nobody is on call (a gap)")


class TimelineOut(BaseModel):
    model_config = shown(
        {
            "schedule_id": "sch_01m8ycrxap78197genycv3nvhg",
            "segments": [
                {
                    "starts_at": "2025-01-06T09:00:00Z",
                    "ends_at": "2025-01-13T09:00:00Z",
                    "holders": [
                        {
                            "user_id": "usr_01m8ycrxap78197genycv3nvhg",
                            "name": "Ada",
                            "layer": "Primary",
                            "override_id": None,
                            "replaces_user_id": None,
                            "temporary_id": None,
                        }
                    ],
                }
            ],
        }
    )

    schedule_id: str = Field(description="The schedule")
    segments: list[SegmentOut] = Field(
        description=("Who is on call, period by period, gaps included"),
    )


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
