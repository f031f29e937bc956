"""Who a schedule has on call, read from its rows: builds a rota.Schedule from the schedule's
layers (rotations, fixed members, external calendars' last good copy), overrides and temporary
schedules, and asks tocsin.rota.

The names and signatures here are fixed: paging (oncall.targets), handoff notices, gap flags,
feeds and the API code against them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin import rota
from tocsin.accounts.models import User
from tocsin.oncall.as_rota import override_value, rotation_source, temporary_value
from tocsin.oncall.layers import restrictions_of
from tocsin.oncall.models import (
    CalendarFeed,
    Rotation,
    Schedule,
    ScheduleOverride,
    ScheduleTemporary,
)

# The window one instant is computed in: rows that touch it are all that can matter.
_INSTANT = timedelta(seconds=1)


@dataclass(frozen=True)
class OnCallNow:
    """Who a schedule has on call at one instant, with their names for the timeline."""

    schedule_id: str
    schedule_name: str
    holders: tuple[rota.Holder, ...]
    names: dict[str, str] = field(default_factory=dict)

    @property
    def user_ids(self) -> list[str]:
        return list(dict.fromkeys(holder.user_id for holder in self.holders))

    def describe(self) -> str:
        """'Platform primary: Ana (override for Ben), Cy (Secondary layer)': the words the alert's
        timeline shows for this schedule."""
        if not self.holders:
            return f"{self.schedule_name}: nobody"
        return f"{self.schedule_name}: " + ", ".join(
            f"{self._name(holder.user_id)} ({self._why(holder)})" for holder in self.holders
        )

    def _name(self, user_id: str) -> str:
        return self.names.get(user_id) or user_id

    def _why(self, holder: rota.Holder) -> str:
        if holder.override_id is not None:
            if holder.replaces_user_id is not None:
                return f"override for {self._name(holder.replaces_user_id)}"
            return "added by override"
        if holder.temporary_id is not None:
            return "temporary schedule"
        layer = holder.layer or "schedule"
        return layer if layer.lower().endswith("layer") else f"{layer} layer"


def schedule_model(
    session: Session, schedule: Schedule, *, starts_at: datetime, ends_at: datetime
) -> rota.Schedule:
    """The schedule as tocsin.rota sees it, with the overrides and temporaries that touch
    [starts_at, ends_at)."""
    rotation_ids = {layer["rotation_id"] for layer in schedule.layers if "rotation_id" in layer}
    calendar_ids = {layer["calendar_id"] for layer in schedule.layers if "calendar_id" in layer}
    rotations = _by_id(session, Rotation, schedule.org_id, rotation_ids)
    calendars = _by_id(session, CalendarFeed, schedule.org_id, calendar_ids)
    layers = tuple(
        rota.Layer(
            name=layer["name"],
            source=_source(layer, rotations, calendars, starts_at, ends_at),
            restrictions=restrictions_of(layer),
        )
        for layer in schedule.layers
    )
    overrides = session.scalars(
        select(ScheduleOverride)
        .where(
            ScheduleOverride.schedule_id == schedule.id,
            ScheduleOverride.starts_at < ends_at,
            ScheduleOverride.ends_at > starts_at,
        )
        .order_by(ScheduleOverride.created_at, ScheduleOverride.id)
    )
    temporaries = session.scalars(
        select(ScheduleTemporary)
        .where(
            ScheduleTemporary.schedule_id == schedule.id,
            ScheduleTemporary.starts_at < ends_at,
            ScheduleTemporary.ends_at > starts_at,
        )
        .order_by(ScheduleTemporary.starts_at, ScheduleTemporary.id)
    )
    return rota.Schedule(
        timezone=schedule.timezone,
        layers=layers,
        overrides=tuple(override_value(row) for row in overrides),
        temporaries=tuple(temporary_value(row) for row in temporaries),
    )


T = TypeVar("T", Rotation, CalendarFeed)


def _by_id(session: Session, model: type[T], org_id: str, ids: set[str]) -> dict[str, T]:
    if not ids:
        return {}
    rows = session.scalars(select(model).where(model.org_id == org_id, model.id.in_(ids)))
    return {row.id: row for row in rows}


def _source(
    layer: dict[str, Any],
    rotations: dict[str, Rotation],
    calendars: dict[str, CalendarFeed],
    starts_at: datetime,
    ends_at: datetime,
) -> rota.Source:
    if "rotation_id" in layer:
        return rotation_source(rotations.get(layer["rotation_id"]))
    if "user_ids" in layer:
        return rota.FixedUsers(tuple(layer["user_ids"]))
    feed = calendars.get(layer.get("calendar_id", ""))
    return rota.CalendarEvents(tuple(_events(feed, starts_at, ends_at)))


def _events(feed: CalendarFeed | None, starts_at: datetime, ends_at: datetime) -> list[rota.Event]:
    """The last good copy's events that touch the window; a feed never fetched has none."""
    events: list[rota.Event] = []
    for event in feed.events if feed is not None else ():
        begins = datetime.fromisoformat(event["starts_at"])
        ends = datetime.fromisoformat(event["ends_at"])
        if begins < ends_at and ends > starts_at and ends > begins:
            events.append(rota.Event(user_id=event["user_id"], starts_at=begins, ends_at=ends))
    return events


def _schedule(session: Session, org_id: str, schedule_id: str) -> Schedule | None:
    return session.scalar(
        select(Schedule).where(Schedule.id == schedule_id, Schedule.org_id == org_id)
    )


def names_of(session: Session, user_ids: Iterable[str]) -> dict[str, str]:
    """Each user's display name, or their e-mail address when they gave none."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(User.id, User.display_name, User.email).where(User.id.in_(wanted))
    ).all()
    return {user_id: (display or "").strip() or email for user_id, display, email in rows}


def holders_names(session: Session, holders: Iterable[rota.Holder]) -> dict[str, str]:
    people: set[str] = set()
    for holder in holders:
        people.add(holder.user_id)
        if holder.replaces_user_id is not None:
            people.add(holder.replaces_user_id)
    return names_of(session, people)


def on_call(session: Session, *, org_id: str, schedule_id: str, at: datetime) -> OnCallNow | None:
    """Who the schedule has on call at `at`; None when `org_id` has no such schedule."""
    schedule = _schedule(session, org_id, schedule_id)
    if schedule is None:
        return None
    model = schedule_model(session, schedule, starts_at=at, ends_at=at + _INSTANT)
    holders = rota.on_call_at(model, at).holders
    return OnCallNow(
        schedule_id=schedule.id,
        schedule_name=schedule.name,
        holders=holders,
        names=holders_names(session, holders),
    )


def schedule_timeline(
    session: Session, *, org_id: str, schedule_id: str, starts_at: datetime, ends_at: datetime
) -> list[rota.Segment] | None:
    schedule = _schedule(session, org_id, schedule_id)
    if schedule is None:
        return None
    model = schedule_model(session, schedule, starts_at=starts_at, ends_at=ends_at)
    return rota.timeline(model, starts_at, ends_at)


def schedule_shifts(
    session: Session, *, org_id: str, schedule_id: str, starts_at: datetime, ends_at: datetime
) -> list[rota.Shift] | None:
    schedule = _schedule(session, org_id, schedule_id)
    if schedule is None:
        return None
    model = schedule_model(session, schedule, starts_at=starts_at, ends_at=ends_at)
    return rota.shifts(model, starts_at, ends_at)


def member_shifts(
    session: Session, *, org_id: str, user_id: str, starts_at: datetime, ends_at: datetime
) -> list[tuple[str, rota.Shift]]:
    """(schedule id, shift) of every schedule of the organization that has the member on call
    within the window, ordered by start."""
    found: list[tuple[str, rota.Shift]] = []
    schedules = session.scalars(select(Schedule).where(Schedule.org_id == org_id))
    for schedule in schedules:
        model = schedule_model(session, schedule, starts_at=starts_at, ends_at=ends_at)
        found.extend(
            (schedule.id, shift)
            for shift in rota.shifts(model, starts_at, ends_at)
            if shift.user_id == user_id
        )
    return sorted(found, key=lambda item: (item[1].starts_at, item[0]))
