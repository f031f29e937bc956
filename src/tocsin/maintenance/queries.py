"""Reading maintenance windows: an organization's, one by id, the ones that may be in force at
an instant (what intake and the worker compare alerts with), and what an alert shows of the
window that muted it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from tocsin.core.errors import InvalidInput, NotFound
from tocsin.core.pagination import Page, check_limit, paginate
from tocsin.maintenance import matchers
from tocsin.maintenance.coverage import Candidate, Reach, ScopeKind
from tocsin.maintenance.models import MaintenanceWindow
from tocsin.maintenance.windows import Occurrence, Timing, next_occurrence, occurrence_at
from tocsin.paging.models import Alert, Escalation, EscalationStatus

log = logging.getLogger(__name__)

# Windows not over yet, per organization: each new alert is compared with every one in force.
MAX_LIVE_WINDOWS = 200


class WindowState(StrEnum):
    ACTIVE = "active"
    UPCOMING = "upcoming"
    PAST = "past"


def window_not_found() -> NotFound:
    return NotFound("maintenance window not found", code="window_not_found")


def get_window(session: Session, *, org_id: str, window_id: str) -> MaintenanceWindow:
    window = session.scalar(
        select(MaintenanceWindow).where(
            MaintenanceWindow.id == window_id,
            MaintenanceWindow.org_id == org_id,
            MaintenanceWindow.deleted_at.is_(None),
        )
    )
    if window is None:
        raise window_not_found()
    return window


def timing_of(window: MaintenanceWindow) -> Timing:
    return Timing(
        starts_at=window.starts_at,
        duration=timedelta(seconds=window.duration_seconds),
        timezone=window.timezone,
        rrule=window.rrule,
        ended_at=window.ended_at,
    )


@dataclass(frozen=True)
class WindowView:
    """A window and where it stands at an instant."""

    window: MaintenanceWindow
    state: WindowState
    # The occurrence in force, else the next one; None once none is left.
    occurrence: Occurrence | None


def view(window: MaintenanceWindow, now: datetime) -> WindowView:
    occurrence = next_occurrence(timing_of(window), now)
    if occurrence is None:
        return WindowView(window, WindowState.PAST, None)
    state = WindowState.ACTIVE if occurrence.starts_at <= now else WindowState.UPCOMING
    return WindowView(window, state, occurrence)


def _live(
    org_id: str | BindParameter[str], now: datetime | BindParameter[datetime]
) -> ColumnElement[bool]:
    """Not deleted, and not over for good."""
    return and_(
        MaintenanceWindow.org_id == org_id,
        MaintenanceWindow.deleted_at.is_(None),
        or_(MaintenanceWindow.last_ends_at.is_(None), MaintenanceWindow.last_ends_at > now),
    )


def live_count(session: Session, *, org_id: str, now: datetime) -> int:
    query = select(func.count()).select_from(MaintenanceWindow).where(_live(org_id, now))
    return int(session.scalar(query) or 0)


def list_windows(
    session: Session,
    *,
    org_id: str,
    now: datetime,
    state: str | None,
    limit: int,
    cursor: str | None,
) -> Page[WindowView]:
    """The organization's windows, newest first; `state` keeps those active, upcoming or past
    at `now`. Active and upcoming ones are few (MAX_LIVE_WINDOWS), and come in one page,
    soonest first."""
    check_limit(limit)
    if state is None:
        page = paginate(
            session,
            select(MaintenanceWindow).where(
                MaintenanceWindow.org_id == org_id, MaintenanceWindow.deleted_at.is_(None)
            ),
            MaintenanceWindow.id,
            limit=limit,
            cursor=cursor,
            newest_first=True,
        )
        return Page([view(window, now) for window in page.items], page.next_cursor)
    try:
        wanted = WindowState(state)
    except ValueError as exc:
        raise InvalidInput("state is active, upcoming or past", code="invalid_state") from exc
    if wanted == WindowState.PAST:
        page = paginate(
            session,
            select(MaintenanceWindow).where(
                MaintenanceWindow.org_id == org_id,
                MaintenanceWindow.deleted_at.is_(None),
                MaintenanceWindow.last_ends_at <= now,
            ),
            MaintenanceWindow.id,
            limit=limit,
            cursor=cursor,
            newest_first=True,
        )
        return Page([view(window, now) for window in page.items], page.next_cursor)
    live = session.scalars(select(MaintenanceWindow).where(_live(org_id, now)))
    views = [found for found in (view(window, now) for window in live) if found.state == wanted]
    views.sort(key=lambda found: found.occurrence.starts_at if found.occurrence else now)
    return Page(views, None)


# Every new alert asks this (mostly of no rows): built once, since building costs more.
_CANDIDATES = select(MaintenanceWindow).where(
    _live(bindparam("org_id"), bindparam("now")),
    MaintenanceWindow.starts_at <= bindparam("now"),
)


def candidates(session: Session, *, org_id: str, now: datetime) -> list[Candidate]:
    """The organization's windows that may be in force at `now`, as coverage reads them."""
    rows = session.scalars(_CANDIDATES, {"org_id": org_id, "now": now})
    found = []
    for window in rows:
        try:
            reach = Reach(
                ScopeKind(window.scope),
                window.target_id,
                tuple(matchers.parse(window.matchers)),
            )
        except (ValueError, InvalidInput):
            # Checked when saved; a row that no longer reads mutes nothing: when in doubt, call.
            log.exception("maintenance window %s cannot be read; it mutes nothing", window.id)
            continue
        found.append(Candidate(window.id, reach, timing_of(window), window.page_after))
    return found


@dataclass(frozen=True)
class MutedBy:
    """What an alert shows of the window that muted it."""

    window_id: str
    reason: str
    created_by: str
    until: datetime | None
    page_after: bool
    # Whether paging still waits for a window (the escalation is muted).
    muted_now: bool
    deleted: bool


def muted_by(session: Session, alert: Alert) -> MutedBy | None:
    if alert.muted_by_window_id is None:
        return None
    window = session.scalar(
        select(MaintenanceWindow).where(
            MaintenanceWindow.id == alert.muted_by_window_id,
            MaintenanceWindow.org_id == alert.org_id,
        )
    )
    if window is None:
        return None
    status = session.scalar(select(Escalation.status).where(Escalation.alert_id == alert.id))
    return MutedBy(
        window_id=window.id,
        reason=window.reason,
        created_by=window.created_by_name,
        until=alert.muted_until,
        page_after=window.page_after,
        muted_now=status == EscalationStatus.MUTED,
        deleted=window.deleted_at is not None,
    )


def in_force(window: MaintenanceWindow, at: datetime) -> Occurrence | None:
    return occurrence_at(timing_of(window), at)


def muted_alerts(session: Session, *, org_id: str, window_id: str) -> list[Escalation]:
    """The escalations of open alerts this window muted that still wait, locked."""
    return list(
        session.scalars(
            select(Escalation)
            .join(Alert, Alert.id == Escalation.alert_id)
            .where(
                Alert.org_id == org_id,
                Alert.muted_by_window_id == window_id,
                Escalation.status == EscalationStatus.MUTED,
            )
            .with_for_update(of=Escalation)
        )
    )
