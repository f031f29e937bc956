"""Making, changing, ending and deleting maintenance windows.

A change to a window that has muted alerts (an edit, an early end, a deletion) makes each of
their escalations due at once, so the worker looks at them again: an alert the window still
covers waits for its new end, one no window covers pages now (unless the window does not page
when it ends and was only ended, not deleted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import ApiKey, User
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput, NotFound
from tocsin.core.ids import new_id
from tocsin.db.wakeup import announce_work
from tocsin.endpoints.models import Endpoint
from tocsin.maintenance import matchers
from tocsin.maintenance.coverage import ScopeKind
from tocsin.maintenance.models import MaintenanceWindow
from tocsin.maintenance.queries import (
    MAX_LIVE_WINDOWS,
    get_window,
    in_force,
    live_count,
    muted_alerts,
    timing_of,
)
from tocsin.maintenance.windows import Timing, check_timing, last_end, normalised_rule
from tocsin.oncall.models import Project
from tocsin.policy.quota import check_timezone
from tocsin.restrictions.blocks import require_writable

MAX_REASON = 500
# How far from now a window may start. Not further back: a recurring window's occurrences are
# counted from its start each time an alert is compared with it. Not further ahead: planned
# work is planned within years.
EARLIEST_START = timedelta(days=366)
LATEST_START = timedelta(days=5 * 366)


@dataclass(frozen=True)
class WindowSpec:
    """A window as someone asks for it. `ends_at` or `duration` says how long each occurrence
    lasts; `starts_at` None means now (a silence "for an hour")."""

    reason: str
    scope: str = ScopeKind.ORGANIZATION.value
    target_id: str | None = None
    matchers: tuple[matchers.Matcher, ...] = ()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    duration: timedelta | None = None
    rrule: str | None = None
    timezone: str = "UTC"
    page_after: bool = True


@dataclass(frozen=True)
class WindowChange:
    """What an update changes; None leaves a field as it is (`clear_rrule` makes a recurring
    window one period)."""

    reason: str | None = None
    scope: str | None = None
    target_id: str | None = None
    matchers: tuple[matchers.Matcher, ...] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    duration: timedelta | None = None
    rrule: str | None = None
    clear_rrule: bool = False
    timezone: str | None = None
    page_after: bool | None = None


def _reason(text: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > MAX_REASON:
        raise InvalidInput(
            f"a window says why, in 1 to {MAX_REASON} characters", code="invalid_reason"
        )
    return cleaned


def _check_start(starts_at: datetime, now: datetime) -> None:
    if not now - EARLIEST_START <= starts_at <= now + LATEST_START:
        raise InvalidInput(
            "a window starts at most a year ago and at most five years ahead",
            code="invalid_window",
        )


def _duration(
    starts_at: datetime, ends_at: datetime | None, duration: timedelta | None
) -> timedelta:
    if (ends_at is None) == (duration is None):
        raise InvalidInput("give ends_at or duration, one of them", code="invalid_window")
    return ends_at - starts_at if ends_at is not None else duration  # type: ignore[return-value]


def _check_target(session: Session, *, org_id: str, scope: str, target_id: str | None) -> None:
    try:
        kind = ScopeKind(scope)
    except ValueError as exc:
        allowed = ", ".join(item.value for item in ScopeKind)
        raise InvalidInput(f"scope is one of: {allowed}", code="invalid_scope") from exc
    if kind == ScopeKind.ORGANIZATION:
        if target_id is not None:
            raise InvalidInput("an organization-wide window names no target", code="invalid_scope")
        return
    if not target_id:
        raise InvalidInput(f"a {kind.value} window names its {kind.value}", code="invalid_scope")
    if kind == ScopeKind.MONITOR:
        return  # a heartbeat monitor: its id is matched as its alerts carry it
    if kind == ScopeKind.PROJECT:
        query = select(Project.id).where(Project.id == target_id, Project.org_id == org_id)
    else:
        query = select(Endpoint.id).where(Endpoint.id == target_id, Endpoint.org_id == org_id)
    if session.scalar(query) is None:
        raise NotFound(f"{kind.value} not found: {target_id}", code=f"{kind.value}_not_found")


def author(session: Session, actor: Actor) -> str:
    """Who made a window, as every alert it mutes shows it."""
    if actor.type == "user" and actor.id is not None:
        user = session.get(User, actor.id)
        if user is not None:
            return user.display_name or user.email
    if actor.type == "api_key" and actor.id is not None:
        name = session.scalar(select(ApiKey.name).where(ApiKey.id == actor.id))
        if name is not None:
            return f'API key "{name}"'
    if actor.type == "cli":
        return "the server's shell"
    return f"{actor.type}:{actor.id}" if actor.id else actor.type


def _apply_timing(
    window: MaintenanceWindow,
    *,
    starts_at: datetime,
    duration: timedelta,
    rrule: str | None,
    timezone: str,
) -> Timing:
    zone = check_timezone(timezone)
    rule = normalised_rule(rrule) if rrule is not None and rrule.strip() else None
    timing = Timing(starts_at, duration, zone, rule, window.ended_at)
    check_timing(timing)
    window.starts_at = starts_at
    window.duration_seconds = int(duration.total_seconds())
    window.rrule = rule
    window.timezone = zone
    window.last_ends_at = last_end(timing_of(window))
    return timing


def create_window(
    session: Session, *, org_id: str, spec: WindowSpec, actor: Actor, now: datetime
) -> MaintenanceWindow:
    """A window from `spec`; refused when it is over already, or when the organization has
    MAX_LIVE_WINDOWS not over yet."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    reason = _reason(spec.reason)
    _check_target(session, org_id=org_id, scope=spec.scope, target_id=spec.target_id)
    starts_at = spec.starts_at or now
    _check_start(starts_at, now)
    duration = _duration(starts_at, spec.ends_at, spec.duration)
    if live_count(session, org_id=org_id, now=now) >= MAX_LIVE_WINDOWS:
        raise Conflict(
            f"an organization has at most {MAX_LIVE_WINDOWS} windows not over yet",
            code="too_many_windows",
        )
    window = MaintenanceWindow(
        id=new_id("mw"),
        org_id=org_id,
        scope=spec.scope,
        target_id=spec.target_id,
        matchers=[m.as_dict() for m in spec.matchers],
        reason=reason,
        page_after=spec.page_after,
        created_by_type=actor.type,
        created_by_id=actor.id,
        created_by_name=author(session, actor)[:200],
        created_at=now,
        updated_at=now,
    )
    _apply_timing(
        window, starts_at=starts_at, duration=duration, rrule=spec.rrule, timezone=spec.timezone
    )
    _not_over(window, now)
    session.add(window)
    session.flush()
    _record(session, actor, AuditAction.MAINTENANCE_WINDOW_CREATED, window, now)
    return window


def _not_over(window: MaintenanceWindow, now: datetime) -> None:
    if window.last_ends_at is not None and window.last_ends_at <= now:
        raise InvalidInput(
            "the window would be over already: it ends in the past", code="window_in_past"
        )


def update_window(
    session: Session,
    *,
    org_id: str,
    window_id: str,
    change: WindowChange,
    actor: Actor,
    now: datetime,
) -> MaintenanceWindow:
    """Change a window; alerts it muted are looked at again (module docstring). A change of
    its times forgets an early end."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    window = get_window(session, org_id=org_id, window_id=window_id)
    if change.reason is not None:
        window.reason = _reason(change.reason)
    if change.scope is not None or change.target_id is not None:
        scope = change.scope or window.scope
        target_id = change.target_id if change.scope is None or change.target_id else None
        _check_target(session, org_id=org_id, scope=scope, target_id=target_id)
        window.scope, window.target_id = scope, target_id
    if change.matchers is not None:
        window.matchers = [m.as_dict() for m in change.matchers]
    if change.page_after is not None:
        window.page_after = change.page_after
    if _times_change(change):
        if change.starts_at is not None:
            _check_start(change.starts_at, now)
        starts_at = change.starts_at or window.starts_at
        if change.ends_at is None and change.duration is None:
            duration = timedelta(seconds=window.duration_seconds)
        else:
            duration = _duration(starts_at, change.ends_at, change.duration)
        rrule = None if change.clear_rrule else (change.rrule or window.rrule)
        window.ended_at, window.ended_by = None, None
        _apply_timing(
            window,
            starts_at=starts_at,
            duration=duration,
            rrule=rrule,
            timezone=change.timezone or window.timezone,
        )
    window.updated_at = now
    session.flush()
    _look_again(session, window, now)
    _record(session, actor, AuditAction.MAINTENANCE_WINDOW_UPDATED, window, now)
    return window


def _times_change(change: WindowChange) -> bool:
    return (
        any(
            value is not None
            for value in (change.starts_at, change.ends_at, change.duration, change.rrule)
        )
        or change.clear_rrule
        or change.timezone is not None
    )


def end_window(
    session: Session, *, org_id: str, window_id: str, actor: Actor, now: datetime
) -> MaintenanceWindow:
    """End the occurrence in force now (a one-off window: the window); Conflict
    `window_not_active` when none is. Never refused for a suspended organization: ending a
    mute only lets pages through."""
    window = get_window(session, org_id=org_id, window_id=window_id)
    occurrence = in_force(window, now)
    if occurrence is None:
        raise Conflict("the window is not in force now", code="window_not_active")
    window.ended_at = now
    window.ended_by = author(session, actor)[:200]
    window.last_ends_at = last_end(timing_of(window))
    window.updated_at = now
    session.flush()
    _look_again(session, window, now)
    _record(
        session,
        actor,
        AuditAction.MAINTENANCE_WINDOW_ENDED,
        window,
        now,
        extra={"occurrence_ends_at": occurrence.ends_at.isoformat()},
    )
    return window


def delete_window(
    session: Session, *, org_id: str, window_id: str, actor: Actor, now: datetime
) -> None:
    """Delete a window: it mutes nothing more, and alerts it muted that are still open page now,
    whatever it said about paging when it ends (a deletion undoes the window). Its row stays,
    marked, so those alerts still show who muted them and why."""
    window = get_window(session, org_id=org_id, window_id=window_id)
    window.deleted_at = now
    window.deleted_by = author(session, actor)[:200]
    window.updated_at = now
    session.flush()
    _look_again(session, window, now)
    _record(session, actor, AuditAction.MAINTENANCE_WINDOW_DELETED, window, now)


def _look_again(session: Session, window: MaintenanceWindow, now: datetime) -> None:
    """Make the escalations of the open alerts the window muted due now."""
    muted = muted_alerts(session, org_id=window.org_id, window_id=window.id)
    for escalation in muted:
        escalation.next_at = now
        escalation.updated_at = now
    if muted:
        announce_work(session)


def _record(
    session: Session,
    actor: Actor,
    action: AuditAction,
    window: MaintenanceWindow,
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        at=now,
        org_id=window.org_id,
        target_type="maintenance_window",
        target_id=window.id,
        details={**window.describe(), **(extra or {})},
    )
