"""What pings, pauses, edits and the passing of time do to a monitor: pure functions of a
snapshot of it, table-tested in tests/heartbeats/test_states.py.

A monitor is armed while `alert_at` is set: if no good ping comes by then, it goes down. A new
monitor is not armed until its first ping (nothing is expected of it yet), a paused one never
is, and one that went down is not armed again until a ping or a resume, so however often the
worker looks, a monitor goes down (and opens its alert) once.

A `/start` does not move the success's due time: the run must end (a plain ping) by its
`max_runtime` after the start when the monitor has one, and by the due time plus grace when it
does not. `/fail` takes the monitor down at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from tocsin.heartbeats.models import DownReason, MonitorState, PingKind
from tocsin.heartbeats.schedule import Plan, expected_after


@dataclass(frozen=True)
class Snapshot:
    """What the decisions read of a monitor."""

    plan: Plan
    state: MonitorState
    paused: bool
    down_reason: DownReason | None = None
    last_ping_at: datetime | None = None
    run_started_at: datetime | None = None
    next_due_at: datetime | None = None
    alert_at: datetime | None = None
    # Whether the alert it opened is still open (acknowledged counts as open).
    alert_open: bool = False


@dataclass(frozen=True)
class Change:
    """The monitor's new fields, and what happens to its alert."""

    state: MonitorState
    down_reason: DownReason | None
    run_started_at: datetime | None
    next_due_at: datetime | None
    alert_at: datetime | None
    # Open an alert for this reason (unless the monitor's alert is open already).
    opens: DownReason | None = None
    # When the ping that did not come was expected, for the alert's words.
    expected_at: datetime | None = None
    # A good ping: the monitor's open alert is resolved.
    closes: bool = False


def _kept(snapshot: Snapshot) -> Change:
    return Change(
        state=snapshot.state,
        down_reason=snapshot.down_reason,
        run_started_at=snapshot.run_started_at,
        next_due_at=snapshot.next_due_at,
        alert_at=snapshot.alert_at,
    )


def _run_deadline(plan: Plan, started_at: datetime, next_due_at: datetime) -> datetime:
    if plan.max_runtime is not None:
        return started_at + plan.max_runtime
    return next_due_at + plan.grace


def after_ping(snapshot: Snapshot, kind: PingKind, at: datetime) -> Change:
    plan = snapshot.plan
    if kind == PingKind.SUCCESS:
        next_due = expected_after(plan, at)
        return Change(
            state=MonitorState.UP,
            down_reason=None,
            run_started_at=None,
            next_due_at=next_due,
            alert_at=None if snapshot.paused else next_due + plan.grace,
            closes=True,
        )
    if kind == PingKind.START:
        # The success is still due when it was, unless nothing was due (new, or down).
        due = snapshot.next_due_at
        if snapshot.state not in (MonitorState.UP, MonitorState.RUNNING) or due is None:
            due = expected_after(plan, at)
        return Change(
            state=MonitorState.RUNNING,
            down_reason=None,
            run_started_at=at,
            next_due_at=due,
            alert_at=None if snapshot.paused else _run_deadline(plan, at, due),
        )
    return Change(
        state=MonitorState.DOWN,
        down_reason=DownReason.FAILED,
        run_started_at=None,
        next_due_at=expected_after(plan, at),
        alert_at=None,
        opens=None if snapshot.paused else DownReason.FAILED,
        expected_at=snapshot.next_due_at,
    )


def overdue(snapshot: Snapshot, now: datetime) -> Change | None:
    """The monitor going down, if its deadline has passed; None while it has not (or nothing is
    expected of it)."""
    if snapshot.paused or snapshot.alert_at is None or now < snapshot.alert_at:
        return None
    plan, started = snapshot.plan, snapshot.run_started_at
    running = snapshot.state == MonitorState.RUNNING
    reason = DownReason.RUN_TOO_LONG if running else DownReason.MISSED
    expected = snapshot.next_due_at
    if running and started is not None and plan.max_runtime is not None:
        expected = started + plan.max_runtime
    return Change(
        state=MonitorState.DOWN,
        down_reason=reason,
        run_started_at=started,
        next_due_at=snapshot.next_due_at,
        alert_at=None,
        opens=reason,
        expected_at=expected,
    )


def paused(snapshot: Snapshot) -> Change:
    return replace(_kept(snapshot), alert_at=None)


def resumed(snapshot: Snapshot, now: datetime) -> Change:
    """Armed again with a whole period from now: a new monitor still waits for its first ping,
    and a down one whose alert is still open has said so already. A monitor that went down
    while paused, or whose alert a person resolved, is armed again, so a job still silent
    after the resume is told."""
    kept = _kept(snapshot)
    if snapshot.state == MonitorState.NEW or (
        snapshot.state == MonitorState.DOWN and snapshot.alert_open
    ):
        return replace(kept, alert_at=None)
    plan = snapshot.plan
    next_due = expected_after(plan, now)
    if snapshot.state == MonitorState.RUNNING:
        return replace(kept, next_due_at=next_due, alert_at=_run_deadline(plan, now, next_due))
    return replace(kept, next_due_at=next_due, alert_at=next_due + plan.grace)


def replanned(snapshot: Snapshot, now: datetime) -> Change:
    """The due time and deadline under an edited plan (`snapshot.plan` is the new one): from the
    last good ping for an up monitor, from the run's start for a running one. A monitor that
    is not armed stays so."""
    kept = _kept(snapshot)
    plan = snapshot.plan
    if snapshot.state == MonitorState.UP and snapshot.last_ping_at is not None:
        next_due = expected_after(plan, snapshot.last_ping_at)
        deadline = next_due + plan.grace
    elif snapshot.state == MonitorState.RUNNING and snapshot.run_started_at is not None:
        next_due = expected_after(plan, snapshot.run_started_at)
        deadline = _run_deadline(plan, snapshot.run_started_at, next_due)
    elif snapshot.alert_at is not None:
        # Down, and armed again by a resume.
        next_due = expected_after(plan, now)
        deadline = next_due + plan.grace
    else:
        return kept
    armed = snapshot.alert_at is not None and not snapshot.paused
    return replace(kept, next_due_at=next_due, alert_at=deadline if armed else None)
