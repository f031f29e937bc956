"""Who a schedule has on call, read from its rows: builds a rota.Schedule from the schedule's
layers (rotations, fixed members, external calendars' last good copy), overrides and temporary
schedules, and asks tocsin.rota.

INTERFACE: the schedules helper implements these; paging (oncall.targets), handoff notices, gap
flags, feeds and the API code against the names and signatures here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin import rota
from tocsin.oncall.models import Schedule


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
        """'Platform primary: Ana (override for Ben), Cy (Secondary)': the words the alert's
        timeline shows for this schedule."""
        raise NotImplementedError


def schedule_model(
    session: Session, schedule: Schedule, *, starts_at: datetime, ends_at: datetime
) -> rota.Schedule:
    """The schedule as tocsin.rota sees it, with the overrides and temporaries that touch
    [starts_at, ends_at)."""
    raise NotImplementedError


def on_call(session: Session, *, org_id: str, schedule_id: str, at: datetime) -> OnCallNow | None:
    """Who the schedule has on call at `at`; None when `org_id` has no such schedule."""
    raise NotImplementedError


def schedule_timeline(
    session: Session, *, org_id: str, schedule_id: str, starts_at: datetime, ends_at: datetime
) -> list[rota.Segment] | None:
    raise NotImplementedError


def schedule_shifts(
    session: Session, *, org_id: str, schedule_id: str, starts_at: datetime, ends_at: datetime
) -> list[rota.Shift] | None:
    raise NotImplementedError


def member_shifts(
    session: Session, *, org_id: str, user_id: str, starts_at: datetime, ends_at: datetime
) -> list[tuple[str, rota.Shift]]:
    """(schedule id, shift) of every schedule of the organization that has the member on call
    within the window, ordered by start."""
    raise NotImplementedError
